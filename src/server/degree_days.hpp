// Heating degree days: how cold each day was, as a number the heat a house needs grows with
// (docs/residents.md, "Weather"). A cooperative imports a daily series (from its weather service,
// e.g. a national one's "graddage", or its own) with `meterlogger-server degree-days import`; the
// residents' consumption table then shows last year's use corrected to this year's weather
// ([residents] weather_correction).
//
// Pure and bounded: text in, days or the first problem out; no store, no clock (the fuzz target
// tests/fuzz/fuzz_degree_days.cpp drives it alone).
//
// The file: one day a line, "YYYY-MM-DD,VALUE" (a semicolon instead of the comma too, as a
// spreadsheet in a Danish locale saves it, and then a decimal comma in the value), the value a
// decimal from 0 to kMaxDegreeDay with at most 3 decimals. An optional first line naming the
// columns (any line whose first character is not a digit), a UTF-8 byte order mark, CRLF line ends
// and blank lines are allowed. Refused, with the line and what to do: a malformed or impossible
// date, a day twice, a value out of range, a line or file too long, too many days.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::server {

struct DegreeDay {
  std::int64_t day = 0;  // days since 1970-01-01 (UTC)
  core::Decimal value;   // degree days, exact
};

inline constexpr std::size_t kMaxDegreeDayFile = std::size_t{4} << 20;  // bytes
inline constexpr std::size_t kMaxDegreeDayLine = 200;                   // bytes, without its end
inline constexpr std::size_t kMaxDegreeDays = 100'000;                  // days in one file
inline constexpr int kMaxDegreeDay = 100;                               // degree days in one day
inline constexpr int kMaxDegreeDayDecimals = 3;

// The days of a degree-day file, in the file's order; Errc::invalid_argument naming the first
// problem ("line 17: ...").
core::Result<std::vector<DegreeDay>> parse_degree_days(std::string_view text);

// A day number as the files write it, "YYYY-MM-DD".
std::string day_text(std::int64_t day);

// The sum of the degree days of the days [from, to) in `days` (sorted by day, each day once);
// none unless every one of those days is there (a gap would make the weather look milder), or
// when the range is empty.
std::optional<core::Decimal> degree_day_sum(std::span<const DegreeDay> days, std::int64_t from,
                                            std::int64_t to);

}  // namespace ml::server
