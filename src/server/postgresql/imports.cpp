// PostgresStore: an import's progress per source table and the meters' default prices
// (store/imports.hpp).
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

core::Result<std::int64_t> PostgresStore::import_progress(const std::string& source,
                                                          const std::string& table) {
  auto rows = db_.query("SELECT last_key FROM import_progress WHERE source = $1 AND tbl = $2",
                        {source, table});
  if (!rows) return rows.error();
  return rows->empty() ? std::int64_t{0} : rows->int64(0, 0);
}

core::Status PostgresStore::set_import_progress(const std::string& source, const std::string& table,
                                                std::int64_t key) {
  auto rows = db_.query(
      "INSERT INTO import_progress(source, tbl, last_key) VALUES ($1, $2, $3) ON CONFLICT(source, "
      "tbl) DO UPDATE SET last_key = GREATEST(import_progress.last_key, excluded.last_key)",
      {source, table, key});
  if (!rows) return rows.error();
  return core::Ok{};
}

core::Result<std::optional<core::Decimal>> PostgresStore::default_price(const std::string& serial) {
  auto rows = db_.query("SELECT price FROM meter_default_prices WHERE serial = $1", {serial});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<core::Decimal>{};
  const std::string text = rows->text(0, 0);
  auto price = core::Decimal::parse(text);
  if (!price) {
    return core::make_error(core::Errc::storage_failure,
                            "meter_default_prices: \"" + text + "\" is not a decimal");
  }
  return std::optional<core::Decimal>{*price};
}

core::Status PostgresStore::set_default_price(const std::string& serial,
                                              const core::Decimal& price) {
  auto rows = db_.query(
      "INSERT INTO meter_default_prices(serial, price) VALUES ($1, $2) ON CONFLICT(serial) DO "
      "UPDATE SET price = excluded.price",
      {serial, price.to_string()});
  if (!rows) return rows.error();
  return core::Ok{};
}

}  // namespace ml::server
