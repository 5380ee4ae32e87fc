// The time-left estimator (server/estimate.hpp): the calendar, the methods (none, recent,
// seasonal), the median over years and the discarding of a year far off it, gaps, leap years,
// summers without use, and the horizon.
#include "server/estimate.hpp"

#include <gtest/gtest.h>

namespace ml::server::estimate {
namespace {

using core::Decimal;

Decimal dec(const char* s) {
  return Decimal::parse(s).value();
}

std::int64_t day(std::int64_t y, unsigned m, unsigned d) {
  return days_from_civil(y, m, d);
}

std::int64_t at(std::int64_t y, unsigned m, unsigned d, std::int64_t seconds = 0) {
  return day(y, m, d) * kDaySeconds + seconds;
}

// Every day in [from, to) uses `units`.
void fill(DailyUse& h, std::int64_t from, std::int64_t to, const char* units) {
  for (std::int64_t d = from; d < to; ++d)
    h[d] = dec(units);
}

std::string text(const std::optional<Decimal>& d) {
  return d ? d->to_string() : "none";
}

TEST(Estimate, CalendarRoundTripsAndMatchesDays) {
  EXPECT_EQ(day(1970, 1, 1), 0);
  EXPECT_EQ(day(2026, 12, 3), 20790);
  EXPECT_EQ(day(1969, 12, 31), -1);
  for (std::int64_t d = -800; d < 80000; d += 37) {
    const Civil c = civil_from_days(d);
    EXPECT_EQ(days_from_civil(c.year, c.month, c.day), d);
  }
  EXPECT_EQ(day_of(-1), -1);
  EXPECT_EQ(day_of(86399), 0);
  EXPECT_TRUE(leap_year(2028));
  EXPECT_TRUE(leap_year(2000));
  EXPECT_FALSE(leap_year(2100));
  EXPECT_FALSE(leap_year(2027));
  // 29 February matches 28 February of a common year and 29 February of a leap year.
  EXPECT_EQ(matching_day(day(2028, 2, 29), 1), day(2027, 2, 28));
  EXPECT_EQ(matching_day(day(2028, 2, 29), 4), day(2024, 2, 29));
  EXPECT_EQ(matching_day(day(2028, 3, 1), 1), day(2027, 3, 1));
  EXPECT_EQ(matching_day(day(2027, 1, 15), 2), day(2025, 1, 15));
  EXPECT_EQ(method_name(Method::seasonal), "seasonal");
  EXPECT_EQ(method_name(Method::recent), "recent");
  EXPECT_EQ(method_name(Method::none), "none");
}

TEST(Estimate, NoneWithoutOneWholeDay) {
  const auto now = at(2026, 12, 3, 43200);
  auto e = estimate(dec("100"), now, {}).value();
  EXPECT_EQ(e.method, Method::none);
  EXPECT_FALSE(e.days_left);
  EXPECT_FALSE(e.closes_at);
  EXPECT_FALSE(e.rate);
  // Today's bucket is partial and does not count; nor does a day in the future.
  DailyUse h;
  h[day(2026, 12, 3)] = dec("24");
  h[day(2026, 12, 9)] = dec("24");
  e = estimate(dec("100"), now, h).value();
  EXPECT_EQ(e.method, Method::none);
  EXPECT_FALSE(e.days_left);
}

TEST(Estimate, RecentUsesTheNewestSevenDays) {
  DailyUse h;
  fill(h, day(2026, 11, 1), day(2026, 11, 26), "240");  // older: not used
  fill(h, day(2026, 11, 26), day(2026, 12, 3), "24");   // the newest 7: 24 kWh a day, 1 kW
  const auto now = at(2026, 12, 3);
  auto e = estimate(dec("48"), now, h).value();
  EXPECT_EQ(e.method, Method::recent);
  EXPECT_EQ(text(e.days_left), "2.00");
  EXPECT_EQ(e.closes_at, now + 2 * kDaySeconds);
  EXPECT_EQ(text(e.rate), "1.000");
  EXPECT_FALSE(e.beyond_horizon);
  // From noon the same amount lasts as long: 2 days from now.
  e = estimate(dec("48"), now + 43200, h).value();
  EXPECT_EQ(text(e.days_left), "2.00");
  EXPECT_EQ(e.closes_at, now + 43200 + 2 * kDaySeconds);
  // 10 kWh at 24 a day: 10 hours.
  e = estimate(dec("10"), now, h).value();
  EXPECT_EQ(text(e.days_left), "0.42");
  EXPECT_EQ(e.closes_at, now + 36000);
}

TEST(Estimate, RecentSkipsGapsAndUsesWhatThereIs) {
  DailyUse h;
  // Three days with data, with gaps between them: their mean, 12 a day.
  h[day(2026, 11, 20)] = dec("6");
  h[day(2026, 11, 25)] = dec("12");
  h[day(2026, 12, 1)] = dec("18");
  const auto now = at(2026, 12, 3);
  auto e = estimate(dec("36"), now, h).value();
  EXPECT_EQ(e.method, Method::recent);
  EXPECT_EQ(text(e.days_left), "3.00");
  EXPECT_EQ(text(e.rate), "0.500");
}

TEST(Estimate, NothingLeftClosesNow) {
  DailyUse h;
  fill(h, day(2026, 11, 26), day(2026, 12, 3), "24");
  const auto now = at(2026, 12, 3, 1000);
  for (const char* left : {"0", "-5.5"}) {
    auto e = estimate(dec(left), now, h).value();
    EXPECT_EQ(e.method, Method::recent);
    EXPECT_EQ(text(e.days_left), "0.00");
    EXPECT_EQ(e.closes_at, now);
    EXPECT_EQ(text(e.rate), "1.000");
  }
}

TEST(Estimate, HorizonBoundsTheWalk) {
  DailyUse h;
  fill(h, day(2026, 11, 26), day(2026, 12, 3), "1");
  const auto now = at(2026, 12, 3);
  // 400 a day for 400 days is exactly the horizon; one more does not fit.
  auto e = estimate(dec("400"), now, h).value();
  EXPECT_EQ(text(e.days_left), "400.00");
  e = estimate(dec("401"), now, h).value();
  EXPECT_TRUE(e.beyond_horizon);
  EXPECT_FALSE(e.days_left);
  EXPECT_FALSE(e.closes_at);
  EXPECT_EQ(text(e.rate), "0.042");
  // No use at all: it never closes.
  DailyUse zero;
  fill(zero, day(2026, 11, 26), day(2026, 12, 3), "0");
  e = estimate(dec("1"), now, zero).value();
  EXPECT_EQ(e.method, Method::recent);
  EXPECT_TRUE(e.beyond_horizon);
  EXPECT_EQ(text(e.rate), "0.000");
}

TEST(Estimate, SeasonalWalksTheSameDaysOfLastYear) {
  DailyUse h;
  // Last year: 100 a day in January, 50 a day in February and March.
  fill(h, day(2026, 1, 1), day(2026, 2, 1), "100");
  fill(h, day(2026, 2, 1), day(2026, 4, 1), "50");
  // This year so far: 80 a day (recent would say 80).
  fill(h, day(2026, 12, 1), day(2027, 1, 25), "80");
  const auto now = at(2027, 1, 25);
  // 7 January days (25-31) at 100 and 10 February days at 50: closes at the start of 11 Feb.
  auto e = estimate(dec("1200"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(e.years_used, 1);
  EXPECT_EQ(e.years_discarded, 0);
  EXPECT_EQ(text(e.days_left), "17.00");
  EXPECT_EQ(e.closes_at, at(2027, 2, 11));
  // 1200 kWh over 17 days = 2.941 kW.
  EXPECT_EQ(text(e.rate), "2.941");
  // From noon: half of 25 January (50), then as before.
  e = estimate(dec("1150"), now + 43200, h).value();
  EXPECT_EQ(e.closes_at, at(2027, 2, 11));
  EXPECT_EQ(text(e.days_left), "16.50");
}

TEST(Estimate, SeasonalMedianDiscardsAYearFarOff) {
  DailyUse h;
  const auto now = at(2027, 1, 10);
  // Three earlier years around 10 January: 100, 110, and 1000 a day (a year with a meter
  // exchange: the new register's deltas are far off). The median of the levels is 110; 1000 is
  // above 2 x 110 and discarded; the days use the median of 100 and 110: 105.
  for (int k = 1; k <= 3; ++k) {
    const char* units = k == 1 ? "100" : k == 2 ? "110" : "1000";
    fill(h, day(2027 - k, 1, 1), day(2027 - k, 3, 1), units);
  }
  auto e = estimate(dec("1050"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(e.years_used, 2);
  EXPECT_EQ(e.years_discarded, 1);
  EXPECT_EQ(text(e.days_left), "10.00");
  // A year below half the median goes too: 100, 110 and 20 (an empty flat).
  fill(h, day(2024, 1, 1), day(2024, 3, 1), "20");
  e = estimate(dec("1050"), now, h).value();
  EXPECT_EQ(e.years_used, 2);
  EXPECT_EQ(e.years_discarded, 1);
  EXPECT_EQ(text(e.days_left), "10.00");
  // The bounds are inclusive: levels 50 and 100 and 200: median 100, both kept; days use 100.
  DailyUse edge;
  fill(edge, day(2026, 1, 1), day(2026, 3, 1), "50");
  fill(edge, day(2025, 1, 1), day(2025, 3, 1), "100");
  fill(edge, day(2024, 1, 1), day(2024, 3, 1), "200");
  e = estimate(dec("1000"), now, edge).value();
  EXPECT_EQ(e.years_used, 3);
  EXPECT_EQ(e.years_discarded, 0);
  EXPECT_EQ(text(e.days_left), "10.00");
}

TEST(Estimate, SeasonalNeedsSevenDaysOfThePeriod) {
  DailyUse h;
  const auto now = at(2027, 1, 10);
  // Last year has only 6 days of the 30 ahead: recent is used.
  fill(h, day(2026, 1, 10), day(2026, 1, 16), "100");
  fill(h, day(2027, 1, 3), day(2027, 1, 10), "10");
  auto e = estimate(dec("20"), now, h).value();
  EXPECT_EQ(e.method, Method::recent);
  EXPECT_EQ(text(e.days_left), "2.00");
  // A seventh day makes it seasonal.
  h[day(2026, 1, 16)] = dec("100");
  e = estimate(dec("200"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(text(e.days_left), "2.00");
}

TEST(Estimate, SeasonalFillsGapsFromTheDaysAround) {
  DailyUse h;
  const auto now = at(2027, 1, 10);
  fill(h, day(2026, 1, 1), day(2026, 3, 1), "100");
  // Last year's 11 and 12 January are missing: the days within 3 either side stand in (100).
  h.erase(day(2026, 1, 11));
  h.erase(day(2026, 1, 12));
  auto e = estimate(dec("500"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(text(e.days_left), "5.00");
  // A longer gap (a month) falls back on the years' level (100 over the period's days).
  for (std::int64_t d = day(2026, 1, 20); d < day(2026, 2, 20); ++d)
    h.erase(d);
  e = estimate(dec("3000"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(text(e.days_left), "30.00");
}

TEST(Estimate, SeasonalLeapDay) {
  DailyUse h;
  // 2027 (common): 27 Feb 10, 28 Feb 20, 1 March 40.
  h[day(2027, 2, 27)] = dec("10");
  h[day(2027, 2, 28)] = dec("20");
  fill(h, day(2027, 3, 1), day(2027, 4, 1), "40");
  fill(h, day(2027, 2, 1), day(2027, 2, 27), "10");
  // 2028 is a leap year: from 28 Feb, the walk goes 28 Feb (20), 29 Feb (matches 28 Feb: 20),
  // 1 March (40).
  const auto now = at(2028, 2, 28);
  auto e = estimate(dec("80"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(text(e.days_left), "3.00");
  EXPECT_EQ(e.closes_at, at(2028, 3, 2));
}

TEST(Estimate, SeasonalSummerWithoutUse) {
  DailyUse h;
  // Last year: nothing used from June to August, 10 a day from September.
  fill(h, day(2026, 6, 1), day(2026, 9, 1), "0");
  fill(h, day(2026, 9, 1), day(2026, 12, 1), "10");
  // This summer's last week used something (recent would close within days).
  fill(h, day(2027, 6, 24), day(2027, 7, 1), "5");
  const auto now = at(2027, 7, 1);
  auto e = estimate(dec("100"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  // July (31) + August (31) at 0, then 10 days of September.
  EXPECT_EQ(text(e.days_left), "72.00");
  EXPECT_EQ(e.closes_at, at(2027, 9, 11));
  // Without autumn data the summer lasts forever: beyond the horizon.
  DailyUse summer;
  fill(summer, day(2026, 6, 1), day(2026, 9, 1), "0");
  e = estimate(dec("100"), now, summer).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_TRUE(e.beyond_horizon);
  EXPECT_FALSE(e.days_left);
}

TEST(Estimate, SeasonalBeyondAYearRepeatsTheWalk) {
  DailyUse h;
  // Only last year, 1 a day all year: day 365 onwards of the walk repeats the walk itself.
  fill(h, day(2026, 1, 1), day(2027, 1, 1), "1");
  const auto now = at(2027, 1, 1);
  auto e = estimate(dec("380"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(text(e.days_left), "380.00");
}

TEST(Estimate, RecentReachesDaysOlderThanTheYearsLookedAt) {
  // The only data is six years old, beyond the seasonal method's four years: the recent method
  // still takes the newest 7 days with data, a negative one as 0.
  DailyUse h;
  fill(h, day(2020, 11, 1), day(2020, 11, 8), "28");
  h[day(2020, 11, 7)] = dec("-3");    // (6 x 28 + 0) / 7 = 24 a day
  h[day(2020, 10, 1)] = dec("1000");  // older than the newest 7: not used
  const auto now = at(2026, 12, 3);
  auto e = estimate(dec("48"), now, h).value();
  EXPECT_EQ(e.method, Method::recent);
  EXPECT_EQ(text(e.days_left), "2.00");
  EXPECT_EQ(text(e.rate), "1.000");
}

TEST(Estimate, SeasonalWalkFollowsEachDayAhead) {
  // Last year: 10 a day for the ten days from 3 December, 20 a day after that; the walk uses
  // each day's own value, however far it goes.
  DailyUse h;
  fill(h, day(2025, 12, 3), day(2025, 12, 13), "10");
  fill(h, day(2025, 12, 13), day(2026, 12, 3), "20");
  const auto now = at(2026, 12, 3);
  auto e = estimate(dec("100"), now, h).value();
  EXPECT_EQ(e.method, Method::seasonal);
  EXPECT_EQ(text(e.days_left), "10.00");
  EXPECT_EQ(text(e.rate), "0.417");  // 100 in 240 h
  e = estimate(dec("130"), now, h).value();
  EXPECT_EQ(text(e.days_left), "11.50");
  EXPECT_EQ(text(e.rate), "0.471");  // 130 in 276 h
  // The whole horizon: 100 + 355 x 20 in the year ahead; then 3 days of 20 from the days around
  // (the last days before today), 7 days of the walk's own 10 a year before, 26 days of 20.
  e = estimate(dec("8000"), now, h).value();
  EXPECT_TRUE(e.beyond_horizon);
  EXPECT_FALSE(e.days_left);
  EXPECT_EQ(text(e.rate), "0.816");  // 7850 in 401 x 24 h
  e = estimate(dec("7850"), now, h).value();
  EXPECT_FALSE(e.days_left);  // it would close at the end of day 401: beyond the horizon
  EXPECT_TRUE(e.beyond_horizon);
  e = estimate(dec("7280"), now, h).value();  // 7200 + 3 x 20 + 2 x 10
  EXPECT_EQ(text(e.days_left), "370.00");
}

TEST(Estimate, NegativeDaysCountAsNoUse) {
  DailyUse h;
  fill(h, day(2026, 11, 26), day(2026, 12, 3), "24");
  h[day(2026, 12, 2)] = dec("-1000");  // a register reset: no use that day
  const auto now = at(2026, 12, 3);
  auto e = estimate(dec("24"), now, h).value();
  // (6 x 24 + 0) / 7 = 20.571428 a day.
  EXPECT_EQ(e.method, Method::recent);
  EXPECT_EQ(text(e.days_left), "1.17");
}

}  // namespace
}  // namespace ml::server::estimate
