// The agent's system texts (src/agent/system_info.hpp): the `vdd` reply read from a file of
// millivolts, and what an unreadable or damaged file gives (the firmware's "0.000").
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace ml
