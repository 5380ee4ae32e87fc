// SqliteStore: the heating degree days (store/weather.hpp), each day's value as its exact
// decimal text.
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

using namespace sqlite_rows;

core::Status SqliteStore::put_degree_days(const std::vector<DegreeDay>& days) {
  auto q = db_.prepare(
      "INSERT INTO degree_days(day, value) VALUES(?, ?) ON CONFLICT(day) DO UPDATE SET "
      "value = excluded.value");
  if (!q) return q.error();
  for (const auto& d : days) {
    q->reset();
    ML_TRY(q->bind(1, d.day).bind(2, d.value.to_string()).run());
  }
  return core::Ok{};
}

core::Result<std::vector<DegreeDay>> SqliteStore::degree_days(std::int64_t from, std::int64_t to) {
  auto q =
      db_.prepare("SELECT day, value FROM degree_days WHERE day >= ? AND day < ? ORDER BY day");
  if (!q) return q.error();
  q->bind(1, from).bind(2, to);
  std::vector<DegreeDay> out;
  core::Status bad = core::Ok{};
  ML_TRY(each_row(*q, [&] {
    auto value = core::Decimal::parse(q->text(1));
    if (!value && bad) {
      bad = core::make_error(
          core::Errc::invalid_argument,
          "the degree days of day " + std::to_string(q->int64(0)) + " are not a decimal number");
    }
    if (value) out.push_back({q->int64(0), *value});
  }));
  if (!bad) return bad.error();
  return out;
}

}  // namespace ml::server
