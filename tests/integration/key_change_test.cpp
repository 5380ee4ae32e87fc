// Changing a device's key over MQTT (docs/security.md, "Changing a key"), end to end with real
// mosquitto, the agent against the KMP emulator and the server, each killed with SIGKILL at the
// steps of a change: a device and a server that still understand each other afterwards, and the
// old key retired once the device answered under the new one.
#include <gtest/gtest.h>
#include <signal.h>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

std::string meter_key(const TempDir& dir) {
  const auto r = rows(dir, "SELECT key || '/' || next_key FROM meters WHERE serial = '6892850'");
  return r.empty() ? "" : r[0][0];
}

TEST(KeyChange, SurvivesSigkillOfTheAgentAndTheServerAtEachStep) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port(), "[commands]\nretry_initial = 2\n");
  add_test_meter(config);
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze"});
  const auto agent_config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 1)});
  auto server = start_server(dir, config);
  auto agent = start_agent(dir, agent_config);
  const std::string samples = "SELECT count(*) FROM samples";
  ASSERT_TRUE(wait_count(dir, samples, 2)) << agent->log() << server->log();
  const std::string original = meter_key(dir);
  ASSERT_EQ(original, std::string(kTestKey) + "/");

  // 1. The server dies right after the change is started, before it could send set_key: the
  //    change waits in the database, and the restarted server finishes it.
  server->stop(SIGKILL);
  auto started = server_cli(config, {"meters", "rekey", "6892850"});
  ASSERT_EQ(started.status, 0) << started.err;
  EXPECT_NE(started.out.find("set_key is queued"), std::string::npos) << started.out;
  const std::string next = meter_key(dir).substr(33);
  ASSERT_EQ(next.size(), 32u);
  EXPECT_EQ(started.out.find(next), std::string::npos) << "the new key is never shown";
  server = start_server(dir, config);
  ASSERT_TRUE(wait_for_log(*agent, "the key was changed by set_key", scaled(30s))) << agent->log();
  ASSERT_TRUE(wait_until([&] { return meter_key(dir) == next + "/"; }, scaled(30s), 100ms))
      << meter_key(dir) << "\n"
      << server->log();
  EXPECT_TRUE(wait_for_log(*server, "the device uses its new key")) << server->log();

  // 2. The agent and the server both die the moment the agent has switched (its reply may or
  //    may not have left): after restarting, the agent seals with the key it stored, the server
  //    opens with the next key and finishes the change.
  //    The running server may send set_key and the agent switch before `rekey` has even exited
  //    (a slow exit under a sanitizer): the agent's log is marked before, and the new key is
  //    next_key, or already the key if the change finished.
  const auto switched = agent->log().size();
  auto second = server_cli(config, {"meters", "rekey", "6892850"});
  ASSERT_EQ(second.status, 0) << second.err;
  const std::string keys = meter_key(dir);
  const std::string third = keys.size() > 33 ? keys.substr(33) : keys.substr(0, 32);
  ASSERT_EQ(third.size(), 32u);
  ASSERT_NE(third, next);
  ASSERT_TRUE(wait_until(
      [&] {
        return agent->log().find("the key was changed by set_key", switched) != std::string::npos;
      },
      scaled(30s), 5ms))
      << agent->log();
  agent->stop(SIGKILL);
  server->stop(SIGKILL);
  const auto before = count(dir, samples);
  server = start_server(dir, config);
  agent = start_agent(dir, agent_config);
  EXPECT_TRUE(wait_for_log(*agent, "using the key set by set_key")) << agent->log();
  ASSERT_TRUE(wait_until([&] { return meter_key(dir) == third + "/"; }, scaled(30s), 100ms))
      << meter_key(dir) << "\n"
      << server->log();
  // Samples go on under the new key, and commands round trip with it.
  EXPECT_TRUE(wait_count(dir, samples, before + 3)) << server->log() << agent->log();
  auto ping = server_cli(config, {"send", "6892850", "version", "--wait", "--timeout", "30"});
  EXPECT_EQ(ping.status, 0) << ping.out << ping.err;
  EXPECT_EQ(ping.out.rfind("linux-", 0), 0u) << ping.out;
  // Nothing of the meter was rejected along the way (every message opened with a key it had),
  // and the set_key commands were answered.
  EXPECT_EQ(count(dir, "SELECT count(*) FROM rejections_by_serial WHERE serial = '6892850'"), 0);
  EXPECT_EQ(count(dir,
                  "SELECT count(*) FROM commands WHERE command = 'set_key' AND state <> "
                  "'acked'"),
            0);
  EXPECT_EQ(count(dir,
                  "SELECT count(*) FROM admin_audit WHERE action = 'meter.key_change' AND "
                  "detail LIKE 'finished%'"),
            2);
  EXPECT_EQ(server->stop(SIGTERM), 0);
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace ml::test
