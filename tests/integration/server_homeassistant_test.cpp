// The server's [homeassistant] end to end (docs/homeassistant.md, "For operators"): a real
// mosquitto, `meterlogger-server run` with groups = ["ha"], sealed samples published as a device
// would; a plain MQTT client in the test plays Home Assistant. It checks that only the meters of
// the group are announced (retained, via the server's device), that states carry the exact
// values of the ingested sample, that moving a meter out of the group clears its configs, and the
// server's availability.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "agent_support.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "platform/mqtt/client.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

struct HaSeen {
  std::string topic;
  std::string payload;
  bool retain = false;
};

RunResult ha_server_cli(const std::string& config, std::vector<std::string> args) {
  args.insert(args.begin(), ML_SERVER_BIN);
  args.insert(args.end(), {"--config", config});
  return run(args);
}

void ha_publish_sample(TestServer& pub, const std::string& serial, std::int64_t time,
                       const std::string& text) {
  const std::string topic = "/sample/v2/" + serial + "/" + std::to_string(time);
  const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
  pub.publish_raw(topic,
                  platform::seal_random(keys, topic, text, core::envelope::Padding::zero).value());
}

TEST(ServerHomeAssistant, GroupsDiscoveryExactStatesAndRemoval) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const std::string config = dir.file("server.toml");
  std::ofstream(config) << "log_level = \"debug\"\n[database]\npath = \"" << dir.file("server.db")
                        << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker.port()
                        << "\n[homeassistant]\nenabled = true\ngroups = [\"ha\"]\nrefresh = 1\n";
  for (const auto& [serial, group] :
       std::vector<std::pair<std::string, std::string>>{{"6892850", "ha"}, {"6892851", "other"}}) {
    auto r = ha_server_cli(
        config, {"meters", "add", serial, "--kind", "heat", "--key", kTestKey, "--group", group});
    ASSERT_EQ(r.status, 0) << r.err;
  }

  asio::io_context io;
  platform::MqttOptions o;
  o.port = broker.port();
  o.client_id = "test-homeassistant";
  o.clean_session = true;
  platform::MqttClient ha(io.get_executor(), o);
  std::vector<HaSeen> seen;
  ha.on_message([&](const platform::MqttMessage& m) {
    seen.push_back({m.topic,
                    std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size()),
                    m.retain});
  });
  ASSERT_TRUE(ha.subscribe("homeassistant/#", 1).ok());
  ASSERT_TRUE(ha.subscribe("meterlogger/#", 1).ok());
  ASSERT_TRUE(ha.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return ha.connected(); }));

  Process server({ML_SERVER_BIN, "--config", config, "run"}, dir.file("server.log"));
  ASSERT_TRUE(wait_for_log(server, "ingest: connected")) << server.log();
  ASSERT_TRUE(wait_for_log(server, "homeassistant: connected")) << server.log();

  const auto find_last = [&](const std::string& topic) -> const HaSeen* {
    for (auto it = seen.rbegin(); it != seen.rend(); ++it) {
      if (it->topic == topic) return &*it;
    }
    return nullptr;
  };
  const auto seen_any = [&](const std::string& part) {
    for (const HaSeen& s : seen) {
      if (s.topic.find(part) != std::string::npos) return true;
    }
    return false;
  };

  TestServer pub(io, broker.port(), kTestKey, "publisher");
  ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));
  const std::int64_t now = unix_now();
  // The meter outside the group first: when the other's state has come, its would have too.
  ha_publish_sample(pub, "6892851", now - 20,
                    "heap=20000&t1=60.00 C&t2=30.00 C&tdif=30.00 K&flow1=100 l/h&effect1=3.0 kW&"
                    "hr=100 h&v1=1.00 m3&e1=2.000 MWh&");
  const std::string text =
      "heap=20000&t1=71.35 C&t2=41.02 C&tdif=30.33 K&flow1=112 l/h&effect1=3.9 kW&hr=40123 h&"
      "v1=4567.89 m3&e1=12345.678 MWh&";
  ha_publish_sample(pub, "6892850", now - 10, text);

  const std::string node = "homeassistant/sensor/meterlogger_6892850/";
  const std::vector<std::string> keys = {"t1", "t2", "tdif", "flow1", "effect1", "hr", "v1", "e1"};
  ASSERT_TRUE(run_until(
      io,
      [&] {
        for (const auto& k : keys) {
          if (!find_last(node + k + "/config")) return false;
        }
        return find_last("meterlogger/6892850/state") != nullptr;
      },
      scaled(30s)))
      << server.log();

  for (const std::string& key : keys) {
    const HaSeen* s = find_last(node + key + "/config");
    ASSERT_NE(s, nullptr) << key;
    auto j = nlohmann::json::parse(s->payload);
    EXPECT_EQ(j["unique_id"], "meterlogger_6892850_" + key);
    EXPECT_EQ(j["state_topic"], "meterlogger/6892850/state");
    EXPECT_EQ(j["availability_topic"], "meterlogger/server/availability");
    EXPECT_EQ(j["value_template"], "{{ value_json." + key + " }}");
    EXPECT_EQ(j["device"]["identifiers"][0], "meterlogger_6892850");
    EXPECT_EQ(j["device"]["manufacturer"], "Kamstrup");
    EXPECT_EQ(j["device"]["model"], "MULTICAL 601/602/603/403");
    EXPECT_EQ(j["device"]["via_device"], "meterlogger_server");
    EXPECT_EQ(j["device"]["serial_number"], "6892850");
  }
  // The server's own device, which the meters name as via_device.
  const HaSeen* gw = find_last("homeassistant/sensor/meterlogger_server/version/config");
  ASSERT_NE(gw, nullptr);
  EXPECT_EQ(nlohmann::json::parse(gw->payload)["device"]["identifiers"][0], "meterlogger_server");
  EXPECT_EQ(nlohmann::json::parse(gw->payload)["device"]["name"], "MeterLogger server");
  const HaSeen* online = find_last("meterlogger/server/availability");
  ASSERT_NE(online, nullptr);
  EXPECT_EQ(online->payload, "online");

  // The state is the stored sample's exact text, value for value.
  const std::string state = find_last("meterlogger/6892850/state")->payload;
  EXPECT_EQ(state,
            "{\"t1\":71.35,\"t2\":41.02,\"tdif\":30.33,\"flow1\":112,\"effect1\":3.9,"
            "\"hr\":40123,\"v1\":4567.89,\"e1\":12345.678}");
  // Nothing at all for the meter outside the groups.
  EXPECT_FALSE(seen_any("6892851")) << server.log();

  // A late subscriber (Home Assistant starting) finds the configs retained.
  {
    platform::MqttOptions o2 = o;
    o2.client_id = "test-homeassistant-late";
    platform::MqttClient late(io.get_executor(), o2);
    std::vector<HaSeen> retained;
    late.on_message([&](const platform::MqttMessage& m) {
      if (m.retain && !m.payload.empty()) retained.push_back({m.topic, "", true});
    });
    ASSERT_TRUE(late.subscribe(node + "+/config", 1).ok());
    ASSERT_TRUE(late.start().ok());
    EXPECT_TRUE(run_until(
        io, [&] { return retained.size() >= keys.size(); }, scaled(10s)));
    late.stop();
  }

  // Moved out of the group: every config of the meter is cleared (empty, retained).
  auto moved = ha_server_cli(config, {"meters", "set", "6892850", "--group", "other"});
  ASSERT_EQ(moved.status, 0) << moved.err;
  ASSERT_TRUE(run_until(
      io,
      [&] {
        for (const auto& k : keys) {
          const HaSeen* s = find_last(node + k + "/config");
          if (!s || !s->payload.empty()) return false;
        }
        return true;
      },
      scaled(15s)))
      << server.log();
  EXPECT_TRUE(wait_for_log(server, "6892850 left the groups", scaled(5s)));

  // The server stops: its availability says offline.
  EXPECT_EQ(server.stop(SIGTERM), 0);
  EXPECT_TRUE(run_until(
      io,
      [&] {
        const HaSeen* a = find_last("meterlogger/server/availability");
        return a && a->payload == "offline";
      },
      scaled(10s)));
  ha.stop();
}

}  // namespace
}  // namespace ml::test
