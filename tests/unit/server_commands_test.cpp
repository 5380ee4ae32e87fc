// The command queue's confirmation rule (src/server/commands.hpp): a reply confirms a command
// only when it matches what was asked and was sealed no earlier than the command's first send,
// less the allowed clock skew.
#include <gtest/gtest.h>

#include "server/commands.hpp"

namespace ml::server {
namespace {

Command sent_command(const std::string& command, const std::string& argument,
                     std::int64_t first_sent) {
  Command c;
  c.id = 1;
  c.serial = "6892850";
  c.command = command;
  c.argument = argument;
  c.state = "sent";
  c.first_sent = first_sent;
  c.last_sent = first_sent;
  c.sent_count = 1;
  return c;
}

constexpr std::int64_t kSentAt = 1800000000;

TEST(ServerCommands, AReplyOlderThanTheCommandConfirmsNothing) {
  const auto open = sent_command("open", "", kSentAt);
  const auto limit = sent_command("open_until", "12400", kSentAt);
  const auto version = sent_command("version", "", kSentAt);
  // A reply recorded two hours before the command was sent and published again.
  const std::int64_t replayed = kSentAt - 7200;
  EXPECT_FALSE(confirms(open, "status", "open", replayed));
  EXPECT_FALSE(confirms(limit, "open_until", "12400", replayed));
  EXPECT_FALSE(confirms(version, "version", "linux 1.0", replayed));
  // Just beyond the allowed skew: still too old.
  EXPECT_FALSE(confirms(open, "status", "open", kSentAt - kReplySkewSeconds - 1));
  // A device clock behind the server's by up to the skew still confirms.
  EXPECT_TRUE(confirms(open, "status", "open", kSentAt - kReplySkewSeconds));
  EXPECT_TRUE(confirms(limit, "open_until", "12400", kSentAt - 60));
  // Fresh replies confirm.
  EXPECT_TRUE(confirms(open, "status", "open", kSentAt + 2));
  EXPECT_TRUE(confirms(limit, "open_until", "12400", kSentAt + 2));
  EXPECT_TRUE(confirms(version, "version", "linux 1.0", kSentAt + 2));
}

TEST(ServerCommands, AReplyMustMatchWhatWasAsked) {
  const std::int64_t fresh = kSentAt + 1;
  const auto open = sent_command("open", "", kSentAt);
  EXPECT_FALSE(confirms(open, "status", "close", fresh));
  EXPECT_FALSE(confirms(open, "open_until", "open", fresh));
  const auto limit = sent_command("open_until", "12400", kSentAt);
  // Less than 1 away, as MeterLoggerWeb checks it (the device echoes whole kWh).
  EXPECT_TRUE(confirms(limit, "open_until", "12400", fresh));
  EXPECT_TRUE(confirms(limit, "open_until", "12400.5", fresh));
  EXPECT_FALSE(confirms(limit, "open_until", "12399", fresh));
  EXPECT_FALSE(confirms(limit, "open_until", "12401", fresh));
  EXPECT_FALSE(confirms(limit, "open_until", "", fresh));
  EXPECT_FALSE(confirms(limit, "status", "12400", fresh));
  const auto ap = sent_command("start_ap", "", kSentAt);
  EXPECT_TRUE(confirms(ap, "ap_status", "started", fresh));
  EXPECT_FALSE(confirms(ap, "ap_status", "stopped", fresh));
  // A command not sent yet (or no longer waiting) is confirmed by nothing.
  auto queued = sent_command("version", "", 0);
  queued.state = "queued";
  EXPECT_FALSE(confirms(queued, "version", "x", fresh));
  auto acked = sent_command("version", "", kSentAt);
  acked.state = "acked";
  EXPECT_FALSE(confirms(acked, "version", "x", fresh));
}

}  // namespace
}  // namespace ml::server
