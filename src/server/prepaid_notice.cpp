// prepaid_step: the three notices and their hysteresis (contract in prepaid_notice.hpp).
#include "server/prepaid_notice.hpp"

#include <array>

namespace ml::server {
namespace {

using core::Decimal;
using core::alarm::ValveState;

struct KindRow {
  PrepaidNoticeKind kind;
  std::string_view name;
};
inline constexpr std::array<KindRow, 3> kKinds = {{
    {PrepaidNoticeKind::topup, "topup"},
    {PrepaidNoticeKind::low, "low"},
    {PrepaidNoticeKind::closed, "closed"},
}};

bool below(const std::optional<Decimal>& v, const Decimal& limit) {
  return v && core::compare(*v, limit) < 0;
}

}  // namespace

std::string_view prepaid_notice_name(PrepaidNoticeKind kind) {
  for (const auto& row : kKinds) {
    if (row.kind == kind) return row.name;
  }
  return "?";
}

PrepaidStep prepaid_step(std::string_view serial, const PrepaidNoticeState& previous,
                         const PrepaidFacts& facts, const PrepaidNoticeConfig& config,
                         std::int64_t now) {
  PrepaidStep step{previous, {}};
  auto& s = step.state;
  auto notice = [&](PrepaidNoticeKind kind) {
    step.notices.push_back(PrepaidNotice{
        kind, facts.newest_payment_id,
        "prepaid:" + std::string(serial) + ":" + std::string(prepaid_notice_name(kind)) + ":" +
            std::to_string(facts.newest_payment_id) + ":" + std::to_string(now)});
  };

  // Top-up: a payment not yet announced, once the valve shows it (or the wait is over).
  if (facts.newest_payment_id > s.announced_payment_id) {
    const bool shown = !facts.valve_installed || facts.valve == ValveState::open ||
                       now - facts.newest_payment_time >= kTopupWaitSeconds;
    if (shown) {
      notice(PrepaidNoticeKind::topup);
      s.announced_payment_id = facts.newest_payment_id;
      s.low_sent = false;  // a new payment starts a new period: low and closed may come again
      s.closed_sent = false;
    }
  }

  // Closed: re-armed when the valve is seen open; sent when it closed with nothing left.
  if (facts.valve == ValveState::open) s.closed_sent = false;
  const bool used_up = facts.remaining && core::compare(*facts.remaining, Decimal{}) <= 0;
  if (facts.valve_installed && facts.valve == ValveState::closed && used_up && !s.closed_sent) {
    notice(PrepaidNoticeKind::closed);
    s.closed_sent = true;
  }

  // Running low, with hysteresis; nothing while closed (the closed notice says it).
  if (s.low_sent && facts.days_left) {
    auto rearm = core::sum(config.low_days, config.rearm_days);
    if (rearm && !below(facts.days_left, *rearm)) s.low_sent = false;
  }
  if (!s.low_sent && !used_up && below(facts.days_left, config.low_days)) {
    notice(PrepaidNoticeKind::low);
    s.low_sent = true;
  }
  return step;
}

}  // namespace ml::server
