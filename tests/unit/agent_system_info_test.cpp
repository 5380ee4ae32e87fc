// The agent's system texts (src/agent/system_info.hpp): the `vdd` reply read from a file of
// millivolts, and what an unreadable or damaged file gives (the firmware's "0.000"); the
// `version` model string, the `reset_reason` codes and the `network_quality` figures.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <string>

#include "agent/system_info.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

TEST(AgentSystemInfo, VddIsVoltsWithThreeDecimalsFromMillivolts) {
  test::TempDir dir;
  const std::string file = dir.file("vdd");
  const auto vdd = [&](const std::string& content) {
    std::ofstream(file) << content;
    return agent::vdd_text(file);
  };
  EXPECT_EQ(vdd("3300\n"), "3.300");
  EXPECT_EQ(vdd(" 42 mV\n"), "0.042");
  EXPECT_EQ(vdd("0"), "0.000");
  EXPECT_EQ(vdd("abc"), "0.000");
  EXPECT_EQ(vdd("-5"), "0.000");
  EXPECT_EQ(vdd("99999999999999999999999"), "0.000");  // out of range: no exception
  EXPECT_EQ(vdd(""), "0.000");
  EXPECT_EQ(agent::vdd_text(""), "0.000");
  EXPECT_EQ(agent::vdd_text(dir.file("missing")), "0.000");
}

TEST(AgentSystemInfo, VersionNamesTheModelAsTheOriginalsBuildFlags) {
  using core::sample::MeterKind;
  const auto version = [](MeterKind kind, bool flow) {
    const std::string v = agent::version_text(meter::driver_of(kind), flow);
    EXPECT_EQ(v.rfind("linux-", 0), 0u) << v;
    return v.substr(v.find('-', 6) + 1);  // after "linux-<version>-"
  };
  EXPECT_EQ(version(MeterKind::kmp, false), "KMP-THERMO_NC-DEBUG_STACK_TRACE");
  EXPECT_EQ(version(MeterKind::kmp, true), "KMP-FLOW-THERMO_NC-DEBUG_STACK_TRACE");
  EXPECT_EQ(version(MeterKind::pulse_electricity, false), "IMPULSE-DEBUG_STACK_TRACE");
}

TEST(AgentSystemInfo, ResetReasonCodes) {
  const auto code = [](agent::RunEnd end) {
    const std::string t = agent::reset_reason_text(end);
    EXPECT_NE(t.find("&exccause=0&epc1=0x00000000&"), std::string::npos) << t;
    return t.substr(0, t.find('&'));
  };
  EXPECT_EQ(code(agent::RunEnd::first_start), "reason=0");
  EXPECT_EQ(code(agent::RunEnd::power_loss), "reason=0");
  EXPECT_EQ(code(agent::RunEnd::crash), "reason=2");
  EXPECT_EQ(code(agent::RunEnd::watchdog), "reason=3");
  EXPECT_EQ(code(agent::RunEnd::restart), "reason=4");
  EXPECT_EQ(code(agent::RunEnd::clean_stop), "reason=6");
}

TEST(AgentSystemInfo, NetworkQualityAveragesTheRoundTripsAndCountsLosses) {
  EXPECT_EQ(agent::network_quality_text({}, {}, 3),
            "ping_response_time=unknown&ping_average_packet_loss=unknown&disconnect_count=3");
  const std::deque<std::uint64_t> rtt{1500, 2500, 2005};  // microseconds: 2001.67 on average
  const std::deque<bool> delivered{true, true, true, false, true, true};
  EXPECT_EQ(agent::network_quality_text(rtt, delivered, 0),
            "ping_response_time=2.001 mS&ping_average_packet_loss=16.66%&disconnect_count=0");
}

}  // namespace
}  // namespace ml
