// A resident's consumption per period (server/usecases/consumption.hpp) on a SQLite store: the
// UTC buckets of each period (weeks from Monday, calendar months and years), the use in each from
// the daily rollups (the first reading inside a bucket when none is before it, none for a silent
// bucket or a reset), last year's (364 days back for days and weeks, a calendar year for months
// and years), the median of the group's meters of the same kind (of 3, of 4, none for 2, no
// other group's or kind's meters) and the count's bounds.
#include <gtest/gtest.h>

#include <tuple>

#include "server/degree_days.hpp"
#include "server/sqlite/store.hpp"
#include "server/usecases/consumption.hpp"
#include "sim_support.hpp"

namespace ml::server::usecase {
namespace {

constexpr std::int64_t kDay = 86400;
// 2026-03-18 12:00 UTC, a Wednesday: day 20530.
constexpr std::int64_t kToday = 20530;
constexpr std::int64_t kNow = kToday * kDay + 43200;
constexpr std::int64_t k20250101 = 20089;
constexpr std::int64_t k20250301 = 20148;
constexpr std::int64_t k20260101 = 20454;
constexpr std::int64_t k20260201 = 20485;
constexpr std::int64_t k20260301 = 20513;

// An integer count of 10^-decimals as exact text: 12345 with 2 decimals is "123.45".
std::string units(std::int64_t v, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i)
    scale *= 10;
  std::string fraction = std::to_string(v % scale);
  fraction.insert(0, static_cast<std::size_t>(decimals) - fraction.size(), '0');
  return std::to_string(v / scale) + "." + fraction;
}

// How a meter of the test fleet reads: from day `first` to today, each day adds `energy_2025`
// (before 2026) or `energy_2026` hundredths of a kWh (`peak` on `peak_day`) and `volume`
// thousandths of a m3; today's bucket ends at noon with half a day's use.
struct Series {
  std::int64_t first;
  std::int64_t energy_2025;
  std::int64_t energy_2026;
  std::int64_t volume;
  std::int64_t peak_day = -1;
  std::int64_t peak = 0;
};

std::vector<Rollup> day_rollups(const std::string& serial, const Series& s) {
  std::vector<Rollup> out;
  std::int64_t energy = 100000;  // 1000.00 kWh
  std::int64_t volume = 10000;   // 10.000 m3
  for (std::int64_t day = s.first; day <= kToday; ++day) {
    const bool partial = day == kToday;
    std::int64_t e = day == s.peak_day ? s.peak : day < k20260101 ? s.energy_2025 : s.energy_2026;
    std::int64_t v = s.volume;
    if (partial) {
      e /= 2;
      v /= 2;
    }
    Rollup r;
    r.serial = serial;
    r.bucket = day * kDay;
    r.samples = 24;
    r.first_time = r.bucket;
    r.last_time = r.bucket + (partial ? 43200 : 82800);
    r.energy_first = units(energy, 2);
    r.energy_last = units(energy + e, 2);
    r.volume_first = units(volume, 3);
    r.volume_last = units(volume + v, 3);
    out.push_back(std::move(r));
    energy += e;
    volume += v;
  }
  return out;
}

Meter fleet_meter(const std::string& serial, const std::string& group, core::meter::Kind kind) {
  Meter m;
  m.serial = serial;
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.group = group;
  m.kind = kind;
  return m;
}

std::string text(const std::optional<core::Decimal>& d) {
  return d ? d->to_string() : "none";
}

// Loppen's heat meters A (2.00 kWh a day in 2025 but 12.00 on 2025-03-01, 1.50 in 2026), B (3.00
// from 2026-01-01), C (4.50 from 2026-02-01) and D (10.00 from 2026-03-01); Loppen's water meter W
// (0.250 m3 and 500.00 kWh a day from 2026-01-01); Kildevang's heat meter E (100.00 kWh a day from
// 2025). Had W or E a say in Loppen's heat median, every median below would be another.
class ConsumptionFleet : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(dir_.file("server.db")).value();
    using core::meter::Kind;
    add(a_ = fleet_meter("1000001", "Loppen", Kind::heat),
        {k20250101, 200, 150, 1000, k20250301, 1200});
    add(fleet_meter("1000002", "Loppen", Kind::heat), {k20260101, 0, 300, 1000});
    add(fleet_meter("1000003", "Loppen", Kind::heat), {k20260201, 0, 450, 1000});
    add(fleet_meter("1000004", "Loppen", Kind::heat), {k20260301, 0, 1000, 1000});
    add(w_ = fleet_meter("3000001", "Loppen", Kind::water), {k20260101, 0, 50000, 250});
    add(e_ = fleet_meter("2000001", "Kildevang", Kind::heat), {k20250101, 10000, 10000, 1000});
  }
  void add(const Meter& m, const Series& s) {
    ASSERT_TRUE(store_->add_meter(m).ok());
    ASSERT_TRUE(store_->write_rollups(Period::day, day_rollups(m.serial, s)).ok());
  }
  Consumption of(const Meter& m, ConsumptionPeriod p, int count) {
    auto c = consumption(*store_, m, p, count, kNow);
    EXPECT_TRUE(c.ok()) << c.error().text();
    return c.ok() ? *c : Consumption{};
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  Meter a_, w_, e_;
};

