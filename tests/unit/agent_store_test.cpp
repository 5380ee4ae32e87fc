#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "agent/store.hpp"

namespace ml::agent {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = (std::filesystem::temp_directory_path() /
            ("mlstore-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name()))
               .string();
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  Store open() {
    auto s = Store::open(dir_);
    EXPECT_TRUE(s.ok()) << s.error().message();
    return std::move(s).value();
  }
  std::string dir_;
};

core::Bytes payload(std::size_t n, std::uint8_t fill = 0xAB) {
  return core::Bytes(n, fill);
}

TEST_F(StoreTest, OutboxKeepsOrderAcrossReopen) {
  {
    Store s = open();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(s.enqueue("0000001", "/sample/v2/0000001/" + std::to_string(100 + i),
                            payload(64, static_cast<std::uint8_t>(i)), 100 + i, {}, 200)
                      .ok());
    }
    ASSERT_TRUE(s.enqueue("0000002", "/sample/v2/0000002/1", payload(64), 1, {}, 200).ok());
  }
  Store s = open();
  auto items = s.pending("0000001", 0, 10);
  ASSERT_TRUE(items.ok());
  ASSERT_EQ(items->size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ((*items)[static_cast<std::size_t>(i)].created, 100 + i);
    EXPECT_EQ((*items)[static_cast<std::size_t>(i)].payload[0], i);
  }
  ASSERT_TRUE(s.remove((*items)[0].id).ok());
  auto rest = s.pending("0000001", 0, 10);
  EXPECT_EQ(rest->size(), 4u);
  EXPECT_EQ(s.pending("0000001", (*items)[2].id, 10)->size(), 2u);
  EXPECT_EQ(s.outbox_stats("0000001")->messages, 4);
  EXPECT_EQ(s.outbox_stats("0000001")->bytes, 4 * 64);
  EXPECT_EQ(s.outbox_stats("0000001")->oldest_created, 101);
}

TEST_F(StoreTest, OutboxDropsTheOldestBeyondItsBounds) {
  Store s = open();
  OutboxLimits limits;
  limits.max_messages = 3;
  std::int64_t dropped = 0;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(
        s.enqueue("1", "/t/" + std::to_string(i), payload(10), 1000 + i, limits, 1000 + i, &dropped)
            .ok());
  }
  EXPECT_EQ(dropped, 1);
  auto items = s.pending("1", 0, 10);
  ASSERT_EQ(items->size(), 3u);
  EXPECT_EQ((*items)[0].topic, "/t/2");
  // Age: a message older than max_age goes when the next one is added.
  limits.max_messages = 100;
  limits.max_age_s = 60;
  ASSERT_TRUE(s.enqueue("1", "/t/late", payload(10), 2000, limits, 2000, &dropped).ok());
  EXPECT_EQ(dropped, 3);
  EXPECT_EQ(s.pending("1", 0, 10)->size(), 1u);
  // Bytes.
  limits.max_bytes = 25;
  ASSERT_TRUE(s.enqueue("1", "/t/a", payload(10), 2001, limits, 2001, &dropped).ok());
  ASSERT_TRUE(s.enqueue("1", "/t/b", payload(10), 2002, limits, 2002, &dropped).ok());
  EXPECT_EQ(dropped, 1);
  EXPECT_EQ(s.pending("1", 0, 10)->front().topic, "/t/a");
}

