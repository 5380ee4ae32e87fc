// The server's [homeassistant] end to end (docs/homeassistant.md, "For operators"): a real
// mosquitto, `meterlogger-server run` with groups = ["ha"], sealed samples published as a device
// would; a plain MQTT client in the test plays Home Assistant. It checks that only the meters of
// the group are announced (retained, via the server's device), that states carry the exact
// values of the ingested sample, that moving a meter out of the group clears its configs, and the
// server's availability.
#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <fstream>
#include <map>
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

std::string ha_server_config(const TempDir& dir, int broker_port, const std::string& ha) {
  const std::string config = dir.file("server.toml");
  std::ofstream(config) << "log_level = \"debug\"\n[database]\npath = \"" << dir.file("server.db")
                        << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker_port
                        << "\n[homeassistant]\nenabled = true\ngroups = [\"ha\"]\nrefresh = 1\n"
                        << ha;
  return config;
}

void ha_add_meter(const std::string& config, const std::string& serial, const std::string& group) {
  auto r = ha_server_cli(
      config, {"meters", "add", serial, "--kind", "heat", "--key", kTestKey, "--group", group});
  ASSERT_EQ(r.status, 0) << r.err;
}

constexpr const char* kKmpSample =
    "heap=20000&t1=71.35 C&t2=41.02 C&tdif=30.33 K&flow1=112 l/h&effect1=3.9 kW&hr=40123 h&"
    "v1=4567.89 m3&e1=12345.678 MWh&";

TEST(ServerHomeAssistant, GroupsDiscoveryExactStatesAndRemoval) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const std::string config = ha_server_config(dir, broker.port(), "");
  ha_add_meter(config, "6892850", "ha");
  ha_add_meter(config, "6892851", "other");

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

  // Home Assistant restarts: its birth message makes the server announce every meter again.
  const std::size_t before = seen.size();
  ASSERT_TRUE(ha.publish("homeassistant/status", core::as_bytes("online"), 1, false).ok());
  EXPECT_TRUE(run_until(
      io,
      [&] {
        std::size_t n = 0;
        for (std::size_t i = before; i < seen.size(); ++i) {
          if (seen[i].topic.rfind(node, 0) == 0 && !seen[i].payload.empty()) ++n;
        }
        return n >= keys.size();
      },
      scaled(10s)))
      << server.log();

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

// A meter moved out of the groups while `run` was stopped: the next run finds the configs it
// published before (retained) and clears them.
TEST(ServerHomeAssistant, AMeterMovedWhileStoppedIsClearedAtTheNextStart) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const std::string config = ha_server_config(dir, broker.port(), "");
  ha_add_meter(config, "6892850", "ha");
  asio::io_context io;
  platform::MqttOptions o;
  o.port = broker.port();
  o.client_id = "test-homeassistant";
  o.clean_session = true;
  platform::MqttClient ha(io.get_executor(), o);
  std::map<std::string, std::string> configs;  // topic -> last payload
  ha.on_message([&](const platform::MqttMessage& m) {
    configs[m.topic] =
        std::string(reinterpret_cast<const char*>(m.payload.data()), m.payload.size());
  });
  const std::string node = "homeassistant/sensor/meterlogger_6892850/";
  ASSERT_TRUE(ha.subscribe(node + "+/config", 1).ok());
  ASSERT_TRUE(ha.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return ha.connected(); }));
  const auto count = [&](bool empty) {
    std::size_t n = 0;
    for (const auto& [topic, payload] : configs)
      n += payload.empty() == empty ? 1 : 0;
    return n;
  };
  {
    Process server({ML_SERVER_BIN, "--config", config, "run"}, dir.file("server-1.log"));
    // Both: the publisher connected to Home Assistant's broker may come first, and a sample
    // published before ingest has subscribed is lost (its session is new).
    ASSERT_TRUE(wait_for_log(server, "ingest: connected")) << server.log();
    ASSERT_TRUE(wait_for_log(server, "homeassistant: connected")) << server.log();
    TestServer pub(io, broker.port(), kTestKey, "publisher");
    ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));
    ha_publish_sample(pub, "6892850", unix_now() - 10, kKmpSample);
    ASSERT_TRUE(run_until(
        io, [&] { return count(false) >= 8; }, scaled(30s)))
        << server.log();
    EXPECT_EQ(server.stop(SIGTERM), 0);
  }
  auto moved = ha_server_cli(config, {"meters", "set", "6892850", "--group", "other"});
  ASSERT_EQ(moved.status, 0) << moved.err;
  Process server({ML_SERVER_BIN, "--config", config, "run"}, dir.file("server-2.log"));
  EXPECT_TRUE(run_until(
      io, [&] { return count(false) == 0 && count(true) >= 8; }, scaled(30s)))
      << server.log();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  ha.stop();
}

// Home Assistant's broker is not there: samples are stored as ever, the states are dropped and
// counted.
TEST(ServerHomeAssistant, ABrokerThatIsAwayNeverHoldsUpIngest) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const std::string config = ha_server_config(
      dir, broker.port(), "host = \"127.0.0.1\"\nport = " + std::to_string(free_port()) + "\n");
  ha_add_meter(config, "6892850", "ha");
  Process server({ML_SERVER_BIN, "--config", config, "run"}, dir.file("server.log"));
  ASSERT_TRUE(wait_for_log(server, "ingest: connected")) << server.log();
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));
  const std::int64_t now = unix_now();
  ha_publish_sample(pub, "6892850", now - 20, kKmpSample);
  ha_publish_sample(pub, "6892850", now - 10, kKmpSample);
  ASSERT_TRUE(wait_until(
      [&] {
        auto r = ha_server_cli(config, {"export", "6892850", "--format", "csv"});
        return r.status == 0 && std::count(r.out.begin(), r.out.end(), '\n') >= 3;
      },
      scaled(30s), 100ms))
      << server.log();
  EXPECT_TRUE(wait_for_log(server, "states are dropped")) << server.log();
  EXPECT_EQ(server.stop(SIGTERM), 0);
  EXPECT_NE(server.log().find("dropped 2"), std::string::npos) << server.log();
}

}  // namespace
}  // namespace ml::test