TEST_F(ConsumptionFleet, Months) {
  const auto c = of(a_, ConsumptionPeriod::month, 4);
  EXPECT_EQ(c.period, ConsumptionPeriod::month);
  EXPECT_EQ(c.unit, "kWh");
  ASSERT_EQ(c.buckets.size(), 4u);
  // December 2025 .. March 2026 (partial), in UTC.
  EXPECT_EQ(c.buckets[0].start, 1764547200);  // 2025-12-01
  EXPECT_EQ(c.buckets[0].end, 1767225600);    // 2026-01-01
  EXPECT_EQ(c.buckets[1].start, 1767225600);
  EXPECT_EQ(c.buckets[1].end, 1769904000);  // 2026-02-01
  EXPECT_EQ(c.buckets[2].end, 1772323200);  // 2026-03-01
  EXPECT_EQ(c.buckets[3].start, 1772323200);
  EXPECT_EQ(c.buckets[3].end, 1775001600);  // 2026-04-01
  // December: 31 x 2.00; nothing in December 2024; A alone in the group then.
  EXPECT_EQ(text(c.buckets[0].use), "62.00");
  EXPECT_EQ(text(c.buckets[0].last_year), "none");
  EXPECT_EQ(c.buckets[0].group_meters, 1);
  EXPECT_EQ(text(c.buckets[0].group_median), "none");
  // January: 31 x 1.50; January 2025 from its first reading (none before it): 31 x 2.00. A and
  // B only: too few for a median.
  EXPECT_EQ(text(c.buckets[1].use), "46.50");
  EXPECT_EQ(text(c.buckets[1].last_year), "62.00");
  EXPECT_EQ(c.buckets[1].group_meters, 2);
  EXPECT_EQ(text(c.buckets[1].group_median), "none");
  // February: 28 x 1.50, February 2025 28 x 2.00; the median of 42.00, 84.00 and 126.00.
  EXPECT_EQ(text(c.buckets[2].use), "42.00");
  EXPECT_EQ(text(c.buckets[2].last_year), "56.00");
  EXPECT_EQ(c.buckets[2].group_meters, 3);
  EXPECT_EQ(text(c.buckets[2].group_median), "84.00");
  // March so far: 17.5 days x 1.50; March 2025 from its 1st (not 364 days back, 2025-03-02):
  // 12.00 + 30 x 2.00; the median of 26.25, 52.50, 78.75 and
  // 175.00: the mean of the middle two, exact with one decimal more.
  EXPECT_EQ(text(c.buckets[3].use), "26.25");
  EXPECT_EQ(text(c.buckets[3].last_year), "72.00");
  EXPECT_EQ(c.buckets[3].group_meters, 4);
  EXPECT_EQ(text(c.buckets[3].group_median), "65.625");
}

