// PostgresStore: the heating degree days (store/weather.hpp), each day's value as its exact
// decimal text. A file of days goes in chunks of one statement each (two arrays unnested).
#include <algorithm>

#include "server/postgresql/store.hpp"

namespace ml::server {

core::Status PostgresStore::put_degree_days(const std::vector<DegreeDay>& days) {
  constexpr std::size_t kChunk = 5000;
  for (std::size_t at = 0; at < days.size(); at += kChunk) {
    // Array literals of numbers only ({1,2} and {0.5,12.25}): nothing to quote.
    std::string day_list = "{", value_list = "{";
    for (std::size_t i = at; i < std::min(days.size(), at + kChunk); ++i) {
      if (i > at) {
        day_list += ',';
        value_list += ',';
      }
      day_list += std::to_string(days[i].day);
      value_list += days[i].value.to_string();
    }
    day_list += '}';
    value_list += '}';
    auto r = db_.query(
        "INSERT INTO degree_days(day, value) SELECT * FROM unnest($1::bigint[], $2::text[]) "
        "ON CONFLICT(day) DO UPDATE SET value = excluded.value",
        {day_list, value_list});
    if (!r) return r.error();
  }
  return core::Ok{};
}

core::Result<std::vector<DegreeDay>> PostgresStore::degree_days(std::int64_t from,
                                                                std::int64_t to) {
  auto rows = db_.query(
      "SELECT day, value FROM degree_days WHERE day >= $1 AND day < $2 ORDER BY day", {from, to});
  if (!rows) return rows.error();
  std::vector<DegreeDay> out;
  out.reserve(static_cast<std::size_t>(rows->size()));
  for (int i = 0; i < rows->size(); ++i) {
    auto value = core::Decimal::parse(rows->text(i, 1));
    if (!value) {
      return core::make_error(core::Errc::invalid_argument, "the degree days of day " +
                                                                std::to_string(rows->int64(i, 0)) +
                                                                " are not a decimal number");
    }
    out.push_back({rows->int64(i, 0), *value});
  }
  return out;
}

}  // namespace ml::server
