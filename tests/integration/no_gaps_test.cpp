// No gaps, whatever the broker does (docs/server.md, "Gaps"): a broker with mosquitto's default
// queue of 1 000 messages drops what an absent server's session cannot hold; the server finds the
// gap among the samples it stored, asks the agent to `resend` it, and the agent publishes the
// samples it kept. Real mosquitto, the real agent against the KMP emulator, the real server.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>

#include "agent/store.hpp"
#include "agent_support.hpp"
#include "core/envelope/envelope.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "platform/sqlite/db.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kSerial = "6892850";

// The times of every row of `sql` on the server's database (one integer column).
std::vector<std::int64_t> times(const TempDir& dir, const std::string& sql) {
  std::vector<std::int64_t> out;
  for (const auto& row : rows(dir, sql))
    out.push_back(std::stoll(row.at(0)));
  return out;
}

// The same on the agent's SQLite file `db_path`.
std::vector<std::int64_t> agent_times(const std::string& db_path, const std::string& sql) {
  std::vector<std::int64_t> out;
  auto db = platform::sqlite::Db::open_read_only(db_path);
  if (!db) return out;
  auto q = db->prepare(sql);
  if (!q) return out;
  while (true) {
    auto row = q->step();
    if (!row || !*row) break;
    out.push_back(q->int64(0));
  }
  return out;
}

// The first value of `sql` on the agent's file, or -1 when there is none (busy for a moment).
std::int64_t one(const std::string& db_path, const std::string& sql) {
  const auto v = agent_times(db_path, sql);
  return v.empty() ? -1 : v.front();
}

// The agent has been away from the broker for two hours (one sample every 5 s): its outbox holds
// 1 500 sealed samples, which it also keeps for `resend`, as its own sample loop leaves them.
void write_backlog(const TempDir& dir, std::int64_t now, int count, int step) {
  auto store = agent::Store::open(dir.file("state"));
  ASSERT_TRUE(store.ok()) << store.error().message();
  auto keys = core::envelope::derive_keys_from_hex(kTestKey);
  ASSERT_TRUE(keys.ok());
  for (int i = 0; i < count; ++i) {
    const std::int64_t t = now - static_cast<std::int64_t>(count - i) * step;
    const std::string topic = "/sample/v2/" + std::string(kSerial) + "/" + std::to_string(t);
    const std::string text = "heap=20000&t1=61.20 C&t2=32.10 C&v1=1200.5" + std::to_string(i % 10) +
                             " m3&e1=" + std::to_string(30000 + i) + " kWh&";
    auto sealed = platform::seal_random(*keys, topic, text, core::envelope::Padding::pkcs7);
    ASSERT_TRUE(sealed.ok());
    ASSERT_TRUE(store->enqueue(kSerial, topic, *sealed, t, {}, now).ok());
    ASSERT_TRUE(store->keep_sample(kSerial, t, text, {}, now).ok());
  }
}

