// The agent's command table (src/agent/device.hpp, Device::handles) against the protocol's
// (core/topic/names.hpp): every command a device obeys over MQTT has exactly one handler, no
// handler exists for a name the protocol does not list or lets only cron run, the network
// commands are the ones the network part carries out, and the commands cron may run have their
// own handlers.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string_view>

#include "agent/device.hpp"
#include "agent/network.hpp"
#include "core/topic/names.hpp"

namespace ml {
namespace {

using agent::Device;

TEST(AgentCommands, EveryMqttCommandOfTheProtocolHasAHandler) {
  std::size_t over_mqtt = 0;
  for (const core::topic::CommandInfo& c : core::topic::kCommands) {
    if (!c.over_mqtt()) continue;
    ++over_mqtt;
    EXPECT_TRUE(Device::handles(c.name)) << c.name;
  }
  EXPECT_EQ(Device::handled_commands().size(), over_mqtt);
}

TEST(AgentCommands, NoHandlerForANameTheProtocolDoesNotLetTheServerSend) {
  const auto names = Device::handled_commands();
  const std::set<std::string_view> unique(names.begin(), names.end());
  EXPECT_EQ(unique.size(), names.size()) << "a command has two rows";
  for (std::string_view name : names) {
    const core::topic::CommandInfo* c = core::topic::find_command(name);
    ASSERT_NE(c, nullptr) << name;
    EXPECT_TRUE(c->over_mqtt()) << name;
  }
  // Cron only (the valve's off and test), never implemented (save), and not commands at all.
  for (std::string_view name : {"off", "test", "save", "sample", "", "PING", "ping "})
    EXPECT_FALSE(Device::handles(name)) << name;
}

TEST(AgentCommands, TheNetworkCommandsAreAllHandled) {
  std::size_t network = 0;
  for (std::string_view name : Device::handled_commands()) {
    if (agent::is_network_command(name)) ++network;
  }
  EXPECT_EQ(network, 12u);  // is_network_command's twelve
}

TEST(AgentCommands, EveryCommandCronMayRunHasACronHandlerAndNoOtherHas) {
  std::size_t from_cron = 0;
  for (const core::topic::CommandInfo& c : core::topic::kCommands) {
    EXPECT_EQ(Device::runs_from_cron(c.name), c.from_cron()) << c.name;
    if (c.from_cron()) ++from_cron;
  }
  const auto names = Device::cron_handled_commands();
  EXPECT_EQ(names.size(), from_cron);
  for (std::string_view name : names)
    EXPECT_NE(core::topic::find_cron_command(name), nullptr) << name;
  for (std::string_view name : {"ping", "set_cron", "save", ""})
    EXPECT_FALSE(Device::runs_from_cron(name)) << name;
}

}  // namespace
}  // namespace ml
