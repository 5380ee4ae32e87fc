// [homeassistant] end to end (docs/homeassistant.md): a real mosquitto, the KMP emulator and the
// agent process; a plain MQTT client in the test plays Home Assistant. It checks the retained
// discovery configs (the meter's model, the gateway device named as via_device), that states
// carry the emulator's exact values, the availability topic and the re-announce after Home
// Assistant's birth message.
#include <gtest/gtest.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
#include "platform/mqtt/client.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

struct Seen {
  std::string topic;
  std::string payload;
  bool retain = false;
};

TEST(HomeAssistant, DiscoveryStatesAvailabilityAndReannounce) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());

  platform::MqttOptions o;
  o.port = broker.port();
  o.client_id = "test-homeassistant";
  o.clean_session = true;
  platform::MqttClient ha(io.get_executor(), o);
  std::vector<Seen> seen;
  ha.on_message([&](const platform::MqttMessage& m) {
    seen.push_back({m.topic,
                    std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()),
                    m.retain});
  });
  ASSERT_TRUE(ha.subscribe("homeassistant/#", 1).ok());
  ASSERT_TRUE(ha.subscribe("meterlogger/#", 1).ok());
  ASSERT_TRUE(ha.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return ha.connected(); }));

  const auto config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 2)},
                         "[homeassistant]\nenabled = true\nhost = \"127.0.0.1\"\nport = " +
                             std::to_string(broker.port()) + "\n");
  auto agent = start_agent(dir, config);

  const std::string node = "homeassistant/sensor/meterlogger_6892850/";
  const std::vector<std::string> keys = {"t1", "t2", "tdif", "flow1", "effect1", "hr", "v1", "e1"};
  const auto count_configs = [&](std::size_t from) {
    std::size_t n = 0;
    for (std::size_t i = from; i < seen.size(); ++i) {
      if (seen[i].topic.rfind(node, 0) == 0 && !seen[i].payload.empty()) ++n;
    }
    return n;
  };
  const auto find_last = [&](const std::string& topic) -> const Seen* {
    for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
      if (it->topic == topic) return &*it;
    }
    return nullptr;
  };
  ASSERT_TRUE(run_until(
      io, [&] { return count_configs(0) >= keys.size() && find_last("meterlogger/6892850/state"); },
      scaled(30s)))
      << agent->log();

  for (const std::string& key : keys) {
    const Seen* s = find_last(node + key + "/config");
    ASSERT_NE(s, nullptr) << key;
    auto j = nlohmann::json::parse(s->payload);
    EXPECT_EQ(j["unique_id"], "meterlogger_6892850_" + key);
    EXPECT_EQ(j["state_topic"], "meterlogger/6892850/state");
    EXPECT_EQ(j["availability_topic"], "meterlogger/6892850/availability");
    EXPECT_EQ(j["value_template"], "{{ value_json." + key + " }}");
    EXPECT_EQ(j["device"]["manufacturer"], "Kamstrup");
    EXPECT_EQ(j["device"]["serial_number"], "6892850");
    EXPECT_TRUE(j.contains("state_class")) << key;
    EXPECT_TRUE(j.contains("unit_of_measurement")) << key;
  }
  // The meter's model as the KMP driver knows it, and the gateway as a device of its own that
  // the meter names as via_device.
  const auto e1 = nlohmann::json::parse(find_last(node + "e1/config")->payload);
  EXPECT_EQ(e1["device"]["model"], "MULTICAL 601/602/603/403");
  const std::string via = e1["device"]["via_device"];
  const Seen* gateway = find_last("homeassistant/sensor/" + via + "/version/config");
  ASSERT_NE(gateway, nullptr) << via;
  const auto g = nlohmann::json::parse(gateway->payload);
  EXPECT_EQ(g["device"]["identifiers"][0], via);
  EXPECT_EQ(g["device"]["model"], "MeterLogger agent");
  EXPECT_EQ(nlohmann::json::parse(find_last(node + "e1/config")->payload)["device_class"],
            "energy");
  EXPECT_EQ(nlohmann::json::parse(find_last(node + "e1/config")->payload)["state_class"],
            "total_increasing");
  EXPECT_FALSE(
      nlohmann::json::parse(find_last(node + "tdif/config")->payload).contains("device_class"));

  // The state carries the emulator's exact values, as JSON number text.
  const std::string state = find_last("meterlogger/6892850/state")->payload;
  const auto emulated = meter.state();
  const std::map<std::string, std::string> names = {
      {"E1", "e1"}, {"V1", "v1"},      {"HR", "hr"},       {"T1", "t1"},
      {"T2", "t2"}, {"T1-T2", "tdif"}, {"FLOW1", "flow1"}, {"POWER1", "effect1"}};
  for (const auto& reg : emulated["registers"]) {
    const std::string key = names.at(reg["name"]);
    const std::string value = reg["value"];
    EXPECT_NE(state.find("\"" + key + "\":" + value), std::string::npos)
        << key << " " << value << " in " << state;
  }
  const Seen* online = find_last("meterlogger/6892850/availability");
  ASSERT_NE(online, nullptr);
  EXPECT_EQ(online->payload, "online");

  // Home Assistant restarts: its birth message makes the agent announce again.
  const std::size_t before = seen.size();
  ASSERT_TRUE(ha.publish("homeassistant/status", core::as_bytes("online"), 1, false).ok());
  EXPECT_TRUE(run_until(
      io, [&] { return count_configs(before) >= keys.size(); }, scaled(15s)))
      << agent->log();

  // The agent stops: the sensors become unavailable.
  EXPECT_EQ(agent->stop(SIGTERM), 0);
  EXPECT_TRUE(run_until(
      io,
      [&] {
        const Seen* a = find_last("meterlogger/6892850/availability");
        return a && a->payload == "offline";
      },
      scaled(15s)));
  ha.stop();
}

}  // namespace
}  // namespace ml::test
