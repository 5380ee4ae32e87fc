// Who or what caused a meter's event (event_cause.hpp).
#include "server/event_cause.hpp"

#include <charconv>
#include <cstdlib>

namespace ml::server {
namespace {

// The valve's new state of a valve event's detail ("open", or "open -> close").
std::string_view new_state(std::string_view detail) {
  constexpr std::string_view kArrow = " -> ";
  const auto at = detail.rfind(kArrow);
  return at == std::string_view::npos ? detail : detail.substr(at + kArrow.size());
}

// The user who queued command `id` (the admin audit's "command" entry: "#<id> <command> ...").
std::string queued_by(std::int64_t id, const std::vector<AdminAuditEntry>& audit) {
  const std::string prefix = "#" + std::to_string(id) + " ";
  for (const auto& e : audit)
    if (e.action == "command" && e.detail.rfind(prefix, 0) == 0) return e.actor;
  return "";
}

EventCause device(std::string text) {
  return {CauseKind::device, "", 0, std::move(text)};
}

}  // namespace

std::string_view cause_kind_name(CauseKind kind) {
  for (const auto& row : kCauseKinds)
    if (row.kind == kind) return row.name;
  return "?";
}

EventCause cause_of(const Event& event, const CauseSources& sources) {
  if (event.kind == "offline") return device("the device's last will: its connection was lost");
  if (event.kind != "valve") return device("the device's own report");
  const std::string_view state = new_state(event.detail);
  // The confirmed open/close command nearest to the event.
  const Command* best = nullptr;
  for (const auto& c : sources.commands) {
    if (c.command != state || c.state != CommandState::acked || c.reply_time == 0) continue;
    const auto gap = std::llabs(c.reply_time - event.time);
    if (gap > kCauseWindow) continue;
    if (best == nullptr || gap < std::llabs(best->reply_time - event.time)) best = &c;
  }
  if (best != nullptr) {
    const std::string what = std::string(state) + " command #" + std::to_string(best->id);
    const std::string user = queued_by(best->id, sources.audit);
    if (!user.empty()) return {CauseKind::user, user, best->id, what + " by " + user};
    return {CauseKind::server, "", best->id, what + " from the server (send, or its poll)"};
  }
  if (state == "open") {
    // The newest active payment shortly before: its new limit let the device open.
    const Payment* paid = nullptr;
    for (const auto& p : sources.payments) {
      if (p.state != PaymentState::active || p.time > event.time + kCauseWindow ||
          p.time < event.time - kPaymentWindow)
        continue;
      if (paid == nullptr || p.time > paid->time) paid = &p;
    }
    if (paid != nullptr) {
      return {CauseKind::payment, "", paid->id, "payment #" + std::to_string(paid->id)};
    }
  }
  return device("the device itself (its limit, a cron job, or by hand)");
}

}  // namespace ml::server
