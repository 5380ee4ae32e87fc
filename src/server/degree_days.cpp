// Heating degree days (degree_days.hpp).
#include "server/degree_days.hpp"

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>

#include "core/ascii.hpp"
#include "server/estimate.hpp"

namespace ml::server {
namespace {

core::Error bad(std::size_t line, const std::string& what) {
  return core::make_error(core::Errc::invalid_argument,
                          "line " + std::to_string(line) + ": " + what);
}

bool digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// "YYYY-MM-DD" as a day number; none when malformed or not a date (1900 to 2199).
std::optional<std::int64_t> day_number(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  const auto y = s.substr(0, 4), m = s.substr(5, 2), d = s.substr(8, 2);
  if (!digits(y) || !digits(m) || !digits(d)) return std::nullopt;
  const int year = std::stoi(std::string(y));
  const auto month = static_cast<unsigned>(std::stoi(std::string(m)));
  const auto day = static_cast<unsigned>(std::stoi(std::string(d)));
  if (year < 1900 || year > 2199 || month < 1 || month > 12 || day < 1) return std::nullopt;
  const std::int64_t n = estimate::days_from_civil(year, month, day);
  // The 31st of a 30-day month would be the next month's 1st.
  const auto back = estimate::civil_from_days(n);
  if (back.month != month || back.day != day) return std::nullopt;
  return n;
}

}  // namespace

core::Result<std::vector<DegreeDay>> parse_degree_days(std::string_view text) {
  if (text.size() > kMaxDegreeDayFile) {
    return core::make_error(core::Errc::invalid_argument,
                            "the file has more than " + std::to_string(kMaxDegreeDayFile >> 20) +
                                " MiB: split it into years");
  }
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<DegreeDay> out;
  std::set<std::int64_t> seen;
  std::size_t number = 0;
  while (!text.empty()) {
    const auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    ++number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.size() > kMaxDegreeDayLine) {
      return bad(number, "longer than " + std::to_string(kMaxDegreeDayLine) +
                             " bytes: one day a line, YYYY-MM-DD,VALUE");
    }
    line = core::trim_blanks(line);
    if (line.empty()) continue;
    if (number == 1 && !(line.front() >= '0' && line.front() <= '9')) continue;  // the header
    const auto semicolon = line.find(';');
    const char separator = semicolon != std::string_view::npos ? ';' : ',';
    const auto at = line.find(separator);
    if (at == std::string_view::npos) return bad(number, "expected YYYY-MM-DD,VALUE");
    const auto date = core::trim_blanks(line.substr(0, at));
    std::string value(core::trim_blanks(line.substr(at + 1)));
    const auto day = day_number(date);
    if (!day) {
      return bad(number,
                 core::quoted_excerpt(date, 20) + " is not a date as YYYY-MM-DD (1900 to 2199)");
    }
    // With semicolons, a spreadsheet's decimal comma.
    if (separator == ';') std::replace(value.begin(), value.end(), ',', '.');
    auto parsed = core::Decimal::parse(value);
    if (!parsed || parsed->negative || parsed->decimals() > kMaxDegreeDayDecimals ||
        core::compare(*parsed, core::Decimal{false, kMaxDegreeDay, 0}) > 0) {
      return bad(number, core::quoted_excerpt(value, 20) +
                             " is not a number of degree days from 0 to " +
                             std::to_string(kMaxDegreeDay) + " with at most " +
                             std::to_string(kMaxDegreeDayDecimals) + " decimals");
    }
    if (!seen.insert(*day).second) return bad(number, std::string(date) + " is there twice");
    if (out.size() == kMaxDegreeDays) {
      return bad(number, "more than " + std::to_string(kMaxDegreeDays) +
                             " days in one file: split it into years");
    }
    out.push_back({*day, *parsed});
  }
  return out;
}

std::string day_text(std::int64_t day) {
  const auto c = estimate::civil_from_days(day);
  char text[24];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                c.day);
  return text;
}

std::optional<core::Decimal> degree_day_sum(std::span<const DegreeDay> days, std::int64_t from,
                                            std::int64_t to) {
  if (to <= from) return std::nullopt;
  const auto first = std::lower_bound(days.begin(), days.end(), from,
                                      [](const DegreeDay& d, std::int64_t t) { return d.day < t; });
  core::Decimal total;
  std::int64_t expected = from;
  for (auto it = first; it != days.end() && it->day < to; ++it) {
    if (it->day != expected) return std::nullopt;
    auto more = core::sum(total, it->value);
    if (!more) return std::nullopt;
    total = *more;
    ++expected;
  }
  if (expected != to) return std::nullopt;
  return total;
}

}  // namespace ml::server