// Weather: 10.0 degree days a day in February and March 2025, 15.0 a day from 2026-02-01 to
// yesterday (2026-03-17); January 2025 has none. A colder February than last year's: last
// year's 56.00 kWh would have been 56.00 x 420.0 / 280.0. March so far (17 days): last year's
// whole March, 72.00, in 255.0 of 310.0 degree days.
TEST_F(ConsumptionFleet, WeatherCorrectsLastYearForHeatOnly) {
  std::vector<DegreeDay> days;
  for (std::int64_t d = k20250101 + 31; d < k20250301 + 31; ++d)
    days.push_back({d, core::Decimal::parse("10.0").value()});
  for (std::int64_t d = k20260201; d < kToday; ++d)
    days.push_back({d, core::Decimal::parse("15.0").value()});
  ASSERT_TRUE(store_->put_degree_days(days).ok());

  auto c = consumption(*store_, a_, ConsumptionPeriod::month, 3, kNow, true);
  ASSERT_TRUE(c.ok()) << c.error().text();
  EXPECT_TRUE(c->weather_corrected);
  ASSERT_EQ(c->buckets.size(), 3u);
  // January: no degree days in either year.
  EXPECT_EQ(text(c->buckets[0].last_year), "62.00");
  EXPECT_EQ(text(c->buckets[0].degree_days), "none");
  EXPECT_EQ(text(c->buckets[0].last_year_degree_days), "none");
  EXPECT_EQ(text(c->buckets[0].last_year_corrected), "none");
  // February.
  EXPECT_EQ(text(c->buckets[1].degree_days), "420.0");
  EXPECT_EQ(text(c->buckets[1].last_year_degree_days), "280.0");
  EXPECT_EQ(text(c->buckets[1].last_year_corrected), "84.00");
  // March so far; 18360 / 310 = 59.2258..., to last year's 2 decimals.
  EXPECT_EQ(text(c->buckets[2].degree_days), "255.0");
  EXPECT_EQ(text(c->buckets[2].last_year_degree_days), "310.0");
  EXPECT_EQ(text(c->buckets[2].last_year_corrected), "59.23");

  // A day imported again takes its new value (a warm one: 0): February's sums follow.
  ASSERT_TRUE(
      store_
          ->write_transaction([&]() -> core::Status {
            return store_->put_degree_days({{k20260201 + 10, core::Decimal::parse("0").value()}});
          })
          .ok());
  auto zero_day = consumption(*store_, a_, ConsumptionPeriod::month, 3, kNow, true).value();
  EXPECT_EQ(text(zero_day.buckets[1].degree_days), "405.0");
  EXPECT_EQ(text(zero_day.buckets[1].last_year_corrected), "81.00");

  // Not asked for, or not a heat meter: none.
  auto plain = consumption(*store_, a_, ConsumptionPeriod::month, 3, kNow, false).value();
  EXPECT_FALSE(plain.weather_corrected);
  for (const auto& b : plain.buckets) {
    EXPECT_EQ(text(b.degree_days), "none");
    EXPECT_EQ(text(b.last_year_corrected), "none");
  }
  auto water = consumption(*store_, w_, ConsumptionPeriod::month, 3, kNow, true).value();
  EXPECT_FALSE(water.weather_corrected);
  for (const auto& b : water.buckets)
    EXPECT_EQ(text(b.degree_days), "none");
}

TEST_F(ConsumptionFleet, Days) {
  const auto c = of(a_, ConsumptionPeriod::day, 3);
  ASSERT_EQ(c.buckets.size(), 3u);
  EXPECT_EQ(c.buckets[0].start, 1773619200);  // 2026-03-16
  EXPECT_EQ(c.buckets[1].start, 1773705600);  // 2026-03-17
  EXPECT_EQ(c.buckets[2].start, 1773792000);  // 2026-03-18
  EXPECT_EQ(c.buckets[2].end, 1773878400);
  EXPECT_EQ(text(c.buckets[0].use), "1.50");
  // 364 days back: Tuesday 2025-03-18 for Tuesday 2026-03-17, in 2025's 2.00 a day.
  EXPECT_EQ(text(c.buckets[1].last_year), "2.00");
  EXPECT_EQ(text(c.buckets[0].group_median), "3.75");  // (3.00 + 4.50) / 2
  EXPECT_EQ(c.buckets[0].group_meters, 4);
  // Today so far: half a day.
  EXPECT_EQ(text(c.buckets[2].use), "0.75");
  EXPECT_EQ(text(c.buckets[2].group_median), "1.875");  // (1.50 + 2.25) / 2
}

