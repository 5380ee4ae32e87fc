#include "agent/valve.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <filesystem>
#include <fstream>

#include "agent/store.hpp"
#include "core/decimal.hpp"
#include "core/valve/limit.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

core::Decimal dec(std::string_view s) {
  return core::Decimal::parse(s).value();
}

TEST(DecimalSum, ExactWithTheFinerExponent) {
  EXPECT_EQ(core::sum(dec("1.5"), dec("0.25"))->to_string(), "1.75");
  EXPECT_EQ(core::sum(dec("2"), dec("0.50"))->to_string(), "2.50");
  EXPECT_EQ(core::sum(dec("-3"), dec("1.5"))->to_string(), "-1.5");
  EXPECT_EQ(core::sum(dec("3"), dec("-3"))->to_string(), "0");
  EXPECT_EQ(core::difference(dec("1000"), dec("999.999"))->to_string(), "0.001");
  EXPECT_EQ(core::difference(dec("0.1"), dec("0.3"))->to_string(), "-0.2");
}

TEST(DecimalSum, OverflowIsAnErrorNotAWrap) {
  auto r = core::sum(dec("18446744073709551615"), dec("1"));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().detail.find("does not fit"), std::string::npos);
  // Aligning the exponents overflows too: 1844674407370955162 x 10 > 2^64 - 1.
  EXPECT_FALSE(core::sum(dec("1844674407370955162"), dec("0.1")));
  EXPECT_EQ(core::sum(dec("1844674407370955161"), dec("0.1"))->to_string(),
            "1844674407370955161.1");
}

TEST(ValveAmount, AcceptsWholeAndDecimalNumbers) {
  EXPECT_EQ(core::valve::parse_amount("1234")->to_string(), "1234");
  EXPECT_EQ(core::valve::parse_amount("12.345")->to_string(), "12.345");
  EXPECT_EQ(core::valve::parse_amount("0")->to_string(), "0");
  EXPECT_EQ(core::valve::parse_amount("-0")->to_string(), "0");
  EXPECT_EQ(core::valve::parse_amount("-0.000")->to_string(), "0.000");
  EXPECT_EQ(core::valve::parse_amount("+7")->to_string(), "7");
  EXPECT_EQ(core::valve::parse_amount("0012.50")->to_string(), "12.50");
  // What atoi reads as 14345: a point without fraction digits.
  EXPECT_EQ(core::valve::parse_amount("14345.")->to_string(), "14345");
}

// MeterLoggerWeb writes its float sum with every digit; the original reads it with atoi.
TEST(ValveAmount, KeepsNineDecimalsAndRoundsFurtherDigitsUp) {
  EXPECT_EQ(core::valve::parse_amount("14345.5882352941098")->to_string(), "14345.588235295");
  EXPECT_EQ(core::valve::parse_amount("14345.588235294")->to_string(), "14345.588235294");
  EXPECT_EQ(core::valve::parse_amount("14345.5882352940000")->to_string(), "14345.588235294");
  EXPECT_EQ(core::valve::parse_amount("0.0000000001")->to_string(), "0.000000001");
  EXPECT_EQ(core::valve::parse_amount("99.9999999999")->to_string(), "100.000000000");
  // The valve closes at the same readings as with the full number.
  const auto limit = *core::valve::parse_amount("14345.5882352941098");
  EXPECT_FALSE(core::valve::limit_reached(dec("14345.588235294"), limit));
  EXPECT_TRUE(core::valve::limit_reached(dec("14345.588235295"), limit));
  EXPECT_TRUE(core::valve::limit_reached(dec("14346"), limit));
  // Long texts up to the firmware's own limit.
  const std::string long_text = "12." + std::string(443, '0');
  ASSERT_EQ(long_text.size(), core::valve::kMaxAmountText);
  EXPECT_EQ(core::valve::parse_amount(long_text)->to_string(), "12.000000000");
  EXPECT_EQ(core::valve::parse_amount("18446744073709551615")->to_string(), "18446744073709551615");
}

