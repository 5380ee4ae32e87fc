// A resident's consumption per period: the use of one meter in each of the last `count` days,
// weeks, months or years, beside its use in the same period a year earlier and the median use of
// the similar meters of its group. Read from the daily rollups only (no samples).
//
// Buckets, all in UTC, as [start, end) in unix seconds:
//   day    a calendar day, 00:00 to the next 00:00;
//   week   Monday 00:00 to the next Monday 00:00;
//   month  a calendar month, from its 1st to the next month's 1st;
//   year   a calendar year, from 1 January to the next 1 January.
// `count` buckets, oldest first, the last one the one that holds `now` (so it is partial). A
// count outside 1 .. max_count of the period (kConsumptionPeriods) is Errc::invalid_argument.
//
// A meter's use in a bucket [s, e), from its daily rollups (Period::day), with the energy
// register (kWh) for a heat or electricity meter and the volume register (m3) for a water meter:
//   - the reading at a boundary t is the last reading (energy_last, volume_last) of the newest
//     day bucket that starts before t and has a readable register;
//   - use = reading(e) - reading(s); when there is no reading before s, the first reading
//     (energy_first, volume_first) of the first day bucket inside [s, e) stands for reading(s);
//   - none when no day bucket inside [s, e) has a reading (the meter said nothing then: its use
//     is unknown, not 0; what it used shows in the next bucket it has a reading in);
//   - none when the difference is negative (a meter exchanged or its register reset), never a
//     negative use; none when a value does not fit the exact arithmetic.
// Every value is an exact decimal with the decimals of the readings.
//
// last_year: the same on the bucket shifted back, a day or a week by 364 days (the same
// weekday), a month or a year by one calendar year (March 2026 -> March 2025).
//
// group_median: the median of the uses in the bucket of every meter of the same group and the
// same kind (this meter included), the meters without a use left out; for an even number the
// mean of the middle two, exact (one decimal more than the two when halving needs it). Only when
// at least kMinGroupForMedian meters have a use, so that no resident learns one neighbour's
// use; none for a meter without a group. group_meters: how many meters had a use (also when
// they were too few for a median).
//
// Weather (docs/residents.md, "Weather"): with `weather_correction`, for a heat meter, each
// bucket also carries the heating degree days of its days up to yesterday (store/weather.hpp;
// today's are not known yet) and of its last-year bucket, each only when every one of those days
// has a value; and last_year_corrected = last_year x degree_days / last_year_degree_days, what
// last year's use would have been in this year's weather so far (heat for rooms grows with the
// degree days), rounded half-to-even to last_year's decimals; none without both sums, or when
// last year's is 0.
//
// A reading at a bucket's start is looked for back to kConsumptionLookbackDays days before the
// first bucket (before the first last-year bucket for last_year): a meter silent for longer
// before it counts from its first reading inside the bucket.
//
// Cost: one read snapshot; in it one read of the daily rollups per meter of the group (a group of
// thousands of meters costs thousands of reads): this meter's from the lookback before its first
// last-year bucket to `now` (a little over a year more than the buckets), each other meter's from
// the lookback before the first bucket to `now`.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server::usecase {

enum class ConsumptionPeriod : std::uint8_t { day, week, month, year };

struct ConsumptionPeriodInfo {
  ConsumptionPeriod period;
  std::string_view name;  // as the API and the command line spell it
  int default_count;      // buckets shown when the request does not say
  int max_count;          // the most buckets one request may ask for
};

inline constexpr std::array<ConsumptionPeriodInfo, 4> kConsumptionPeriods{{
    {ConsumptionPeriod::day, "day", 31, 400},
    {ConsumptionPeriod::week, "week", 26, 110},
    {ConsumptionPeriod::month, "month", 12, 60},
    {ConsumptionPeriod::year, "year", 5, 20},
}};

constexpr const ConsumptionPeriodInfo& consumption_period_info(ConsumptionPeriod p) {
  for (const auto& row : kConsumptionPeriods)
    if (row.period == p) return row;
  return kConsumptionPeriods.front();  // unreachable: every enumerator has a row
}
constexpr std::string_view consumption_period_name(ConsumptionPeriod p) {
  return consumption_period_info(p).name;
}
constexpr std::optional<ConsumptionPeriod> consumption_period_from_name(std::string_view name) {
  for (const auto& row : kConsumptionPeriods)
    if (row.name == name) return row.period;
  return std::nullopt;
}

struct ConsumptionBucket {
  std::int64_t start = 0, end = 0;            // [start, end) unix seconds, UTC
  std::optional<core::Decimal> use;           // this meter's use in the bucket (kWh, or m3)
  std::optional<core::Decimal> last_year;     // its use in the same bucket one year earlier
  std::optional<core::Decimal> group_median;  // median use of the group's similar meters
  int group_meters = 0;                       // how many meters' uses the median is of
  // With weather correction (above): the degree days of the bucket so far and of its last-year
  // bucket, and last year's use in this year's weather.
  std::optional<core::Decimal> degree_days;
  std::optional<core::Decimal> last_year_degree_days;
  std::optional<core::Decimal> last_year_corrected;
};

struct Consumption {
  ConsumptionPeriod period = ConsumptionPeriod::day;
  std::string unit;                        // "kWh" or "m3" (the kind's credit unit)
  std::vector<ConsumptionBucket> buckets;  // oldest first, the last one holds `now` (partial)
  bool weather_corrected = false;          // asked for, and a heat meter: the Weather fields
};

inline constexpr int kMinGroupForMedian = 3;
// How far before the first bucket (or the first last-year bucket) a reading is looked for.
inline constexpr std::int64_t kConsumptionLookbackDays = 35;

// The consumption of `meter` in `count` buckets of `period` up to `now` (the rules above).
core::Result<Consumption> consumption(ServerStore& store, const Meter& meter,
                                      ConsumptionPeriod period, int count, std::int64_t now,
                                      bool weather_correction = false);

}  // namespace ml::server::usecase
