// SqliteStore: an import's progress per source table and the meters' default prices
// (store/imports.hpp; tables of migration 13).
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

using namespace sqlite_rows;

core::Result<std::int64_t> SqliteStore::import_progress(const std::string& source,
                                                        const std::string& table) {
  auto q = cached("SELECT last_key FROM import_progress WHERE source = ? AND tbl = ?");
  if (!q) return q.error();
  (*q)->bind(1, source);
  (*q)->bind(2, table);
  std::int64_t key = 0;
  ML_TRY(each_row(**q, [&] { key = (*q)->int64(0); }));
  return key;
}

core::Status SqliteStore::set_import_progress(const std::string& source, const std::string& table,
                                              std::int64_t key) {
  auto q = cached(
      "INSERT INTO import_progress(source, tbl, last_key) VALUES (?, ?, ?) ON CONFLICT(source, "
      "tbl) DO UPDATE SET last_key = MAX(last_key, excluded.last_key)");
  if (!q) return q.error();
  (*q)->bind(1, source);
  (*q)->bind(2, table);
  (*q)->bind(3, key);
  return (*q)->run();
}

core::Result<std::optional<core::Decimal>> SqliteStore::default_price(const std::string& serial) {
  auto q = cached("SELECT price FROM meter_default_prices WHERE serial = ?");
  if (!q) return q.error();
  (*q)->bind(1, serial);
  std::optional<std::string> text;
  ML_TRY(each_row(**q, [&] { text = (*q)->text(0); }));
  if (!text) return std::optional<core::Decimal>{};
  auto price = core::Decimal::parse(*text);
  if (!price) {
    return core::make_error(core::Errc::storage_failure,
                            "meter_default_prices: \"" + *text + "\" is not a decimal");
  }
  return std::optional<core::Decimal>{*price};
}

core::Status SqliteStore::set_default_price(const std::string& serial, const core::Decimal& price) {
  auto q = cached(
      "INSERT INTO meter_default_prices(serial, price) VALUES (?, ?) ON CONFLICT(serial) DO "
      "UPDATE SET price = excluded.price");
  if (!q) return q.error();
  (*q)->bind(1, serial);
  (*q)->bind(2, price.to_string());
  return (*q)->run();
}

}  // namespace ml::server
