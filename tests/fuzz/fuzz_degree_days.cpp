// Fuzz target: the heating degree days file of `meterlogger-server degree-days import`
// (server/degree_days.hpp). Invariants: no crash; a refusal names its line ("line N: ...") or the
// file; never more days than kMaxDegreeDays; each day a real date (written back as YYYY-MM-DD it
// is a date that reads as the same day), once, its value from 0 to kMaxDegreeDay with at most
// kMaxDegreeDayDecimals decimals; degree_day_sum over the sorted days is the sum of every day
// when they have no gap; the same text reads the same.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/degree_days.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::server;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto days = parse_degree_days(text);
  if (!days) {
    const auto& why = days.error().detail;
    if (why.rfind("line ", 0) != 0 && why.rfind("the file", 0) != 0) std::abort();
    return 0;
  }
  if (days->size() > kMaxDegreeDays) std::abort();
  const ml::core::Decimal most{false, static_cast<std::uint64_t>(kMaxDegreeDay), 0};
  for (const auto& d : *days) {
    if (d.value.negative || d.value.decimals() > kMaxDegreeDayDecimals ||
        ml::core::compare(d.value, most) > 0)
      std::abort();
    const auto again = parse_degree_days(day_text(d.day) + ",0");
    if (!again || again->size() != 1 || again->front().day != d.day) std::abort();
  }
  auto sorted = *days;
  std::sort(sorted.begin(), sorted.end(),
            [](const DegreeDay& a, const DegreeDay& b) { return a.day < b.day; });
  if (std::adjacent_find(sorted.begin(), sorted.end(), [](const DegreeDay& a, const DegreeDay& b) {
        return a.day == b.day;
      }) != sorted.end())
    std::abort();
  if (!sorted.empty() &&
      sorted.back().day - sorted.front().day + 1 == static_cast<std::int64_t>(sorted.size())) {
    ml::core::Decimal total;
    bool fits = true;
    for (const auto& d : sorted) {
      auto more = ml::core::sum(total, d.value);
      if (!more) {
        fits = false;
        break;
      }
      total = *more;
    }
    const auto got = degree_day_sum(sorted, sorted.front().day, sorted.back().day + 1);
    if (fits && (!got || ml::core::compare(*got, total) != 0)) std::abort();
  }
  const auto twice = parse_degree_days(text);
  if (!twice || twice->size() != days->size()) std::abort();
  return 0;
}