TEST_F(ConsumptionFleet, Weeks) {
  const auto c = of(a_, ConsumptionPeriod::week, 12);
  ASSERT_EQ(c.buckets.size(), 12u);
  // From Monday 2025-12-29 to Monday 2026-03-23, a week each.
  EXPECT_EQ(c.buckets.front().start, 1766966400);
  EXPECT_EQ(c.buckets.back().start, 1773619200);  // Monday 2026-03-16
  EXPECT_EQ(c.buckets.back().end, 1774224000);    // Monday 2026-03-23
  for (const auto& b : c.buckets)
    EXPECT_EQ(b.end - b.start, 7 * kDay);
  // Across the new year: 3 x 2.00 + 4 x 1.50; a year earlier (from Monday 2024-12-30) from the
  // first reading on 2025-01-01: 5 x 2.00. B from its first reading: 4 x 3.00; A and B are too
  // few for a median.
  EXPECT_EQ(text(c.buckets.front().use), "12.00");
  EXPECT_EQ(text(c.buckets.front().last_year), "10.00");
  EXPECT_EQ(c.buckets.front().group_meters, 2);
  EXPECT_EQ(text(c.buckets.front().group_median), "none");
  // This week: 2.5 days x 1.50; 2025-03-17 .. 2025-03-24: 7 x 2.00; the median of 3.75, 7.50,
  // 11.25 and 25.00.
  EXPECT_EQ(text(c.buckets.back().use), "3.75");
  EXPECT_EQ(text(c.buckets.back().last_year), "14.00");
  EXPECT_EQ(text(c.buckets.back().group_median), "9.375");
  // B's first week alone: 2026-01-05 .. 2026-01-12.
  const auto b =
      of(fleet_meter("1000002", "Loppen", core::meter::Kind::heat), ConsumptionPeriod::week, 11);
  EXPECT_EQ(b.buckets.front().start, 1767571200);
  EXPECT_EQ(text(b.buckets.front().use), "21.00");
  EXPECT_EQ(text(b.buckets.front().last_year), "none");
}

TEST_F(ConsumptionFleet, Years) {
  const auto c = of(a_, ConsumptionPeriod::year, 2);
  ASSERT_EQ(c.buckets.size(), 2u);
  EXPECT_EQ(c.buckets[0].start, 1735689600);    // 2025-01-01
  EXPECT_EQ(c.buckets[0].end, 1767225600);      // 2026-01-01
  EXPECT_EQ(c.buckets[1].end, 1798761600);      // 2027-01-01
  EXPECT_EQ(text(c.buckets[0].use), "740.00");  // 365 x 2.00 + 10.00 on 2025-03-01
  EXPECT_EQ(text(c.buckets[0].last_year), "none");
  EXPECT_EQ(c.buckets[0].group_meters, 1);
  // 2026 so far: 76.5 days x 1.50; 2025 a year earlier; the median of 114.75, 175.00, 204.75
  // and 229.50.
  EXPECT_EQ(text(c.buckets[1].use), "114.75");
  EXPECT_EQ(text(c.buckets[1].last_year), "740.00");
  EXPECT_EQ(c.buckets[1].group_meters, 4);
  EXPECT_EQ(text(c.buckets[1].group_median), "189.875");
}

TEST_F(ConsumptionFleet, OnlyTheSameGroupAndKind) {
  // The water meter: its volume in m3, alone of its kind in Loppen.
  auto c = of(w_, ConsumptionPeriod::month, 1);
  EXPECT_EQ(c.unit, "m3");
  ASSERT_EQ(c.buckets.size(), 1u);
  EXPECT_EQ(text(c.buckets[0].use), "4.375");  // 17.5 x 0.250
  EXPECT_EQ(c.buckets[0].group_meters, 1);
  EXPECT_EQ(text(c.buckets[0].group_median), "none");
  // Kildevang's meter: alone in its group.
  c = of(e_, ConsumptionPeriod::month, 1);
  EXPECT_EQ(c.unit, "kWh");
  EXPECT_EQ(text(c.buckets[0].use), "1750.00");
  EXPECT_EQ(c.buckets[0].group_meters, 1);
  EXPECT_EQ(text(c.buckets[0].group_median), "none");
}