TEST_F(StoreTest, KeptSamplesSurviveReopenAndAreForgottenPastTheirBounds) {
  const KeepLimits week;  // 7 days, 64 MiB
  {
    Store s = open();
    for (int i = 0; i < 5; ++i) {
      ASSERT_TRUE(
          s.keep_sample("0000001", 1000 + 60 * i, "heap=" + std::to_string(i), week, 1300).ok());
    }
    ASSERT_TRUE(s.keep_sample("0000002", 1060, "other meter", week, 1300).ok());
    // The same time again replaces the text.
    ASSERT_TRUE(s.keep_sample("0000001", 1060, "heap=again", week, 1300).ok());
  }
  Store s = open();
  auto kept = s.kept_samples("0000001", 1060, 1180, 100);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 3u);
  EXPECT_EQ((*kept)[0].time, 1060);
  EXPECT_EQ((*kept)[0].text, "heap=again");
  EXPECT_EQ((*kept)[2].time, 1180);
  EXPECT_EQ(s.kept_samples("0000001", 0, 99999, 2)->size(), 2u);  // the limit
  // Past the age: a week later only what is younger than a week stays.
  ASSERT_TRUE(s.keep_sample("0000001", 1000 + 7 * 86400, "new", week, 1120 + 7 * 86400).ok());
  kept = s.kept_samples("0000001", 0, 99999999, 100);
  ASSERT_TRUE(kept.ok());
  ASSERT_EQ(kept->size(), 4u);  // 1120, 1180, 1240 and the new one
  EXPECT_EQ(kept->front().time, 1120);
  EXPECT_TRUE(s.kept_samples("0000002", 0, 99999999, 100)->empty());
  // Past the bytes: the oldest go first, of every meter.
  const KeepLimits tiny{7 * 86400, 10};
  ASSERT_TRUE(
      s.keep_sample("0000002", 2000 + 7 * 86400, "0123456789", tiny, 2000 + 7 * 86400).ok());
  EXPECT_TRUE(s.kept_samples("0000001", 0, 99999999, 100)->empty());
  EXPECT_EQ(s.kept_samples("0000002", 0, 99999999, 100)->size(), 1u);
}

TEST_F(StoreTest, ReplayMemoryRefusesTheSameMessageTwiceAndSurvivesReopen) {
  const core::Bytes mac = payload(32, 0x11);
  {
    Store s = open();
    EXPECT_TRUE(s.remember_command("1", mac, 1000, 1000, 1800).value());
    EXPECT_FALSE(s.remember_command("1", mac, 1000, 1001, 1800).value());
    EXPECT_TRUE(s.remember_command("2", mac, 1000, 1001, 1800).value());  // per meter
  }
  Store s = open();
  EXPECT_FALSE(s.remember_command("1", mac, 1000, 1002, 1800).value());
  // Long after the window the entry is forgotten (the time check rejects such a command anyway).
  EXPECT_TRUE(s.remember_command("1", mac, 1000, 1000 + 4000, 1800).value());
}

TEST_F(StoreTest, SettingsAndPulseCounters) {
  Store s = open();
  EXPECT_FALSE(s.setting("1", "ssid")->has_value());
  ASSERT_TRUE(s.set_setting("1", "ssid", "Loppen Public", 10).ok());
  ASSERT_TRUE(s.set_setting("1", "ssid", "home", 11).ok());
  EXPECT_EQ(s.setting("1", "ssid")->value(), "home");
  EXPECT_FALSE(s.pulse_count("EL1")->has_value());
  ASSERT_TRUE(s.save_pulse_count("EL1", 1501, 12).ok());
  EXPECT_EQ(s.pulse_count("EL1")->value(), 1501);
}

TEST_F(StoreTest, RunsTellHowThePreviousRunEnded) {
  {
    Store s = open();
    EXPECT_EQ(s.begin_run(100, "boot-a").value(), RunEnd::first_start);
    ASSERT_TRUE(s.end_run(RunEnd::clean_stop, 200).ok());
  }
  {
    Store s = open();
    EXPECT_EQ(s.begin_run(300, "boot-a").value(), RunEnd::clean_stop);
    // no end_run: the process died
  }
  {
    Store s = open();
    EXPECT_EQ(s.begin_run(400, "boot-a").value(), RunEnd::crash);
  }
  {
    Store s = open();
    EXPECT_EQ(s.begin_run(500, "boot-b").value(), RunEnd::power_loss);
    ASSERT_TRUE(s.end_run(RunEnd::restart, 600).ok());
  }
  Store s = open();
  EXPECT_EQ(s.begin_run(700, "boot-b").value(), RunEnd::restart);
}

}  // namespace
}  // namespace ml::agent
