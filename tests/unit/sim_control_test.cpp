// The JSON-lines control socket: every command, bad input, bounded lines.
#include <gtest/gtest.h>

#include "sim/installation.hpp"
#include "sim_support.hpp"

namespace ml::sim {
namespace {

using namespace ml::test;

class SimControl : public ::testing::Test {
 protected:
  void SetUp() override {
    emu_ = std::make_unique<Running<KmpEmulator>>(kmp_test_options(dir_), dir_.file("ctl"));
  }
  TempDir dir_;
  std::unique_ptr<Running<KmpEmulator>> emu_;
};

TEST_F(SimControl, StateDescribesTheMeter) {
  const nlohmann::json s = emu_->state();
  EXPECT_EQ(s["ok"], true);
  EXPECT_EQ(s["meter"], "kmp");
  EXPECT_EQ(s["serial"], 6892850);
  EXPECT_EQ(s["link"], dir_.file("tty"));
  EXPECT_EQ(s["sim_time"], "2025-01-15T06:00:00.000Z");
  EXPECT_EQ(s["frozen"], true);
  EXPECT_EQ(s["values"]["e1"], (nlohmann::json{{"value", "12345.678901"}, {"unit", "kWh"}}));
  EXPECT_EQ(s["values"]["v1"]["value"], "321.501056");
  EXPECT_EQ(s["values"]["hr"]["value"], "8760");
  EXPECT_EQ(s["meter_config"]["model"], "mc601");
  EXPECT_EQ(s["counters"]["requests"], 0);
  EXPECT_EQ(s["registers"].size(), 8u);
  EXPECT_TRUE(emu_->last_reply().is_null());
  EXPECT_EQ(emu_->request({{"cmd", "help"}})["ok"], true);
}

TEST_F(SimControl, SetOverridesTotalsAndFreeze) {
  nlohmann::json s = emu_->request({{"cmd", "set"},
                                    {"t1", "71.25"},
                                    {"t2", 41},
                                    {"flow", "400"},
                                    {"energy", "500.000001"},
                                    {"volume", 20},
                                    {"hours", 100}});
  ASSERT_EQ(s["ok"], true) << s.dump();
  EXPECT_EQ(s["values"]["t1"]["value"], "71.25");
  EXPECT_EQ(s["values"]["t2"]["value"], "41.00");
  EXPECT_EQ(s["values"]["tdif"]["value"], "30.25");
  EXPECT_EQ(s["values"]["flow1"]["value"], "400");
  // 400 l/h x 30.25 K x 1.163 = 14072.3 W
  EXPECT_EQ(s["values"]["effect1"]["value"], "14.072");
  EXPECT_EQ(s["values"]["e1"]["value"], "500.000001");
  EXPECT_EQ(s["values"]["v1"]["value"], "20.000000");
  EXPECT_EQ(s["values"]["hr"]["value"], "100");
  EXPECT_EQ(s["overrides"]["t1"], "71.25");

  // Power instead of flow: the flow follows.
  s = emu_->request({{"cmd", "set"}, {"power", "10"}, {"flow", nullptr}});
  EXPECT_EQ(s["values"]["effect1"]["value"], "10.000");
  EXPECT_EQ(s["values"]["flow1"]["value"], "284");

  // Running fast, then frozen: nothing moves.
  s = emu_->request({{"cmd", "set"}, {"freeze", false}, {"time_scale", 36000}});
  ASSERT_EQ(s["ok"], true);
  std::this_thread::sleep_for(150ms);
  const nlohmann::json moving = emu_->request({{"cmd", "set"}, {"freeze", true}});
  EXPECT_NE(moving["values"]["e1"], s["values"]["e1"]);
  EXPECT_NE(moving["sim_time_ms"], s["sim_time_ms"]);
  std::this_thread::sleep_for(150ms);
  const nlohmann::json still = emu_->state();
  EXPECT_EQ(still["values"], moving["values"]);
  EXPECT_EQ(still["sim_time_ms"], moving["sim_time_ms"]);

  // Back to the daily profile.
  s = emu_->request({{"cmd", "set"}, {"auto", true}});
  EXPECT_TRUE(s["overrides"].empty());
}

TEST_F(SimControl, SetRejectsBadValuesAndChangesNothing) {
  const nlohmann::json before = emu_->state();
  for (const nlohmann::json& bad : {
           nlohmann::json{{"cmd", "set"}, {"t1", "70.555"}},
           nlohmann::json{{"cmd", "set"}, {"t1", "300"}},
           nlohmann::json{{"cmd", "set"}, {"flow", -1}},
           nlohmann::json{{"cmd", "set"}, {"energy", "lots"}},
           nlohmann::json{{"cmd", "set"}, {"time_scale", 0}},
           nlohmann::json{{"cmd", "set"}, {"freeze", "yes"}},
           nlohmann::json{{"cmd", "set"}, {"t1", "60"}, {"colour", "red"}},
       }) {
    const nlohmann::json r = emu_->request(bad);
    EXPECT_EQ(r["ok"], false) << bad.dump();
    EXPECT_TRUE(r["error"].is_string());
  }
  EXPECT_EQ(emu_->state()["values"], before["values"]);
}

TEST_F(SimControl, FaultsCommand) {
  nlohmann::json r = emu_->request({{"cmd", "faults"}, {"drop", 0.25}, {"echo", true}});
  ASSERT_EQ(r["ok"], true);
  EXPECT_EQ(r["faults"]["drop"], 0.25);
  EXPECT_EQ(emu_->state()["faults"]["echo"], true);
  r = emu_->request({{"cmd", "faults"}, {"drop", "often"}});
  EXPECT_EQ(r["ok"], false);
  r = emu_->request({{"cmd", "faults"}, {"reset", true}});
  EXPECT_EQ(r["faults"]["drop"], 0.0);
  EXPECT_EQ(r["faults"]["echo"], false);
}

TEST_F(SimControl, BadInputGetsAnErrorAndTheConnectionStaysUsable) {
  ControlClient c = emu_->client();
  auto answer = [&](std::string_view line) {
    EXPECT_TRUE(c.send_line(line).ok());
    auto got = c.read_line(2000ms);
    EXPECT_TRUE(got.ok());
    return nlohmann::json::parse(got.ok() ? *got : std::string("null"));
  };
  for (std::string_view bad :
       {"not json", "[1,2]", "{\"cmd\":5}", "{\"nocmd\":1}", "{\"cmd\":\"explode\"}"}) {
    const nlohmann::json r = answer(bad);
    EXPECT_EQ(r["ok"], false) << bad;
    EXPECT_FALSE(r["error"].get<std::string>().empty());
  }
  const nlohmann::json long_line = answer(std::string(10'000, 'x'));
  EXPECT_EQ(long_line["ok"], false);
  EXPECT_NE(long_line["error"].get<std::string>().find("longer than"), std::string::npos);
  EXPECT_EQ(answer("{\"cmd\":\"state\"}")["ok"], true);
  // Blank lines are ignored; two requests in one write get two answers.
  ASSERT_TRUE(c.send_line("\n{\"cmd\":\"help\"}\n{\"cmd\":\"help\"}").ok());
  EXPECT_TRUE(c.read_line(2000ms).ok());
  EXPECT_TRUE(c.read_line(2000ms).ok());
}

TEST_F(SimControl, QuitStopsTheEmulator) {
  const nlohmann::json r = emu_->request({{"cmd", "quit"}});
  EXPECT_EQ(r["ok"], true);
  const auto deadline = Clock::now() + 2s;
  while (!emu_->stopped() && Clock::now() < deadline)
    std::this_thread::sleep_for(5ms);
  EXPECT_TRUE(emu_->stopped());
}

TEST(SimControlLine, HandledWithoutAServer) {
  int calls = 0;
  const ControlHandler h = [&](const nlohmann::json&) {
    ++calls;
    return ControlReply{nlohmann::json{{"ok", true}}};
  };
  EXPECT_EQ(handle_control_line("{\"cmd\":\"x\"}\r", h).body["ok"], true);
  EXPECT_EQ(handle_control_line("", h).body["ok"], false);
  const ControlReply too_long =
      handle_control_line("{\"cmd\":\"x\"}" + std::string(kMaxControlLine, ' '), h);
  EXPECT_EQ(too_long.body["ok"], false);
  EXPECT_NE(too_long.body["error"].get<std::string>().find("longer than"), std::string::npos);
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace ml::sim