TEST_F(ConsumptionFleet, CountBounds) {
  for (const auto& [period, count, max] :
       {std::tuple{ConsumptionPeriod::day, 0, 400}, std::tuple{ConsumptionPeriod::day, 401, 400},
        std::tuple{ConsumptionPeriod::week, 111, 110}, std::tuple{ConsumptionPeriod::month, -1, 60},
        std::tuple{ConsumptionPeriod::month, 61, 60},
        std::tuple{ConsumptionPeriod::year, 21, 20}}) {
    auto c = consumption(*store_, a_, period, count, kNow);
    ASSERT_FALSE(c.ok()) << count;
    EXPECT_EQ(c.error().code, core::Errc::invalid_argument);
    EXPECT_EQ(c.error().detail, "count must be between 1 and " + std::to_string(max));
  }
  // The most of each: the last bucket holds now.
  for (const auto& row : kConsumptionPeriods) {
    auto c = consumption(*store_, a_, row.period, row.max_count, kNow);
    ASSERT_TRUE(c.ok()) << row.name;
    ASSERT_EQ(c->buckets.size(), static_cast<std::size_t>(row.max_count));
    EXPECT_LE(c->buckets.back().start, kNow);
    EXPECT_GT(c->buckets.back().end, kNow);
    for (std::size_t i = 1; i < c->buckets.size(); ++i)
      EXPECT_EQ(c->buckets[i].start, c->buckets[i - 1].end) << row.name;
  }
  // The oldest of 60 months: April 2021.
  auto months = consumption(*store_, a_, ConsumptionPeriod::month, 60, kNow);
  ASSERT_TRUE(months.ok());
  EXPECT_EQ(months->buckets.front().start, 1617235200);
}

TEST(ConsumptionPeriods, Names) {
  for (const auto& row : kConsumptionPeriods) {
    EXPECT_EQ(consumption_period_from_name(row.name), row.period);
    EXPECT_EQ(consumption_period_name(row.period), row.name);
    EXPECT_GE(row.max_count, row.default_count);
  }
  EXPECT_EQ(consumption_period_from_name("fortnight"), std::nullopt);
  EXPECT_EQ(consumption_period_from_name("Month"), std::nullopt);
}

TEST(ConsumptionResets, ExchangedSilentAndUngrouped) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("server.db")).value();
  const Meter m = fleet_meter("4000001", "", core::meter::Kind::heat);
  ASSERT_TRUE(store->add_meter(m).ok());
  // 2026-03-05: 100.00 .. 110.00. 2026-03-06: a new register, 2.00 .. 5.00. 2026-03-07:
  // 5.00 .. 9.00. 2026-03-08: nothing. 2026-03-09: 12.00 .. 15.50. 2026-03-10: 15.50 .. 20.00.
  // 2026-03-11: samples without an energy register.
  struct Day {
    std::int64_t day;
    std::optional<std::string> first, last;
  };
  std::vector<Rollup> rows;
  for (const Day& d : {Day{20517, "100.00", "110.00"}, Day{20518, "2.00", "5.00"},
                       Day{20519, "5.00", "9.00"}, Day{20521, "12.00", "15.50"},
                       Day{20522, "15.50", "20.00"}, Day{20523, std::nullopt, std::nullopt}}) {
    Rollup r;
    r.serial = m.serial;
    r.bucket = d.day * kDay;
    r.samples = 2;
    r.first_time = r.bucket + 60;
    r.last_time = r.bucket + 80000;
    r.energy_first = d.first;
    r.energy_last = d.last;
    rows.push_back(r);
  }
  ASSERT_TRUE(store->write_rollups(Period::day, rows).ok());
  const std::int64_t now = 20523 * kDay + 43200;  // 2026-03-11 12:00
  auto days = consumption(*store, m, ConsumptionPeriod::day, 7, now);
  ASSERT_TRUE(days.ok()) << days.error().text();
  ASSERT_EQ(days->buckets.size(), 7u);
  EXPECT_EQ(days->buckets[0].start, 1772668800);  // 2026-03-05
  std::vector<std::string> uses;
  for (const auto& b : days->buckets) {
    uses.push_back(text(b.use));
    // No group: no median, whatever the meter's own use.
    EXPECT_EQ(b.group_meters, 0);
    EXPECT_EQ(text(b.group_median), "none");
  }
  // The exchange (5.00 - 110.00) is none, not negative; the silent day is none and its use
  // shows on the next day with a reading (15.50 - 9.00); a day without a readable register
  // is none.
  EXPECT_EQ(uses,
            (std::vector<std::string>{"10.00", "none", "4.00", "none", "6.50", "4.50", "none"}));
  // The week of the exchange (from Monday 2026-03-02): 9.00 - 100.00 is none; the next week
  // 20.00 - 9.00.
  auto weeks = consumption(*store, m, ConsumptionPeriod::week, 2, now);
  ASSERT_TRUE(weeks.ok());
  EXPECT_EQ(weeks->buckets[0].start, 1772409600);
  EXPECT_EQ(text(weeks->buckets[0].use), "none");
  EXPECT_EQ(text(weeks->buckets[1].use), "11.00");
}

}  // namespace
}  // namespace ml::server::usecase
