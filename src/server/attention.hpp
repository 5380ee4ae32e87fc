// What needs an operator now (the dashboard's first page, docs/api.md "Needs attention"), pure:
// the caller reads the meters' facts, the open alarms, the rejected messages and the commands from
// the store; this sorts them into the page's lists and sums the fleet. No clock, no storage.
//
// Contract:
// - offline: meters that are not online (the caller decides with [http] offline_after_s), the
//   longest silent first.
// - running_out: meters whose estimate says fewer than config.running_out_days days left (and
//   more than 0: a closed meter is in closed lists, not here), soonest first.
// - closed_with_credit: a valve reported closed while remaining > 0: a manual close or a fault.
// - used_up: a valve still reported open while remaining <= 0: the device did not close it.
// - groups: per group (sorted by name) the meters, online and offline counts, and the energy
//   delivered today, this month and per day over the last kSummaryDays days (UTC days: the daily
//   rollups' buckets), summed exactly over the meters that have the day.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"

namespace ml::server {

inline constexpr int kSummaryDays = 31;

// UTC day number -> energy used that day (kWh; m3 for a water meter).
using DayUse = std::map<std::int64_t, core::Decimal>;

struct MeterFacts {
  std::string serial;
  std::string name;
  std::string group;
  bool water = false;  // its ledger and use count m3, not kWh: left out of the energy sums
  bool online = false;
  std::int64_t last_seen = 0;  // 0: never
  bool valve_installed = false;
  std::string valve;  // the newest `status` reply: "open", "close", ... ("" when none)
  std::optional<core::Decimal> remaining;
  std::optional<core::Decimal> days_left;
  DayUse daily;
};

struct AttentionConfig {
  core::Decimal running_out_days{false, 7, 0};
};

struct GroupSummary {
  std::string group;
  int meters = 0;
  int online = 0;
  int offline = 0;
  core::Decimal today;
  core::Decimal month;
  std::vector<std::pair<std::int64_t, core::Decimal>> daily;  // the last kSummaryDays days
};

struct Attention {
  // Indexes into the facts given.
  std::vector<std::size_t> offline;
  std::vector<std::size_t> running_out;
  std::vector<std::size_t> closed_with_credit;
  std::vector<std::size_t> used_up;
  std::vector<GroupSummary> groups;
};

// `today`: the UTC day number of now; `month_start`: the day number of the 1st of its month.
Attention attention(const std::vector<MeterFacts>& meters, std::int64_t today,
                    std::int64_t month_start, const AttentionConfig& config);

}  // namespace ml::server
