// The estimate from the store (server/usecases/estimates.hpp): the daily use read from the daily
// rollups (within a bucket, between buckets shared by the seconds of each day, resets as no use)
// and estimate_for / days_left on every store backend (store_contract.hpp).
#include <gtest/gtest.h>

#include "server/ledger.hpp"
#include "server/usecases/estimates.hpp"
#include "store_contract.hpp"

namespace ml::server::usecase {
namespace {

using core::Decimal;
using estimate::kDaySeconds;

Rollup bucket(std::int64_t day, std::int64_t first_s, const char* first, std::int64_t last_s,
              const char* last) {
  Rollup r;
  r.bucket = day * kDaySeconds;
  r.samples = 2;
  r.first_time = r.bucket + first_s;
  r.last_time = r.bucket + last_s;
  r.energy_first = first;
  r.energy_last = last;
  r.volume_first = "1";
  r.volume_last = "2";
  return r;
}

std::string at(const estimate::DailyUse& h, std::int64_t day) {
  auto it = h.find(day);
  return it == h.end() ? "none" : it->second.to_string();
}

TEST(EstimateDailyUse, WithinAndBetweenBuckets) {
  // Day 10: 100 at 00:01 .. 110 at 23:00. Day 11: 112 at 01:00 (2 kWh over 2 hours: one each
  // side of midnight) .. 120 at 22:00. Day 14: 130 at 12:00 (10 kWh over 2 days and 14 hours:
  // 2 h on day 11, 24 h on days 12 and 13, 12 h on day 14) .. 131.
  const std::vector<Rollup> rows{bucket(11, 3600, "112", 79200, "120"),
                                 bucket(10, 60, "100", 82800, "110"),
                                 bucket(14, 43200, "130", 50000, "131")};
  const auto h = daily_use(rows, false);
  EXPECT_EQ(at(h, 10), "11");
  // 8 + 1 + 10 x 2/62
  EXPECT_EQ(Decimal::parse(at(h, 11)).value().multiplied(1, 1, 3).value().to_string(), "9.323");
  EXPECT_EQ(at(h, 12), "3.870968");
  EXPECT_EQ(at(h, 13), "3.870968");
  EXPECT_EQ(at(h, 14), "2.935484");
  EXPECT_EQ(at(h, 9), "none");
  // The volume instead for a water meter: 1 within each bucket, nothing between.
  const auto w = daily_use(rows, true);
  EXPECT_EQ(at(w, 10), "1");
  EXPECT_EQ(at(w, 12), "none");
}

TEST(EstimateDailyUse, ResetsCountAsNoUse) {
  // A meter exchange on day 2: the new register starts at 5.
  const std::vector<Rollup> rows{bucket(1, 0, "1000", 86000, "1024"),
                                 bucket(2, 0, "5", 86000, "29"), bucket(3, 0, "30", 80000, "20")};
  const auto h = daily_use(rows, false);
  EXPECT_EQ(at(h, 1), "24");
  // 29 at 23:53:20 -> 30 at midnight counts on day 2; 30 -> 20 within day 3 is no use.
  EXPECT_EQ(at(h, 2), "25");
  EXPECT_EQ(at(h, 3), "0");
  EXPECT_EQ(daily_use({}, false).size(), 0u);
}

class EstimateStore : public test_store::StoreContract {};

TEST_P(EstimateStore, EstimateForAMeterFromItsSamples) {
  Meter m = add_test_meter("1192");
  m.valve_installed = true;
  ASSERT_TRUE(store_->update_meter(m).ok());
  // Ten days of hourly samples at 1 kWh an hour from 1000 kWh, and the next midnight's.
  const std::int64_t day0 = 20000 * kDaySeconds;
  std::vector<IngestItem> items;
  for (int h = 0; h <= 240; ++h) {
    items.push_back(sample(day0 + h * 3600, "t1=60 C&e1=" + std::to_string(1000 + h) + " kWh&"));
  }
  ASSERT_TRUE(store_items(*store_, items, day0 + 241 * 3600).ok());
  const std::int64_t now = day0 + 10 * kDaySeconds;
  // Nothing paid: the limit (1192) is below the reading (1240): closed now.
  auto e = estimate_for(*store_, "6892850", now);
  ASSERT_TRUE(e.ok()) << e.error().text();
  ASSERT_TRUE(e->left);
  EXPECT_EQ(e->left->to_string(), "-48");
  EXPECT_EQ(e->estimate.method, estimate::Method::recent);
  EXPECT_EQ(e->estimate.days_left.value().to_string(), "0.00");
  // 96 kWh paid: 48 left, 2 days at 24 a day.
  Payment p;
  p.serial = "6892850";
  p.amount = Decimal::parse("96").value();
  p.price = Decimal::parse("1").value();
  ASSERT_TRUE(record_payment(*store_, p, "anna", now).ok());
  e = estimate_for(*store_, "6892850", now);
  ASSERT_TRUE(e.ok()) << e.error().text();
  EXPECT_EQ(e->left->to_string(), "48");
  EXPECT_EQ(e->estimate.days_left.value().to_string(), "2.00");
  EXPECT_EQ(e->estimate.closes_at, now + 2 * kDaySeconds);
  EXPECT_EQ(e->estimate.rate.value().to_string(), "1.000");
  auto d = days_left(*store_, "6892850", now);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->value().to_string(), "2.00");
  // 10 000 kWh more lasts beyond the horizon: days_left says at least 400.
  p.amount = Decimal::parse("10000").value();
  ASSERT_TRUE(record_payment(*store_, p, "anna", now).ok());
  d = days_left(*store_, "6892850", now);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->value().to_string(), "400");
  // No such meter; a meter without a sample has no estimate.
  auto missing = estimate_for(*store_, "1234567", now);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail, "no meter 1234567");
  Meter other;
  other.serial = "0000040";
  other.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(other).ok());
  e = estimate_for(*store_, "0000040", now);
  ASSERT_TRUE(e.ok());
  EXPECT_FALSE(e->left);
  EXPECT_EQ(e->estimate.method, estimate::Method::none);
  d = days_left(*store_, "0000040", now);
  ASSERT_TRUE(d.ok());
  EXPECT_FALSE(*d);
}

