// A resident's consumption per period (consumption.hpp).
#include "server/usecases/consumption.hpp"

#include <algorithm>
#include <iterator>
#include <span>
#include <utility>

#include "core/meter/kind.hpp"
#include "server/degree_days.hpp"
#include "server/estimate.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {

using core::Decimal;
using estimate::kDaySeconds;

namespace {

// A day bucket's readable register: its first and last reading.
struct DayReading {
  std::int64_t bucket = 0;
  Decimal first;
  Decimal last;
};

// A meter's readable day buckets, oldest first.
using DayReadings = std::vector<DayReading>;

DayReadings day_readings(const std::vector<Rollup>& rows, bool water) {
  DayReadings out;
  out.reserve(rows.size());
  for (const auto& r : rows) {
    const auto& first = water ? r.volume_first : r.energy_first;
    const auto& last = water ? r.volume_last : r.energy_last;
    if (r.samples <= 0 || !first || !last) continue;
    auto f = Decimal::parse(*first);
    auto l = Decimal::parse(*last);
    if (!f || !l) continue;
    out.push_back({r.bucket, *f, *l});
  }
  std::sort(out.begin(), out.end(),
            [](const DayReading& a, const DayReading& b) { return a.bucket < b.bucket; });
  return out;
}

core::Result<DayReadings> read_day_readings(ServerStore& store, const std::string& serial,
                                            bool water, std::int64_t from, std::int64_t now) {
  auto rows = store.rollups(serial, Period::day, from, now);
  if (!rows) return rows.error();
  return day_readings(*rows, water);
}

// The use in [s, e) (consumption.hpp): none without a reading inside, when negative, or when
// it does not fit.
std::optional<Decimal> use_between(std::span<const DayReading> days, std::int64_t s,
                                   std::int64_t e) {
  const auto by_bucket = [](const DayReading& d, std::int64_t t) { return d.bucket < t; };
  const auto inside = std::lower_bound(days.begin(), days.end(), s, by_bucket);
  if (inside == days.end() || inside->bucket >= e) return std::nullopt;
  const auto after = std::lower_bound(inside, days.end(), e, by_bucket);
  const Decimal& start = inside == days.begin() ? inside->first : std::prev(inside)->last;
  const Decimal& end = std::prev(after)->last;
  auto use = core::difference(end, start);
  if (!use || use->negative) return std::nullopt;
  return *use;
}

std::int64_t floor_mod_7(std::int64_t a) {
  const std::int64_t r = a % 7;
  return r < 0 ? r + 7 : r;
}

// Month number since year 0 (January of year y is 12 y) and back.
std::int64_t month_index(std::int64_t day) {
  const auto c = estimate::civil_from_days(day);
  return c.year * 12 + static_cast<std::int64_t>(c.month) - 1;
}
std::int64_t month_start_day(std::int64_t index) {
  const std::int64_t y = index >= 0 ? index / 12 : -((-index + 11) / 12);
  const auto m = static_cast<unsigned>(index - y * 12 + 1);
  return estimate::days_from_civil(y, m, 1);
}

// Day numbers [start, end) of the bucket `back` buckets before the one holding day `today`.
std::pair<std::int64_t, std::int64_t> bucket_days(ConsumptionPeriod period, std::int64_t today,
                                                  std::int64_t back) {
  switch (period) {
    case ConsumptionPeriod::day:
      return {today - back, today - back + 1};
    case ConsumptionPeriod::week: {
      // Day 0 (1970-01-01) was a Thursday: (day + 3) mod 7 is 0 on a Monday.
      const std::int64_t monday = today - floor_mod_7(today + 3) - 7 * back;
      return {monday, monday + 7};
    }
    case ConsumptionPeriod::month: {
      const std::int64_t m = month_index(today) - back;
      return {month_start_day(m), month_start_day(m + 1)};
    }
    case ConsumptionPeriod::year: {
      const std::int64_t y = estimate::civil_from_days(today).year - back;
      return {estimate::days_from_civil(y, 1, 1), estimate::days_from_civil(y + 1, 1, 1)};
    }
  }
  return {today, today + 1};
}

// A bucket's start day one year earlier: 364 days for a day or a week, one calendar year for a
// month or a year (whose buckets start on the 1st: no 29 February to match).
std::int64_t year_before(ConsumptionPeriod period, std::int64_t day) {
  if (period == ConsumptionPeriod::day || period == ConsumptionPeriod::week) return day - 364;
  const auto c = estimate::civil_from_days(day);
  return estimate::days_from_civil(c.year - 1, c.month, c.day);
}

// The median (consumption.hpp); none when fewer than kMinGroupForMedian values.
std::optional<Decimal> group_median_of(std::vector<Decimal> values) {
  if (values.size() < static_cast<std::size_t>(kMinGroupForMedian)) return std::nullopt;
  std::sort(values.begin(), values.end(),
            [](const Decimal& a, const Decimal& b) { return core::compare(a, b) < 0; });
  const std::size_t n = values.size();
  if (n % 2 == 1) return values[n / 2];
  auto both = core::sum(values[n / 2 - 1], values[n / 2]);
  if (!both) return std::nullopt;
  auto mean = core::quotient(*both, Decimal{false, 2, 0}, both->decimals() + 1);
  if (!mean) return std::nullopt;
  return *mean;
}

// A bucket's days and its last-year bucket's, as day numbers [start, end).
struct Span {
  std::int64_t start, end, last_start, last_end;
};

// Last year's use in this year's weather (consumption.hpp, "Weather"): the degree days of the
// bucket up to `today` (not included) and of its last-year bucket into `b`, and the correction.
// `days`: the degree days, sorted.
void correct_for_weather(std::span<const DegreeDay> days, const Span& sp, std::int64_t today,
                         ConsumptionBucket& b) {
  b.degree_days = degree_day_sum(days, sp.start, std::min(sp.end, today));
  b.last_year_degree_days = degree_day_sum(days, sp.last_start, sp.last_end);
  if (!b.last_year || !b.degree_days || !b.last_year_degree_days ||
      b.last_year_degree_days->is_zero())
    return;
  auto scaled = core::product(*b.last_year, *b.degree_days);
  if (!scaled) return;  // too many digits: no correction rather than a wrong one
  auto corrected = core::quotient(*scaled, *b.last_year_degree_days, b.last_year->decimals());
  if (corrected) b.last_year_corrected = *corrected;
}

// The buckets' uses into `out` (its period and unit set): the reads of consumption().
core::Status read_consumption(ServerStore& store, const Meter& meter, int count, std::int64_t now,
                              bool weather, Consumption& out) {
  const ConsumptionPeriod period = out.period;
  const bool water = meter.kind == core::meter::Kind::water;

  // The buckets' days, oldest first, and the same a year earlier.
  const std::int64_t today = estimate::day_of(now);
  std::vector<Span> spans;
  spans.reserve(static_cast<std::size_t>(count));
  for (std::int64_t back = count - 1; back >= 0; --back) {
    const auto [s, e] = bucket_days(period, today, back);
    spans.push_back({s, e, year_before(period, s), year_before(period, e)});
  }
  // One read of this meter's days for both years: from the lookback before the first last-year
  // bucket; the buckets of this year see the days from the lookback before their first only.
  const std::int64_t from = spans.front().start - kConsumptionLookbackDays;
  const std::int64_t last_year_from = spans.front().last_start - kConsumptionLookbackDays;
  auto own = read_day_readings(store, meter.serial, water, last_year_from * kDaySeconds, now);
  if (!own) return own.error();
  const std::span<const DayReading> all(*own);
  const auto recent = all.subspan(static_cast<std::size_t>(
      std::lower_bound(all.begin(), all.end(), from * kDaySeconds,
                       [](const DayReading& d, std::int64_t t) { return d.bucket < t; }) -
      all.begin()));
  // The degree days of every bucket and last-year bucket, in one read (heat meters only).
  out.weather_corrected = weather && meter.kind == core::meter::Kind::heat;
  std::vector<DegreeDay> weather_days;
  if (out.weather_corrected) {
    auto days = store.degree_days(spans.front().last_start, today);
    if (!days) return days.error();
    weather_days = std::move(days).value();
  }
  for (const auto& sp : spans) {
    ConsumptionBucket b;
    b.start = sp.start * kDaySeconds;
    b.end = sp.end * kDaySeconds;
    b.use = use_between(recent, b.start, b.end);
    b.last_year = use_between(all, sp.last_start * kDaySeconds, sp.last_end * kDaySeconds);
    if (out.weather_corrected) correct_for_weather(weather_days, sp, today, b);
    out.buckets.push_back(std::move(b));
  }
  if (meter.group.empty()) return core::Ok{};

  // Every bucket's uses of the group's meters of this kind, this meter's among them.
  std::vector<std::vector<Decimal>> uses(out.buckets.size());
  for (std::size_t i = 0; i < out.buckets.size(); ++i) {
    if (out.buckets[i].use) uses[i].push_back(*out.buckets[i].use);
  }
  auto meters = store.meters();
  if (!meters) return meters.error();
  for (const auto& m : *meters) {
    if (m.serial == meter.serial || m.group != meter.group || m.kind != meter.kind) continue;
    auto days = read_day_readings(store, m.serial, water, from * kDaySeconds, now);
    if (!days) return days.error();
    for (std::size_t i = 0; i < out.buckets.size(); ++i) {
      if (auto u = use_between(*days, out.buckets[i].start, out.buckets[i].end))
        uses[i].push_back(*u);
    }
  }
  for (std::size_t i = 0; i < out.buckets.size(); ++i) {
    out.buckets[i].group_meters = static_cast<int>(uses[i].size());
    out.buckets[i].group_median = group_median_of(std::move(uses[i]));
  }
  return core::Ok{};
}

}  // namespace

core::Result<Consumption> consumption(ServerStore& store, const Meter& meter,
                                      ConsumptionPeriod period, int count, std::int64_t now,
                                      bool weather_correction) {
  const auto& info = consumption_period_info(period);
  if (count < 1 || count > info.max_count) {
    return invalid("count must be between 1 and " + std::to_string(info.max_count));
  }
  Consumption out;
  out.period = period;
  out.unit = std::string(core::meter::info(meter.kind).credit_unit);
  // Every meter's days from one snapshot (and one read transaction, not one a query).
  ML_TRY(store.read_snapshot([&]() -> core::Status {
    return read_consumption(store, meter, count, now, weather_correction, out);
  }));
  return out;
}

}  // namespace ml::server::usecase
