// Who or what caused a meter's event (src/server/event_cause.hpp): a confirmed command and the
// user who queued it, the server's own command, a payment before an opening, the device itself.
#include "server/event_cause.hpp"

#include <gtest/gtest.h>

namespace ml::server::event_cause_unit {

Command acked(std::int64_t id, const char* command, std::int64_t reply_time) {
  Command c;
  c.id = id;
  c.serial = "6892850";
  c.command = command;
  c.state = CommandState::acked;
  c.reply_time = reply_time;
  return c;
}

TEST(EventCause, AConfirmedCommandNamesWhoQueuedIt) {
  CauseSources s;
  s.commands = {acked(11, "close", 1000), acked(12, "close", 5000), acked(13, "open", 5010)};
  s.audit = {{1, 990, "anna", "10.0.0.1", "command", "6892850", "#11 close"}};
  auto c = cause_of({1010, "valve", "open -> close"}, s);
  EXPECT_EQ(c.kind, CauseKind::user);
  EXPECT_EQ(c.actor, "anna");
  EXPECT_EQ(c.id, 11);
  EXPECT_EQ(c.text, "close command #11 by anna");
  EXPECT_EQ(cause_kind_name(c.kind), "user");
  // No audit entry: the server queued it (send, the poll).
  c = cause_of({5000, "valve", "open -> close"}, s);
  EXPECT_EQ(c.kind, CauseKind::server);
  EXPECT_EQ(c.id, 12);
  // The command must match the new state and be near in time.
  c = cause_of({5000 + kCauseWindow + 20, "valve", "open -> close"}, s);
  EXPECT_EQ(c.kind, CauseKind::device);
  s.commands[0].state = CommandState::sent;
  EXPECT_EQ(cause_of({1010, "valve", "open -> close"}, s).kind, CauseKind::device);
}

TEST(EventCause, AnOpeningAfterAPaymentIsThePayments) {
  CauseSources s;
  Payment p;
  p.id = 7;
  p.time = 2000;
  s.payments = {p};
  auto c = cause_of({2600, "valve", "close -> open"}, s);
  EXPECT_EQ(c.kind, CauseKind::payment);
  EXPECT_EQ(c.id, 7);
  EXPECT_EQ(c.text, "payment #7");
  // Too long after, void, or a closing: the device's own.
  EXPECT_EQ(cause_of({2000 + kPaymentWindow + 1, "valve", "close -> open"}, s).kind,
            CauseKind::device);
  EXPECT_EQ(cause_of({2600, "valve", "open -> close"}, s).kind, CauseKind::device);
  s.payments[0].state = PaymentState::voided;
  EXPECT_EQ(cause_of({2600, "valve", "close -> open"}, s).kind, CauseKind::device);
}

TEST(EventCause, OtherEventsAreTheDevicesOwn) {
  const CauseSources none;
  EXPECT_EQ(cause_of({1, "offline", ""}, none).text,
            "the device's last will: its connection was lost");
  EXPECT_EQ(cause_of({1, "reset_reason", "reason=6"}, none).kind, CauseKind::device);
  EXPECT_EQ(cause_of({1, "valve", "close"}, none).text,
            "the device itself (its limit, a cron job, or by hand)");
}

}  // namespace ml::server::event_cause_unit
