// How well the time-left estimator (server/estimate.hpp) would have done on a stored history:
// pure, no store, no I/O (the command is `meterlogger-server estimate backtest`; docs/server.md,
// "Estimates").
//
// For each start day s (from `first_day` to `last_day`, every `step_days`) and each N in
// `ahead_days`: the days s .. s+N-1 must all be in the history; a payment of exactly what the
// meter used over them is pretended at the start of day s, so the valve would have closed at
// the end of day s+N-1. The estimator runs at that time on the days before s only, and its
// predicted closing is compared with the actual one:
//   - under the method it chose ("seasonal", "recent"; "none" counts starts without an estimate);
//   - and, for comparison, under "recent-only": the estimator given only the kRecentDays days
//     before s, so it always uses the recent method.
// A prediction beyond the horizon counts as closing at the horizon. The error of a case is
// |predicted - actual| in days; a row gives the count and the mean absolute error (2 decimals).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/estimate.hpp"

namespace ml::server::estimate {

struct BacktestOptions {
  std::int64_t first_day = 0;  // UTC day numbers, inclusive
  std::int64_t last_day = 0;
  std::vector<int> ahead_days{14, 30};
  int step_days = 7;
};

struct BacktestRow {
  std::string method;  // seasonal, recent, recent-only, none
  int ahead = 0;       // N
  std::int64_t count = 0;
  std::int64_t error_seconds = 0;  // the sum of |predicted - actual|
  // The mean absolute error in days, 2 decimals; none when count is 0 or for "none".
  std::optional<core::Decimal> mean_error_days() const;
};

// The rows, ordered by method (seasonal, recent, recent-only, none) then N; rows with a count
// of 0 are left out. Adding the rows of several meters: merge_rows.
core::Result<std::vector<BacktestRow>> backtest(const DailyUse& history,
                                                const BacktestOptions& options);
void merge_rows(std::vector<BacktestRow>& into, const std::vector<BacktestRow>& rows);

}  // namespace ml::server::estimate
