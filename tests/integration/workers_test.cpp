// `run --worker NAME` on PostgreSQL (docs/scaling.md, "Several workers"): two workers share the
// ingest through an MQTT shared subscription, each with its own persistent session; one of them
// at a time holds the duties lease and sends the commands. A worker killed during a burst loses
// nothing and stores nothing twice; when the lease holder dies, the other takes the duties over
// and sends what is queued.
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>
#include <thread>

#include "agent_support.hpp"
#include "core/envelope/envelope.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

std::unique_ptr<Process> start_worker(const TempDir& dir, const std::string& config,
                                      const std::string& name) {
  static int n = 0;
  auto p = std::make_unique<Process>(
      std::vector<std::string>{server_bin(), "--config", config, "run", "--worker", name},
      dir.file("worker-" + name + "-" + std::to_string(++n) + ".log"));
  EXPECT_TRUE(wait_for_log(*p, "ingest: connected")) << p->log();
  return p;
}

std::pair<std::string, core::Bytes> sealed(std::int64_t time, std::int64_t kwh) {
  const std::string topic = "/sample/v2/6892850/" + std::to_string(time);
  const std::string text = "heap=1000&t1=70.50 C&e1=" + std::to_string(kwh) + " kWh&";
  const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
  return {topic, platform::seal_random(keys, topic, text, core::envelope::Padding::pkcs7).value()};
}

// The samples a worker's log says it stored, and the duplicates it saw, at its clean stop.
std::pair<std::int64_t, std::int64_t> stored_by(const Process& p) {
  std::smatch m;
  const std::string log = p.log();
  if (!std::regex_search(log, m, std::regex("stored ([0-9]+), duplicates ([0-9]+)"))) {
    return {-1, -1};
  }
  return {std::stoll(m[1]), std::stoll(m[2])};
}

bool holds_duties(const Process& p) {
  return p.log().find("holds the lease") != std::string::npos;
}

TEST(PostgresOnly, TwoWorkersShareTheIngestAndOneAtATimeSendsCommands) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port(),
                                          "[workers]\nlease = 6\n[gaps]\ninterval = 0\n"
                                          "[commands]\npoll_interval = 0\n"
                                          "[homeassistant]\nenabled = true\ngroups = [\"g\"]\n");
  add_test_meter(config, {"--group", "g"});
  auto a = start_worker(dir, config, "a");
  auto b = start_worker(dir, config, "b");
  ASSERT_TRUE(wait_until([&] { return holds_duties(*a) || holds_duties(*b); }, scaled(30s)))
      << a->log() << b->log();
  EXPECT_NE(holds_duties(*a), holds_duties(*b)) << "exactly one worker holds the duties";

  // A burst, during which worker b is killed and started again (same name: its session).
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));
  constexpr int kSamples = 2000;
  const std::int64_t start = unix_now() - 10 * 86400;
  for (int i = 0; i < kSamples; ++i) {
    if (i == kSamples / 2) {
      b->stop(SIGKILL);
      b = start_worker(dir, config, "b");
    }
    auto s = sealed(start + 60 * i, 1000 + i);
    pub.publish_raw(s.first, s.second);
  }
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", kSamples, scaled(60s)))
      << count(dir, "SELECT COUNT(*) FROM samples") << "\n"
      << a->log() << b->log();
  EXPECT_EQ(count(dir, "SELECT COUNT(DISTINCT time) FROM samples"), kSamples);
  EXPECT_EQ(count(dir, "SELECT SUM(samples) FROM rollups WHERE period=0"), kSamples);

  // The holder dies: the other takes the duties over within the lease and sends what is queued.
  Process* holder = holds_duties(*a) ? a.get() : b.get();
  Process* other = holder == a.get() ? b.get() : a.get();
  holder->stop(SIGKILL);
  auto queued = server_cli(config, {"send", "6892850", "version"});
  ASSERT_EQ(queued.status, 0) << queued.err;
  ASSERT_TRUE(wait_until([&] { return holds_duties(*other); }, scaled(30s))) << other->log();
  EXPECT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM commands WHERE sent_count > 0", 1, scaled(30s)))
      << other->log();

  // Each worker's [homeassistant] client has an id of its own: neither pushed the other off the
  // broker (with one id for both, the broker drops one whenever the other connects).
  for (const Process* p : {a.get(), b.get()}) {
    EXPECT_EQ(p->log().find("homeassistant: broker"), std::string::npos) << p->log();
  }
  EXPECT_NE(other->log().find("homeassistant: connected"), std::string::npos) << other->log();

  // The survivor took its share of the ingest, not all of it, and was not sent everything
  // twice (without the shared subscription each worker gets every message: half duplicates).
  EXPECT_EQ(other->stop(SIGTERM), 0);
  const auto [stored, duplicates] = stored_by(*other);
  EXPECT_GT(stored, 0) << other->log();
  EXPECT_LT(stored, kSamples);
  EXPECT_LT(duplicates, kSamples / 4);
}

}  // namespace
}  // namespace ml::test