// The cache gives the same estimate as a fresh read, reads a meter's history once a day, and
// reads it again on the next day.
TEST_P(EstimateStore, DailyUseCacheKeepsADaysHistory) {
  Meter m = add_test_meter("1192");
  const std::int64_t day0 = 20000 * kDaySeconds;
  std::vector<IngestItem> items;
  for (int h = 0; h <= 240; ++h) {
    items.push_back(sample(day0 + h * 3600, "t1=60 C&e1=" + std::to_string(1000 + h) + " kWh&"));
  }
  ASSERT_TRUE(store_items(*store_, items, day0 + 241 * 3600).ok());
  const std::int64_t now = day0 + 10 * kDaySeconds + 60;
  auto latest = store_->latest_sample(m.serial);
  ASSERT_TRUE(latest.ok() && *latest);
  const Decimal limit = Decimal::parse("1288").value();  // 48 left
  DailyUseCache cache;
  auto fresh = estimate_for(*store_, m, limit, &**latest, now);
  auto cached = estimate_for(*store_, m, limit, &**latest, now, &cache);
  ASSERT_TRUE(fresh.ok() && cached.ok());
  EXPECT_EQ(cached->estimate.days_left, fresh->estimate.days_left);
  EXPECT_EQ(cached->estimate.days_left.value().to_string(), "2.00");
  auto first = cache.get(*store_, m.serial, false, now);
  ASSERT_TRUE(first.ok());
  // Ten hours of 10 kWh an hour arrive late for a past day: the cache keeps the day's read...
  items.clear();
  for (int h = 0; h <= 9; ++h) {
    items.push_back(sample(day0 + 5 * kDaySeconds + h * 360 + 1,
                           "t1=60 C&e1=" + std::to_string(1120 + h * 10) + " kWh&"));
  }
  ASSERT_TRUE(store_items(*store_, items, now).ok());
  auto again = cache.get(*store_, m.serial, false, now + 3600);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->get(), first->get()) << "the same history object: not read again";
  // ... and the next day reads its last days again: the late hours (5 days back) count now.
  auto tomorrow = cache.get(*store_, m.serial, false, now + kDaySeconds);
  ASSERT_TRUE(tomorrow.ok());
  EXPECT_NE(tomorrow->get(), first->get());
  auto full = read_daily_use(*store_, m.serial, false, history_start(now + kDaySeconds),
                             now + kDaySeconds + 1);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(**tomorrow, *full) << "the update of the last days gives what a full read gives";
}

