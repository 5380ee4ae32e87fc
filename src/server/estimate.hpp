// How long the paid energy lasts: a pure estimator (no store, no clock, no I/O; the store glue is
// server/usecases/estimates.hpp). docs/server.md, "Estimates", describes it for operators.
//
// Input: what is still paid for (kWh; m3 for a water meter: the estimator has no unit), the
// time now (unix seconds) and the meter's daily use (UTC day number -> units used that day, from
// the daily rollups; days may be missing, the history may cover several years). Only whole days
// before today count (today's bucket is partial).
//
// Method, chosen from the data:
//   seasonal  an earlier year has data for the period ahead: the same calendar days of earlier
//             years are walked forward day by day, each day using the median over the years that
//             have it, until the paid energy is used up.
//   recent    no earlier year has data for the period: the mean of the newest 7 days with data
//             (at most 7 days; fewer when the history is shorter) is used for every day ahead.
//   none      not one whole day of data: no estimate.
//
// Seasonal, precisely:
//   - The walk starts at `now` (the rest of today, pro rata) and covers at most kHorizonDays
//     days; beyond that the estimate says "more than kHorizonDays days" (beyond_horizon).
//   - The matching day of a day (Y, M, D), k years back, is (Y-k, M, D); 29 February matches
//     28 February of a year that is not a leap year. Only matching days before today count.
//   - The period is the first kPeriodDays days of the walk. An earlier year (k = 1 ..
//     kMaxYearsBack) takes part when it has data for at least kMinPeriodDays of the period's
//     matching days; its level is its mean daily use over them.
//   - A year is far off, and discarded, when its level lies outside [median / 2, 2 x median] of
//     the taking-part years' levels (a meter exchange, an empty flat, another household). With
//     a median of 0 only years with level 0 stay.
//   - Each day of the walk uses the median of the kept years' values for its matching day; when
//     no kept year has that day, the median of their values within kGapWindow days either side;
//     failing that the walk's own value 365 days earlier; failing that the median of the kept
//     years' levels.
//
// Every value is an exact decimal, rounded half-to-even at kWorkDecimals inside the walk;
// days_left has 2 decimals and the rate 3.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::server::estimate {

inline constexpr int kHorizonDays = 400;
inline constexpr int kPeriodDays = 30;
inline constexpr int kMinPeriodDays = 7;
inline constexpr int kMaxYearsBack = 4;
inline constexpr int kRecentDays = 7;
inline constexpr int kGapWindow = 3;
inline constexpr int kWorkDecimals = 6;
inline constexpr std::int64_t kDaySeconds = 86400;

enum class Method : std::uint8_t { none, recent, seasonal };
std::string_view method_name(Method m);

// UTC day number (days since 1970-01-01; negative before) -> units used that day.
using DailyUse = std::map<std::int64_t, core::Decimal>;

struct Estimate {
  Method method = Method::none;
  // Days from `now` to the predicted closing, 2 decimals; none for method none or beyond the
  // horizon. 0 when nothing is left.
  std::optional<core::Decimal> days_left;
  std::optional<std::int64_t> closes_at;  // unix seconds, when days_left is given
  bool beyond_horizon = false;            // lasts more than kHorizonDays days
  // The mean use per hour over the days the estimate walked (units/hour: kW for energy), 3
  // decimals; none for method none.
  std::optional<core::Decimal> rate;
  int years_used = 0;       // seasonal: earlier years walked
  int years_discarded = 0;  // seasonal: earlier years discarded as far off
};

// The UTC day a time falls in (also before 1970).
std::int64_t day_of(std::int64_t unix_seconds);
// Civil date <-> day number (proleptic Gregorian calendar).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d);
struct Civil {
  std::int64_t year;
  unsigned month, day;
};
Civil civil_from_days(std::int64_t day);
bool leap_year(std::int64_t y);
// The matching day of `day`, `years_back` years earlier (29 Feb -> 28 Feb in a common year).
std::int64_t matching_day(std::int64_t day, int years_back);

// The estimate for `left` units still paid for at `now`. An error only when a value is too
// large for the exact arithmetic (a corrupt history).
core::Result<Estimate> estimate(const core::Decimal& left, std::int64_t now,
                                const DailyUse& history);

}  // namespace ml::server::estimate
