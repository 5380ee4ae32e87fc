// The valve controller (src/agent/valve_controller.hpp) over a real store in a temporary
// directory and file outputs standing in for the actuator's lines: open and close, open_until and
// open_until_delta with their replies, the automatic close at the limit, cron's off, and the
// state read back after a restart.
#include "agent/valve_controller.hpp"

#include <gtest/gtest.h>

#include <asio/io_context.hpp>
#include <fstream>
#include <sstream>

#include "agent/store.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

using agent::ValveController;

std::string output_level(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

core::sample::Reading heat_reading(std::string_view e1_kwh) {
  core::sample::Reading r;
  r.values["e1"] = {core::Decimal::parse(e1_kwh).value(), "kWh"};
  return r;
}

class ValveControllerTest : public ::testing::Test {
 protected:
  ValveControllerTest() : store_(agent::Store::open(dir_.path()).value()) {
    config_.output = "file:" + dir_.file("ac1");
  }

  ValveController make(bool auto_close = true) {
    return ValveController(
        store_, "meter[1]", false, auto_close,
        [this](bool open) { return agent::ValveOutputs::open(io_.get_executor(), config_, open); },
        [this] { return now_; });
  }
  std::string line() const { return output_level(dir_.file("ac1")); }

  test::TempDir dir_;
  asio::io_context io_;
  agent::Store store_;
  agent::ValveConfig config_;
  std::int64_t now_ = 1750000000;
};

TEST_F(ValveControllerTest, StartsClosedAndStoresEveryChangeWithItsCause) {
  ValveController v = make();
  v.load("6892850");
  EXPECT_EQ(v.state().state, "close");
  EXPECT_EQ(v.state().limit, "0");
  EXPECT_EQ(line(), "0\n");
  v.set(true, std::nullopt, "command");
  EXPECT_EQ(line(), "1\n");
  EXPECT_EQ(store_.valve("6892850").value()->state, "open");
  v.cron_command("close");
  EXPECT_EQ(line(), "0\n");
  auto log = store_.valve_log("6892850", 10);
  ASSERT_TRUE(log);
  std::vector<std::string> causes;
  for (const auto& c : *log)
    causes.push_back(c.cause);
  EXPECT_NE(std::find(causes.begin(), causes.end(), "command"), causes.end());
  EXPECT_NE(std::find(causes.begin(), causes.end(), "cron"), causes.end());
  EXPECT_NE(std::find(causes.begin(), causes.end(), "start"), causes.end());
}

TEST_F(ValveControllerTest, OpenUntilStoresTheLimitAndRepliesWithItThenTheStatus) {
  ValveController v = make();
  v.load("6892850");
  auto replies = v.open_until("1500", false);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].function, "open_until");
  EXPECT_EQ(replies[0].text, "1500");
  EXPECT_EQ(replies[1].function, "status");
  EXPECT_EQ(replies[1].text, "open");
  EXPECT_EQ(v.state().limit, "1500");
  EXPECT_EQ(line(), "1\n");
}

TEST_F(ValveControllerTest, BadOrNegativeAmountsChangeNothing) {
  ValveController v = make();
  v.load("6892850");
  for (const char* bad : {"-5", "abc", ""}) {
    auto replies = v.open_until(bad, false);
    ASSERT_EQ(replies.size(), 2u);
    EXPECT_EQ(replies[1].text, "close") << bad;
    EXPECT_EQ(v.state().limit, "0") << bad;
  }
  // A delta needs a reading to add to.
  v.open_until("10", true);
  EXPECT_EQ(v.state().state, "close");
}

TEST_F(ValveControllerTest, DeltaAddsToTheReadingAndAutoClosesAtTheLimit) {
  ValveController v = make();
  v.load("6892850");
  EXPECT_FALSE(v.on_reading(heat_reading("1000")));
  auto replies = v.open_until("25", true);
  ASSERT_EQ(replies.size(), 2u);
  EXPECT_EQ(replies[0].function, "open_until_delta");
  EXPECT_EQ(replies[0].text, "25");  // what is left: limit - reading
  EXPECT_EQ(v.state().limit, "1025");
  EXPECT_FALSE(v.on_reading(heat_reading("1024.9")));
  EXPECT_EQ(v.state().state, "open");
  EXPECT_TRUE(v.on_reading(heat_reading("1025")));
  EXPECT_EQ(v.state().state, "close");
  EXPECT_EQ(line(), "0\n");
  EXPECT_EQ(store_.valve_log("6892850", 1).value().front().cause, "auto_close");
}

TEST_F(ValveControllerTest, WithoutAutoCloseTheLimitOnlyIsRemembered) {
  ValveController v = make(false);
  v.load("6892850");
  v.open_until("10", false);
  EXPECT_FALSE(v.on_reading(heat_reading("11")));
  EXPECT_EQ(v.state().state, "open");
  ASSERT_TRUE(v.metered());
  EXPECT_EQ(v.metered()->to_string(), "11");
}

TEST_F(ValveControllerTest, TheStateAndTheReadingSurviveARestart) {
  {
    ValveController v = make();
    v.load("6892850");
    v.on_reading(heat_reading("500"));
    v.open_until("600", false);
  }
  ValveController again = make();
  again.load("6892850");
  EXPECT_EQ(again.state().state, "open");
  EXPECT_EQ(again.state().limit, "600");
  ASSERT_TRUE(again.metered());
  EXPECT_EQ(again.metered()->to_string(), "500");
  EXPECT_EQ(line(), "1\n");  // the output set from the stored state
}

TEST_F(ValveControllerTest, CronOffDrivesTheLinesLowWithoutChangingTheState) {
  ValveController v = make();
  v.load("6892850");
  v.set(true, std::nullopt, "command");
  v.cron_command("off");
  EXPECT_EQ(line(), "0\n");
  EXPECT_EQ(v.state().state, "open");
  v.set(true, std::nullopt, "command");  // driven again although the state is the same
  EXPECT_EQ(line(), "1\n");
}

}  // namespace
}  // namespace ml
