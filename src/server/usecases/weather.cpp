// Importing heating degree days (weather.hpp).
#include "server/usecases/weather.hpp"

#include <algorithm>

#include "server/degree_days.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {

core::Result<DegreeDayImport> import_degree_days(ServerStore& store, std::string_view text,
                                                 const Actor& actor, std::int64_t now) {
  auto days = parse_degree_days(text);
  if (!days) return days.error();
  if (days->empty()) return invalid("the file holds no days: one a line, YYYY-MM-DD,VALUE");
  const auto [low, high] =
      std::minmax_element(days->begin(), days->end(),
                          [](const DegreeDay& a, const DegreeDay& b) { return a.day < b.day; });
  DegreeDayImport out{days->size(), low->day, high->day};
  auto stored = store.write_transaction([&]() -> core::Status {
    ML_TRY(store.put_degree_days(*days));
    return store.audit_admin({0, now, actor.name, actor.remote, "degree_days.import", "",
                              std::to_string(out.days) + " days from " + day_text(out.first) +
                                  " to " + day_text(out.last)});
  });
  if (!stored) return stored.error();
  return out;
}

}  // namespace ml::server::usecase
