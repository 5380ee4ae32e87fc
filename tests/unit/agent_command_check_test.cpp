// The checks of a received command (src/agent/command_check.hpp) over a real store in a temporary
// directory and a fixed clock: a good command is accepted once with its name and argument, and
// each kind of bad one is refused with the reason the device counts, changing nothing.
#include <gtest/gtest.h>

#include <string>

#include "agent/command_check.hpp"
#include "agent/store.hpp"
#include "core/topic/topic.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

using agent::check_command;
namespace envelope = core::envelope;

constexpr std::int64_t kNow = 1750000000;

class CommandCheckTest : public ::testing::Test {
 protected:
  CommandCheckTest()
      : store_(agent::Store::open(dir_.path()).value()),
        keys_(envelope::derive_keys_from_hex("000102030405060708090a0b0c0d0e0f").value()),
        other_keys_(envelope::derive_keys_from_hex("f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff").value()) {}

  static std::string topic(std::int64_t time, const std::string& command,
                           const std::string& serial = "6892850") {
    return core::topic::command_topic(core::topic::Serial::parse(serial).value(),
                                      static_cast<std::uint64_t>(time), command)
        .value();
  }
  core::Bytes seal(const std::string& topic, const std::string& text, std::uint8_t iv_byte = 7,
                   const envelope::Keys* keys = nullptr) {
    envelope::Iv iv{};
    iv.fill(iv_byte);
    return envelope::seal(keys ? *keys : keys_, topic, iv, text).value();
  }
  core::Result<agent::CommandVerdict> check(const std::string& topic, const core::Bytes& payload,
                                            std::int64_t now = kNow) {
    return check_command(store_, {"6892850", keys_, 1800}, topic, payload, now);
  }
  std::string rejected(const std::string& topic, const core::Bytes& payload,
                       std::int64_t now = kNow) {
    auto v = check(topic, payload, now);
    if (!v) return "error: " + v.error().message();
    return v->accepted ? "accepted" : v->rejected;
  }

  test::TempDir dir_;
  agent::Store store_;
  envelope::Keys keys_;
  envelope::Keys other_keys_;
};

TEST_F(CommandCheckTest, AGoodCommandIsAcceptedOnceWithItsArgument) {
  const std::string t = topic(kNow - 10, "open_until");
  const core::Bytes payload = seal(t, "1500");
  auto v = check(t, payload);
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_TRUE(v->accepted) << v->rejected;
  EXPECT_EQ(v->accepted->name, "open_until");
  EXPECT_EQ(v->accepted->argument, "1500");
  EXPECT_EQ(rejected(t, payload), "replay");
  // The same command sealed again (another IV) is another message.
  EXPECT_EQ(rejected(t, seal(t, "1500", 9)), "accepted");
  // An empty argument is accepted (the server's commands without one).
  const std::string ping = topic(kNow, "ping");
  auto empty = check(ping, seal(ping, ""));
  ASSERT_TRUE(empty && empty->accepted);
  EXPECT_EQ(empty->accepted->argument, "");
}

TEST_F(CommandCheckTest, EachBadCommandIsRefusedWithItsReason) {
  const std::string t = topic(kNow, "open");
  EXPECT_EQ(rejected(t, seal(t, "1", 7, &other_keys_)), "envelope_bad_mac");
  EXPECT_EQ(rejected(topic(kNow, "open", "1234567"), seal(topic(kNow, "open", "1234567"), "1")),
            "wrong_serial");
  const std::string sample = "/sample/v2/6892850/1750000000";
  EXPECT_EQ(rejected(sample, seal(sample, "1")), "bad_topic");
  EXPECT_EQ(rejected("not a topic", seal(t, "1")), "bad_topic");
  const std::string old = topic(kNow - 1801, "open");
  EXPECT_EQ(rejected(old, seal(old, "1")), "too_old");
  const std::string ahead = topic(kNow + 1801, "open");
  EXPECT_EQ(rejected(ahead, seal(ahead, "1")), "too_new");
  core::Bytes big(512, 0);
  EXPECT_EQ(rejected(t, big), "too_long");
  EXPECT_EQ(rejected(t + std::string(128, 'x'), seal(t, "1")), "too_long");
  // None of them was remembered: the good message is still accepted once.
  const core::Bytes good = seal(t, "1");
  EXPECT_EQ(rejected(t, good), "accepted");
  EXPECT_EQ(rejected(t, good), "replay");
}

}  // namespace
}  // namespace ml
