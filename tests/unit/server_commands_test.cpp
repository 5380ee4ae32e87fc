// The command queue's rules (src/server/commands.hpp): a reply confirms a command only when it
// matches what was asked and was sealed no earlier than the command's first send, less the
// allowed clock skew; which commands may be queued, what confirms them, what is asked after
// them and what the server subscribes to all come from the command table
// (core/topic/names.hpp).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/topic/names.hpp"
#include "server/commands.hpp"
#include "server/ingest.hpp"

namespace ml::server {
namespace {

Command sent_command(const std::string& command, const std::string& argument,
                     std::int64_t first_sent) {
  Command c;
  c.id = 1;
  c.serial = "6892850";
  c.command = command;
  c.argument = argument;
  c.state = CommandState::sent;
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
  queued.state = CommandState::queued;
  EXPECT_FALSE(confirms(queued, "version", "x", fresh));
  auto acked = sent_command("version", "", kSentAt);
  acked.state = CommandState::acked;
  EXPECT_FALSE(confirms(acked, "version", "x", fresh));
}

TEST(ServerCommands, EveryCommandStateHasOneName) {
  for (const auto& row : kCommandStates) {
    EXPECT_EQ(state_name(row.state), row.name);
    EXPECT_EQ(command_state_from_name(row.name), row.state);
    EXPECT_EQ(is_pending(row.state),
              row.state == CommandState::queued || row.state == CommandState::sent);
  }
  EXPECT_FALSE(command_state_from_name("done"));
}

// Only a new open_until replaces the older unconfirmed ones: the limit is the whole ledger's.
TEST(ServerCommands, OnlyOpenUntilSupersedes) {
  for (const auto& c : core::topic::kCommands) {
    EXPECT_EQ(c.supersedes, c.name == "open_until") << c.name;
  }
}

// --- the table's derivations -------------------------------------------------------------------

TEST(ServerCommands, EveryCommandOfTheTableIsAcceptedAndNoOther) {
  for (const auto& c : core::topic::kCommands) {
    std::string argument;
    if (c.name.rfind("open_until", 0) == 0) argument = "12";
    if (c.name == "resend") argument = "1700000000 1700003600";
    EXPECT_EQ(check_command(c.name, argument).ok(), c.operator_may_queue()) << c.name;
  }
  // resend's range is checked before it is queued (core/gaps/gaps.hpp).
  for (std::string_view bad : {"", "1700000000", "1700003600 1700000000", "1 999999", "a b"}) {
    auto s = check_command("resend", bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.error().detail.rfind("resend: ", 0), 0u) << s.error().detail;
  }
  // A command missing from the table is refused by name, like `save` (never implemented) and
  // cron's own `off`.
  for (std::string_view no : {"save", "off", "test", "saved", "config", "OPEN", ""}) {
    auto s = check_command(no, "");
    ASSERT_FALSE(s.ok()) << no;
    EXPECT_EQ(s.error().detail, "\"" + std::string(no) + "\" is not a device command");
  }
}

TEST(ServerCommands, EveryFunctionOfTheTableIsSubscribedOnceAndNoOther) {
  std::set<std::string> want;
  for (const auto& f : core::topic::kDeviceFunctions)
    want.insert("/" + std::string(f.name) + "/v2/#");
  want.insert("/offline/v1/#");
  // The two lanes together: every function once, the samples and the wills in the first.
  std::set<std::string> got;
  std::set<std::string> samples;
  for (auto lane : {IngestLane::samples, IngestLane::replies}) {
    for (const auto& s : ingest_subscriptions(lane)) {
      EXPECT_EQ(s.qos, 1) << s.filter;
      EXPECT_TRUE(got.insert(s.filter).second) << "twice: " << s.filter;
      if (lane == IngestLane::samples) samples.insert(s.filter);
    }
  }
  EXPECT_EQ(got, want);
  EXPECT_EQ(got.count("/saved/v2/#"), 0u);
  EXPECT_EQ(samples, (std::set<std::string>{"/sample/v2/#", "/offline/v1/#"}));
  // The workers' shared subscriptions: the same filters behind $share/<group>/.
  std::set<std::string> shared;
  for (auto lane : {IngestLane::samples, IngestLane::replies}) {
    for (const auto& s : ingest_subscriptions(lane, "meterlogger"))
      shared.insert(s.filter);
  }
  EXPECT_EQ(shared.size(), want.size());
  EXPECT_EQ(shared.count("$share/meterlogger//sample/v2/#"), 1u);
  EXPECT_EQ(shared.count("$share/meterlogger//status/v2/#"), 1u);
  EXPECT_EQ(shared.count("$share/meterlogger//offline/v1/#"), 1u);
}

// For every row: its confirming reply (with the text the row asks for) confirms it, the reply
// of another function does not, and the follow-up is what the row says.
TEST(ServerCommands, ConfirmationsAgreeWithTheTable) {
  const std::int64_t fresh = kSentAt + 1;
  for (const auto& row : core::topic::kCommands) {
    const std::string name(row.name);
    const bool amount = row.confirmation.match == core::topic::Match::amount;
    const auto c = sent_command(name, amount ? "12400" : "", kSentAt);
    const std::string function(row.confirming_function());
    const std::string text =
        amount ? "12400"
               : std::string(row.confirmation.text.empty() ? "anything" : row.confirmation.text);
    if (!row.over_mqtt()) {
      EXPECT_FALSE(confirms(c, name, text, fresh)) << name;
      EXPECT_FALSE(follow_up(name)) << name;
      continue;
    }
    EXPECT_TRUE(confirms(c, function, text, fresh)) << name << " by " << function;
    EXPECT_FALSE(confirms(c, function + "x", text, fresh)) << name;
    if (row.confirmation.match != core::topic::Match::any) {
      EXPECT_FALSE(confirms(c, function, "nothing of the kind", fresh)) << name;
    }
    if (function != name) {
      EXPECT_FALSE(confirms(c, name, text, fresh)) << name;
    }
    if (row.confirmation.asked) {
      EXPECT_EQ(follow_up(name), std::optional<std::string>(function)) << name;
    } else {
      EXPECT_FALSE(follow_up(name)) << name;
    }
  }
  // A command the table does not know (a `save` queued before it was removed) is confirmed by
  // nothing, not even a reply named like it.
  EXPECT_FALSE(confirms(sent_command("save", "", kSentAt), "save", "saved", fresh));
  EXPECT_EQ(follow_up("open"), std::optional<std::string>("status"));
  EXPECT_EQ(follow_up("start_ap"), std::optional<std::string>("ap_status"));
  EXPECT_FALSE(follow_up("version"));
}

}  // namespace
}  // namespace ml::server