// The cache is bounded by the days of history it holds, not by meters: two meters of N days each
// are kept in a room of 2N + 5 days, and in a room of N + 5 the second one empties it (the first
// is read again, a new history object).
TEST_P(EstimateStore, DailyUseCacheIsBoundedByTheDaysItHolds) {
  const std::int64_t day0 = 20000 * kDaySeconds;
  const std::int64_t now = day0 + 11 * kDaySeconds;
  add_test_meter();
  add_test_meter("0", "6892851");
  for (const char* serial : {"6892850", "6892851"}) {
    std::vector<IngestItem> items;
    for (int d = 0; d <= 10; ++d) {
      items.push_back(
          sample(day0 + d * kDaySeconds + 3600, "e1=" + std::to_string(1000 + d) + " kWh&"));
      items.back().serial = serial;
    }
    ASSERT_TRUE(store_items(*store_, items, now).ok());
  }
  auto full = read_daily_use(*store_, "6892850", false, history_start(now), now + 1);
  ASSERT_TRUE(full.ok());
  const std::size_t days = full->size();  // each meter's
  ASSERT_GE(days, 10u);
  for (const std::size_t room : {2 * days + 5, days + 5}) {
    DailyUseCache cache(room);
    auto a = cache.get(*store_, "6892850", false, now);
    ASSERT_TRUE(a.ok());
    ASSERT_EQ(**a, *full);
    ASSERT_TRUE(cache.get(*store_, "6892851", false, now).ok());
    auto a_again = cache.get(*store_, "6892850", false, now);
    ASSERT_TRUE(a_again.ok());
    if (room > 2 * days) {
      EXPECT_EQ(a_again->get(), a->get()) << "both meters kept";
    } else {
      EXPECT_NE(a_again->get(), a->get()) << "the second meter emptied the cache";
      EXPECT_EQ(**a_again, *full);
    }
  }
}

// Day after day the cache reads only the last days, and says what a full read says each day:
// a meter that reports every hour for 40 days, read by the cache once a day.
TEST_P(EstimateStore, DailyUseCacheBroughtUpToDateDayByDayEqualsAFullRead) {
  Meter m = add_test_meter("1193");
  const std::int64_t day0 = 20000 * kDaySeconds;
  DailyUseCache cache;
  std::int64_t total = 1000;
  for (int day = 0; day < 40; ++day) {
    std::vector<IngestItem> items;
    for (int h = 0; h < 24; ++h) {
      total += 1 + (day * 7 + h) % 5;  // a use that differs from day to day
      items.push_back(sample(day0 + day * kDaySeconds + h * 3600 + 30,
                             "t1=60 C&e1=" + std::to_string(total) + " kWh&"));
    }
    ASSERT_TRUE(store_items(*store_, items, day0 + (day + 1) * kDaySeconds).ok());
    const std::int64_t now = day0 + day * kDaySeconds + 23 * 3600 + 60;
    auto cached = cache.get(*store_, m.serial, false, now);
    auto full = read_daily_use(*store_, m.serial, false, history_start(now), now + 1);
    ASSERT_TRUE(cached.ok() && full.ok());
    EXPECT_EQ(**cached, *full) << "day " << day;
  }
}

// The backtest through the store: two years of one sample a day (at midnight) from a year
// that heats from October to March (100 a day) and uses 10 a day in between; three starts in
// September 2026. The same answer as the pure backtest (backtest_test.cpp): seasonal exact, the
// last week alone 144 days off on average.
TEST_P(EstimateStore, BacktestOfAStoredHistory) {
  add_test_meter("0");
  const std::int64_t first = estimate::days_from_civil(2025, 1, 1);
  const std::int64_t last = estimate::days_from_civil(2027, 1, 1);
  std::vector<IngestItem> items;
  std::int64_t total = 1000;
  for (std::int64_t d = first; d <= last; ++d) {
    items.push_back(sample(d * kDaySeconds, "t1=60 C&e1=" + std::to_string(total) + " kWh&"));
    const unsigned month = estimate::civil_from_days(d).month;
    total += month >= 4 && month <= 9 ? 10 : 100;
  }
  ASSERT_TRUE(store_items(*store_, items, last * kDaySeconds).ok());
  estimate::BacktestOptions o;
  o.first_day = estimate::days_from_civil(2026, 9, 10);
  o.last_day = estimate::days_from_civil(2026, 9, 24);
  o.ahead_days = {30};
  auto rows = backtest_meter(*store_, "6892850", o);
  ASSERT_TRUE(rows.ok()) << rows.error().text();
  ASSERT_EQ(rows->size(), 2u);
  EXPECT_EQ((*rows)[0].method, "seasonal");
  EXPECT_EQ((*rows)[0].count, 3);
  EXPECT_EQ((*rows)[0].mean_error_days().value().to_string(), "0.00");
  EXPECT_EQ((*rows)[1].method, "recent-only");
  EXPECT_EQ((*rows)[1].count, 3);
  EXPECT_EQ((*rows)[1].mean_error_days().value().to_string(), "144.00");
  auto missing = backtest_meter(*store_, "1234567", o);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().detail, "no meter 1234567");
}

ML_STORE_CONTRACT(EstimateStore);

}  // namespace
}  // namespace ml::server::usecase