TEST(ValveAmount, RejectsNegativeAndGarbageByName) {
  auto neg = core::valve::parse_amount("-5");
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().code, core::Errc::valve_negative);
  EXPECT_EQ(core::valve::parse_amount("-0.0000000001").error().code, core::Errc::valve_negative);
  for (const char* bad :
       {"", "abc", "12x", "1e3", " 5", "5 ", ".5", "-", "+", "1.2.3", "1,5", "18446744073709551616",
        "1844674407370955161.6", "18446744073709551615.1"}) {
    auto r = core::valve::parse_amount(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().code, core::Errc::valve_bad_amount) << bad;
  }
  auto too_long = core::valve::parse_amount("1." + std::string(445, '0'));
  ASSERT_FALSE(too_long);
  EXPECT_NE(too_long.error().detail.find("more than 446"), std::string::npos);
}

core::sample::Reading heat(std::string_view e1, std::string unit) {
  core::sample::Reading r;
  r.values["e1"] = {dec(e1), std::move(unit)};
  r.values["v1"] = {dec("123.45"), "m3"};
  return r;
}

TEST(ValveMetered, EnergyInKwhFromAnyUnit) {
  EXPECT_EQ(core::valve::metered(heat("7126", "kWh"))->to_string(), "7126");
  EXPECT_EQ(core::valve::metered(heat("7.126", "MWh"))->to_string(), "7126.000");
  // 1 GJ = 277.777... kWh: rounded at 6 decimals, far below any limit's resolution.
  EXPECT_EQ(core::valve::metered(heat("1.000", "GJ"))->to_string(), "277.777778");
  EXPECT_FALSE(core::valve::metered(heat("5", "")));
  auto flow = heat("1", "kWh");
  flow.flow_meter = true;
  EXPECT_EQ(core::valve::metered(flow)->to_string(), "123.45");
  flow.values["v1"] = {dec("1500"), "l"};
  EXPECT_EQ(core::valve::metered(flow)->to_string(), "1.500");
}

TEST(ValveMetered, LimitReachedAtOrAbove) {
  EXPECT_FALSE(core::valve::limit_reached(dec("99.999"), dec("100")));
  EXPECT_TRUE(core::valve::limit_reached(dec("100.000"), dec("100")));
  EXPECT_TRUE(core::valve::limit_reached(dec("100.5"), dec("100")));
  // The original compared whole kWh; a GJ meter at 27.78 GJ is 7716.67 kWh.
  EXPECT_TRUE(core::valve::limit_reached(*core::valve::metered(heat("27.78", "GJ")), dec("7716")));
  EXPECT_FALSE(core::valve::limit_reached(*core::valve::metered(heat("27.77", "GJ")), dec("7716")));
}

TEST(ValveReply, WholeKwhOrThreeDecimalsOfM3) {
  EXPECT_EQ(core::valve::reply_text(dec("7716.999"), false), "7716");
  EXPECT_EQ(core::valve::reply_text(dec("12"), false), "12");
  EXPECT_EQ(core::valve::reply_text(dec("12"), true), "12.000");
  EXPECT_EQ(core::valve::reply_text(dec("1.5"), true), "1.500");
  EXPECT_EQ(core::valve::reply_text(dec("1.23456"), true), "1.234");
  EXPECT_EQ(core::valve::reply_text(dec("-3"), false), "0");
  // MeterLoggerWeb's limit: the echo is less than 1 (heat) or 0.001 (flow) below what was sent.
  const auto sent = *core::valve::parse_amount("14345.5882352941098");
  EXPECT_EQ(core::valve::reply_text(sent, false), "14345");
  EXPECT_EQ(core::valve::reply_text(sent, true), "14345.588");
}

using test::TempDir;

