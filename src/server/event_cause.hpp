// Who or what caused a meter's event, as far as the server can tell from what it holds
// (docs/api.md, GET /api/meters/{serial}/events): a valve change confirmed a queued `open` or
// `close` (the user who queued it, from the admin audit log, or the server itself: `send`,
// the poll), an opening soon after a payment raised the limit (the payment), or the device's
// own report (a valve it moved itself: its limit, a cron job, a hand on the valve; a last will;
// a reset). Read-time only: nothing is stored, and the rules are backend-neutral.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "server/commands.hpp"
#include "server/store/audit.hpp"
#include "server/store/ledger.hpp"
#include "server/store/samples.hpp"

namespace ml::server {

enum class CauseKind : std::uint8_t { user, server, payment, device };
struct CauseKindInfo {
  CauseKind kind;
  std::string_view name;  // as the API gives it
};
inline constexpr std::array<CauseKindInfo, 4> kCauseKinds{{
    {CauseKind::user, "user"},
    {CauseKind::server, "server"},
    {CauseKind::payment, "payment"},
    {CauseKind::device, "device"},
}};
std::string_view cause_kind_name(CauseKind kind);

// A confirming reply comes this close to the event it causes (the reply's server time against
// the device's time of the event).
inline constexpr std::int64_t kCauseWindow = 300;
// An opening this soon after a payment is taken as the payment's.
inline constexpr std::int64_t kPaymentWindow = 3600;

struct EventCause {
  CauseKind kind = CauseKind::device;
  std::string actor;    // the user, for CauseKind::user
  std::int64_t id = 0;  // the command's or the payment's id; 0 for none
  std::string text;     // in words: "close command #12 by anna"
};

// What the server knows of one meter, to explain its events.
struct CauseSources {
  std::vector<Command> commands;
  std::vector<AdminAuditEntry> audit;  // the meter's admin audit entries
  std::vector<Payment> payments;
};

EventCause cause_of(const Event& event, const CauseSources& sources);

}  // namespace ml::server
