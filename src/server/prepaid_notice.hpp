// The prepaid customer notices (docs/alarms.md, "Prepaid notices"): top-up received, running low,
// closed. Pure: the caller gives the meter's prepaid facts now and the state kept from the last
// evaluation, and gets the notices due and the state to keep. No clock, no storage, no sending.
//
// Contract:
// - top-up: a payment newer than the last one announced is announced once the valve is seen
//   open (a meter without a valve: at once), or after kTopupWaitSeconds without that (the device
//   may be offline: the customer still hears the payment arrived, with the valve as it is).
// - running low: days_left below low_days sends once; it is sent again only after days_left has
//   been back at or above low_days + rearm_days (hysteresis: a meter hovering at the threshold
//   does not send every minute) or after a top-up.
// - closed: the valve reported closed while nothing is left (remaining <= 0) sends once; armed
//   again when the valve is seen open.
// - Unknown facts (no estimate, valve unknown) never send and never re-arm.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alarm/rule.hpp"
#include "core/decimal.hpp"

namespace ml::server {

inline constexpr std::int64_t kTopupWaitSeconds = 3600;

enum class PrepaidNoticeKind : std::uint8_t { topup, low, closed };
std::string_view prepaid_notice_name(PrepaidNoticeKind kind);  // "topup", "low", "closed"

struct PrepaidNoticeConfig {
  core::Decimal low_days{false, 3, 0};
  core::Decimal rearm_days{false, 1, 0};
};

// What is known of the meter now.
struct PrepaidFacts {
  bool valve_installed = true;
  core::alarm::ValveState valve = core::alarm::ValveState::unknown;
  std::int64_t newest_payment_id = 0;      // 0: no payment
  std::int64_t newest_payment_time = 0;    // when it was stored
  std::optional<core::Decimal> remaining;  // kWh (m3) still paid for
  std::optional<core::Decimal> days_left;  // the estimate's
};

// Kept per meter between evaluations; all zero for a meter never evaluated.
struct PrepaidNoticeState {
  std::int64_t announced_payment_id = 0;  // the newest payment a top-up notice was sent for
  bool low_sent = false;
  bool closed_sent = false;
  bool operator==(const PrepaidNoticeState&) const = default;
};

struct PrepaidNotice {
  PrepaidNoticeKind kind;
  std::int64_t payment_id = 0;  // top-up: the payment announced
  // The outbox key "prepaid:<serial>:<kind>:<payment>:<now>": the caller stores the new state
  // and queues the notices in one transaction, so an evaluation that is repeated after a crash
  // (a later `now`) cannot queue a notice twice.
  std::string dedupe_key;
};

struct PrepaidStep {
  PrepaidNoticeState state;
  std::vector<PrepaidNotice> notices;
};

PrepaidStep prepaid_step(std::string_view serial, const PrepaidNoticeState& previous,
                         const PrepaidFacts& facts, const PrepaidNoticeConfig& config,
                         std::int64_t now);

}  // namespace ml::server
