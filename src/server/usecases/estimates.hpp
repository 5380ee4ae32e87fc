// The time-left estimate of a meter from the store: its daily use read from the daily rollups
// (one query per meter) and the estimator (server/estimate.hpp) run on what is still paid for.
// Every caller (the API's meter list and page, `meters show`, `estimate show`, the alarm
// engine's days_left) goes through estimate_for, so they all say the same (docs/server.md,
// "Estimates").
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/backtest.hpp"
#include "server/estimate.hpp"
#include "server/store.hpp"

namespace ml::server::usecase {

// The daily use from daily rollups (any order): per day energy_last - energy_first of its
// bucket (volume for `water`), plus the use between two buckets (the first reading of one
// minus the last of the one before), shared among the days it spans in proportion to the
// seconds of each. A negative difference (a register reset, a meter exchange) counts as no use.
// A bucket without a readable register is skipped.
estimate::DailyUse daily_use(std::span<const Rollup> days, bool water);

// The daily use of a meter in [from, to) (unix seconds): one read of its daily rollups.
core::Result<estimate::DailyUse> read_daily_use(ServerStore& store, const std::string& serial,
                                                bool water, std::int64_t from, std::int64_t to);

// The first time the estimator can look at: the matching days kMaxYearsBack years back and the
// window around them.
std::int64_t history_start(std::int64_t now);

// The daily use before today of each meter, kept across calls: the estimator uses only whole
// days before today, so a meter's history is brought up to date once per UTC day.
// - The first time (and every kFullReadDays days after, at a day of its own per meter so that
//   a fleet read after a start does not come back all at once) the whole history is read.
// - On the other days only the last kRereadDays days are read again and replace what was kept
//   for them: a sample arriving late for one of those days counts from the next day on, an
//   older one from the meter's next full read.
// Thread-safe; holds at most max_days days of history in all (about 64 bytes each), and at most
// kMaxMeters meters: when full, it starts again empty. The bound is on days, not meters: a young
// fleet of 100 000 meters with a month each fits, and four years of 20 000 meters fit as before
// (a bound of 20 000 meters emptied it several times in every reading of a 50 000-meter prepaid
// fleet, which then read every history again). Without it every estimate reads up to four years
// of daily rollups; `serve` and the alarm round each keep one (docs/server.md, "Estimates").
class DailyUseCache {
 public:
  static constexpr std::size_t kMaxDays = 30'000'000;  // ~1.9 GB at the most
  static constexpr std::size_t kMaxMeters = 1'000'000;
  static constexpr std::int64_t kRereadDays = 7;
  static constexpr std::int64_t kFullReadDays = 28;
  explicit DailyUseCache(std::size_t max_days = kMaxDays) : max_days_(max_days) {}
  core::Result<std::shared_ptr<const estimate::DailyUse>> get(ServerStore& store,
                                                              const std::string& serial, bool water,
                                                              std::int64_t now);

 private:
  struct Entry {
    std::int64_t day = 0;       // the UTC day it was brought up to date
    std::int64_t full_day = 0;  // its next full read is due kFullReadDays after this day
    bool water = false;
    std::shared_ptr<const estimate::DailyUse> use;
  };
  std::size_t max_days_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
  std::size_t days_ = 0;  // the days of history of entries_
};

struct MeterEstimate {
  std::optional<core::Decimal> left;  // open_until - the latest reading; none before a reading
  estimate::Estimate estimate;        // method none when `left` is none
};

// The estimate for a meter at `now`: "no meter <serial>" (Errc::invalid_argument) when there is
// none. A meter without a valve is estimated too (its paid energy); the API shows nothing for
// it, as for `remaining`.
core::Result<MeterEstimate> estimate_for(ServerStore& store, const std::string& serial,
                                         std::int64_t now);
// The same for a meter whose limit (open_until) and newest sample the caller read already; with
// a cache, the history comes from it.
core::Result<MeterEstimate> estimate_for(ServerStore& store, const Meter& meter,
                                         const core::Decimal& limit, const StoredSample* latest,
                                         std::int64_t now, DailyUseCache* cache = nullptr);

// The days_left term of an estimate: its days_left, kHorizonDays beyond the horizon, none when it
// has none.
std::optional<core::Decimal> days_left_of(const estimate::Estimate& e);

// For the alarm engine's `days_left` term: the days the paid energy lasts, 2 decimals;
// kHorizonDays ("at least") when it lasts beyond the horizon; none when there is no estimate
// (no reading, not one whole day of history).
core::Result<std::optional<core::Decimal>> days_left(ServerStore& store, const std::string& serial,
                                                     std::int64_t now);

// The backtest (server/backtest.hpp) of one meter's stored history: "no meter <serial>"
// (Errc::invalid_argument) when there is none. One read of its daily rollups.
core::Result<std::vector<estimate::BacktestRow>> backtest_meter(
    ServerStore& store, const std::string& serial, const estimate::BacktestOptions& options);

}  // namespace ml::server::usecase