std::string read(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(ValveOutputs, NormallyClosedDrivesHighToOpenWithBothOutputsAndTheLed) {
  TempDir dir;
  asio::io_context io;
  agent::ValveConfig c;
  c.output = "file:" + dir.file("ac1");
  c.second_output = "file:" + dir.file("ac2");
  c.led = "file:" + dir.file("led");
  auto v = agent::ValveOutputs::open(io.get_executor(), c, false);
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(read(dir.file("ac1")), "0\n");  // set as the lines are opened
  EXPECT_EQ(read(dir.file("ac2")), "0\n");
  EXPECT_EQ(read(dir.file("led")), "0\n");
  ASSERT_TRUE(v->set(true));
  EXPECT_EQ(read(dir.file("ac1")), "1\n");
  EXPECT_EQ(read(dir.file("ac2")), "1\n");
  EXPECT_EQ(read(dir.file("led")), "1\n");
  ASSERT_TRUE(v->off());
  EXPECT_EQ(read(dir.file("ac1")), "0\n");
  EXPECT_EQ(read(dir.file("led")), "0\n");
}

TEST(ValveOutputs, NormallyOpenDrivesLowToOpen) {
  TempDir dir;
  asio::io_context io;
  agent::ValveConfig c;
  c.output = "file:" + dir.file("ac1");
  c.normally_open = true;
  auto v = agent::ValveOutputs::open(io.get_executor(), c, true);
  ASSERT_TRUE(v);
  EXPECT_EQ(read(dir.file("ac1")), "0\n");
  ASSERT_TRUE(v->set(false));
  EXPECT_EQ(read(dir.file("ac1")), "1\n");
}

TEST(ValveOutputs, TestTogglesTheFirstOutputUntilTheNextState) {
  TempDir dir;
  asio::io_context io;
  agent::ValveConfig c;
  c.output = "file:" + dir.file("ac1");
  c.second_output = "file:" + dir.file("ac2");
  auto v = agent::ValveOutputs::open(io.get_executor(), c, false);
  ASSERT_TRUE(v);
  ASSERT_TRUE(v->test(std::chrono::milliseconds(20)));
  EXPECT_EQ(read(dir.file("ac1")), "1\n");
  EXPECT_EQ(read(dir.file("ac2")), "0\n");
  io.run_one();  // one period later
  EXPECT_EQ(read(dir.file("ac1")), "0\n");
  io.run_one();
  EXPECT_EQ(read(dir.file("ac1")), "1\n");
  ASSERT_TRUE(v->set(false));
  io.run_for(std::chrono::milliseconds(60));
  EXPECT_EQ(read(dir.file("ac1")), "0\n");
}

TEST(ValveOutputs, UnwritableOrMissingLinesAreNamed) {
  asio::io_context io;
  agent::ValveConfig c;
  c.output = "file:/nonexistent-dir/ac1";
  auto v = agent::ValveOutputs::open(io.get_executor(), c, false);
  ASSERT_FALSE(v);
  EXPECT_NE(v.error().detail.find("/nonexistent-dir/ac1"), std::string::npos);
  c.output = "gpio:no-such-chip-here:14";
  auto g = agent::ValveOutputs::open(io.get_executor(), c, false);
  ASSERT_FALSE(g);
  EXPECT_NE(g.error().detail.find("gpio:no-such-chip-here:14"), std::string::npos);
}

TEST(ValveStore, StateLimitAndTheRecordOfChanges) {
  TempDir dir;
  {
    auto store = agent::Store::open(dir.path());
    ASSERT_TRUE(store);
    EXPECT_FALSE(*store->valve("7210086"));
    ASSERT_TRUE(store->set_valve("7210086", {"open", "7716"}, "command", 100));
    ASSERT_TRUE(store->set_valve("7210086", {"close", "7716"}, "auto_close", 200));
  }
  auto store = agent::Store::open(dir.path());
  auto v = store->valve("7210086");
  ASSERT_TRUE(v && *v);
  EXPECT_EQ((*v)->state, "close");
  EXPECT_EQ((*v)->limit, "7716");
  auto log = store->valve_log("7210086", 10);
  ASSERT_TRUE(log);
  ASSERT_EQ(log->size(), 2u);
  EXPECT_EQ((*log)[0].cause, "command");
  EXPECT_EQ((*log)[0].state, "open");
  EXPECT_EQ((*log)[1].cause, "auto_close");
  EXPECT_EQ((*log)[1].time, 200);
  EXPECT_FALSE(*store->valve("other"));
}

}  // namespace
}  // namespace ml
