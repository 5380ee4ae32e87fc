// The server's [homeassistant] settings as the generator sees them (server/homeassistant.hpp):
// the options and the server's own device with its availability topic. The publishing itself
// runs against a real broker in tests/integration/server_homeassistant_test.cpp.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "server/homeassistant.hpp"

namespace ml::server {
namespace {

TEST(ServerHomeAssistant, OptionsComeFromTheConfiguration) {
  HomeAssistantConfig c;
  c.prefix = "ha";
  c.base_topic = "ml/{serial}";
  c.heat_as_gas = true;
  const auto o = homeassistant_options(c);
  EXPECT_EQ(o.prefix, "ha");
  EXPECT_EQ(o.base_topic, "ml/{serial}");
  EXPECT_TRUE(o.heat_as_gas);
}

TEST(ServerHomeAssistant, TheServerIsTheMetersViaDeviceWithItsConnectionsAvailability) {
  HomeAssistantConfig c;
  const auto g = homeassistant_gateway(c, "2.0.0");
  EXPECT_EQ(g.id, "server");
  EXPECT_EQ(g.name, "MeterLogger server");
  EXPECT_EQ(g.sw_version, "2.0.0");
  EXPECT_EQ(g.availability_topic, "meterlogger/server/availability");
  const auto msgs = core::homeassistant::gateway_messages(g, homeassistant_options(c));
  ASSERT_EQ(msgs.size(), 2u);
  const auto j = nlohmann::json::parse(msgs[0].payload);
  EXPECT_EQ(j["device"]["identifiers"][0], "meterlogger_server");
  EXPECT_EQ(j["availability_topic"], "meterlogger/server/availability");
  EXPECT_EQ(msgs[1].topic, "meterlogger/server/state");
}

}  // namespace
}  // namespace ml::server
