// The estimator's backtest (server/backtest.hpp): a pretend payment of what was actually used
// over the next N days, the estimate from the days before, and the error in days, per method.
#include "server/backtest.hpp"

#include <gtest/gtest.h>

namespace ml::server::estimate {
namespace {

using core::Decimal;

std::int64_t day(std::int64_t y, unsigned m, unsigned d) {
  return days_from_civil(y, m, d);
}

std::string mae(const std::vector<BacktestRow>& rows, const std::string& method, int ahead,
                std::int64_t* count = nullptr) {
  for (const auto& r : rows) {
    if (r.method == method && r.ahead == ahead) {
      if (count) *count = r.count;
      auto d = r.mean_error_days();
      return d ? d->to_string() : "none";
    }
  }
  return "no row";
}

// A year that heats from October to March (100 a day) and not much in between (10 a day).
const char* heating(std::int64_t d) {
  const unsigned m = civil_from_days(d).month;
  return m >= 4 && m <= 9 ? "10" : "100";
}

TEST(EstimateBacktest, ConstantUseIsPredictedExactly) {
  DailyUse h;
  for (std::int64_t d = day(2025, 1, 1); d < day(2027, 3, 1); ++d)
    h[d] = Decimal::parse("24").value();
  BacktestOptions o;
  o.first_day = day(2025, 3, 1);
  o.last_day = day(2026, 12, 31);
  auto rows = backtest(h, o);
  ASSERT_TRUE(rows.ok()) << rows.error().text();
  std::int64_t n = 0;
  EXPECT_EQ(mae(*rows, "recent", 14, &n), "0.00");
  EXPECT_GT(n, 30);
  EXPECT_EQ(mae(*rows, "seasonal", 30, &n), "0.00");
  EXPECT_GT(n, 30);
  EXPECT_EQ(mae(*rows, "recent-only", 30), "0.00");
  // Rows by method, then N.
  ASSERT_GE(rows->size(), 6u);
  EXPECT_EQ((*rows)[0].method, "seasonal");
  EXPECT_EQ((*rows)[0].ahead, 14);
  EXPECT_EQ((*rows)[1].ahead, 30);
  EXPECT_EQ((*rows)[2].method, "recent");
}

TEST(EstimateBacktest, SeasonsBiteTheRecentMethod) {
  DailyUse h;
  for (std::int64_t d = day(2025, 1, 1); d < day(2027, 1, 1); ++d)
    h[d] = Decimal::parse(heating(d)).value();
  // Three starts in September 2026, a year after the same days of 2025: the heating begins in
  // October. Seasonal knows it; the last week alone (10 a day) does not.
  BacktestOptions o;
  o.first_day = day(2026, 9, 10);
  o.last_day = day(2026, 9, 24);
  o.ahead_days = {30};
  auto rows = backtest(h, o);
  ASSERT_TRUE(rows.ok()) << rows.error().text();
  std::int64_t n = 0;
  EXPECT_EQ(mae(*rows, "seasonal", 30, &n), "0.00");
  EXPECT_EQ(n, 3);
  // From 10 September: 21 days at 10 and 9 at 100 = 1110 paid; the last week says 10 a day:
  // 111 days, 81 late. From 17 September: 14 x 10 + 16 x 100 = 1740: 174 days, 144 late. From
  // 24 September: 7 x 10 + 23 x 100 = 2370: 237 days, 207 late. Mean 144.
  EXPECT_EQ(mae(*rows, "recent-only", 30, &n), "144.00");
  EXPECT_EQ(n, 3);
  EXPECT_EQ(mae(*rows, "recent", 30), "no row");
}

TEST(EstimateBacktest, IncompleteWindowsAndNoHistoryAreSkippedOrCounted) {
  DailyUse h;
  for (std::int64_t d = day(2026, 1, 1); d < day(2026, 2, 1); ++d)
    h[d] = Decimal::parse("5").value();
  BacktestOptions o;
  o.first_day = day(2026, 1, 1);  // no day before it: none
  o.last_day = day(2026, 1, 31);
  o.ahead_days = {14};
  o.step_days = 1;
  auto rows = backtest(h, o);
  ASSERT_TRUE(rows.ok());
  std::int64_t n = 0;
  EXPECT_EQ(mae(*rows, "none", 14, &n), "none");
  EXPECT_EQ(n, 1);
  // Starts 2 .. 18 January have 14 known days ahead; later ones do not.
  EXPECT_EQ(mae(*rows, "recent", 14, &n), "0.00");
  EXPECT_EQ(n, 17);
  // Merging adds counts and errors.
  std::vector<BacktestRow> all;
  merge_rows(all, *rows);
  merge_rows(all, *rows);
  EXPECT_EQ(mae(all, "recent", 14, &n), "0.00");
  EXPECT_EQ(n, 34);
}

}  // namespace
}  // namespace ml::server::estimate