TEST(NoGaps, TheServerAsksTheAgentForWhatTheBrokerDroppedAndEverySampleIsStored) {
  TempDir dir;
  const int port = free_port();
  Broker broker(dir, port,
                std::string(::geteuid() == 0 ? "user root\n" : "") +
                    "allow_anonymous true\nlistener " + std::to_string(port) +
                    " 127.0.0.1\nmax_queued_messages 1000\nlog_dest file " +
                    dir.file("mosquitto.log") + "\n");
  broker.start();
  const auto server_config = write_server_config(dir, port, "[gaps]\ninterval = 1\ndelay = 0\n");
  add_test_meter(server_config);
  // The server's persistent session exists: the broker queues for it from now on, up to 1 000.
  auto server = start_server(dir, server_config);
  ASSERT_EQ(server->stop(SIGTERM), 0);

  constexpr int kBacklog = 1500;
  constexpr int kStep = 5;
  const std::int64_t now = unix_now();
  write_backlog(dir, now, kBacklog, kStep);
  Emulator meter(dir, "kmp", {"--serial", kSerial, "--freeze"});
  auto m = serial_meter("kmp", meter.link(), kStep);
  m.serial = kSerial;
  const auto agent_config = write_agent_config(dir, port, {m});
  auto agent = start_agent(dir, agent_config);

  // The whole backlog leaves the agent for the broker, which drops what does not fit the
  // server's queue.
  const std::string state_db = dir.file("state") + "/state.db";
  ASSERT_TRUE(wait_until(
      [&] {
        return one(state_db,
                   "SELECT count(*) FROM outbox WHERE created < " + std::to_string(now)) == 0;
      },
      scaled(60s), 100ms))
      << agent->log();
  ASSERT_TRUE(wait_until(
      [&] { return broker.log().find("Outgoing messages are being dropped") != std::string::npos; },
      scaled(10s), 100ms))
      << broker.log();

  // The server comes back: 1 000 queued samples, then the live ones, and a gap between them that
  // it asks the agent to fill.
  server = start_server(dir, server_config);
  const std::string sql_sent = "SELECT count(*) FROM samples WHERE serial = '" +
                               std::string(kSerial) + "' AND time < " + std::to_string(now);
  EXPECT_TRUE(wait_count(dir, sql_sent, kBacklog, scaled(120s))) << count(dir, sql_sent) << "\n"
                                                                 << server->log() << agent->log();
  EXPECT_TRUE(wait_for_log(*server, "asked 1 devices to resend")) << server->log();
  // The first request is for the stretch the broker dropped, and the agent's reply says how many
  // it had: 500 or more (the live samples dropped with them are in the range too). (On a loaded
  // machine a read that ran late leaves a real gap among the live samples as well: it is asked
  // for too, and answered with what the agent had.)
  // (A later request may still wait for its reply: only the answered ones are read.)
  EXPECT_TRUE(wait_count(dir,
                         "SELECT count(*) FROM commands WHERE state = 'acked' AND id = (SELECT "
                         "min(id) FROM commands WHERE command = 'resend')",
                         1));
  const auto replies = times(dir,
                             "SELECT CAST(reply AS BIGINT) FROM commands WHERE command = 'resend' "
                             "AND state = 'acked' ORDER BY id");
  ASSERT_FALSE(replies.empty());
  EXPECT_GE(replies[0], kBacklog - 1000);

  // In the end every sample the agent took is stored once, and the rollups count them.
  ASSERT_TRUE(wait_until([&] { return one(state_db, "SELECT count(*) FROM outbox") == 0; },
                         scaled(60s), 100ms))
      << agent->log();
  const auto kept = agent_times(state_db, "SELECT time FROM kept_samples ORDER BY time");
  ASSERT_GE(kept.size(), static_cast<std::size_t>(kBacklog));
  const std::string sql_kept = "SELECT count(*) FROM samples WHERE serial = '" +
                               std::string(kSerial) +
                               "' AND time <= " + std::to_string(kept.back());
  EXPECT_TRUE(wait_count(dir, sql_kept, static_cast<std::int64_t>(kept.size()), scaled(60s)))
      << count(dir, sql_kept) << " of " << kept.size() << "\n"
      << server->log();
  ASSERT_EQ(agent->stop(SIGTERM), 0);
  auto stored = times(
      dir, "SELECT time FROM samples WHERE serial = '" + std::string(kSerial) + "' ORDER BY time");
  EXPECT_EQ(std::vector<std::int64_t>(stored.begin(),
                                      std::upper_bound(stored.begin(), stored.end(), kept.back())),
            kept);
  for (const auto period : times(dir, "SELECT DISTINCT period FROM rollups ORDER BY period")) {
    EXPECT_EQ(
        count(dir, "SELECT sum(samples) FROM rollups WHERE period = " + std::to_string(period)),
        static_cast<std::int64_t>(stored.size()))
        << "period " << period;
  }
  EXPECT_EQ(server->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace ml::test
