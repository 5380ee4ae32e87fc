// The agent's GET /metrics end to end (docs/metrics.md, "Agent"): mosquitto, the meter emulator
// and the agent with [metrics] on a loopback port; each scrape is parsed with Debian's
// python3-prometheus-client, as Prometheus would read it. The figures follow what happens: a
// published sample, then the broker going away.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "harness.hpp"
#include "mqtt_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kToken = "agent-scrape-token-1";

const std::string kParser = R"(
import json, sys
from prometheus_client.parser import text_string_to_metric_families
samples = {}
for f in text_string_to_metric_families(open(sys.argv[1]).read()):
    for s in f.samples:
        samples[s.name + json.dumps(s.labels, sort_keys=True, separators=(',', ':'))] = s.value
print(json.dumps(samples))
)";

int metrics_port(const TempDir& dir, Process& agent) {
  const std::string file = dir.file("state") + "/metrics.port";
  if (!wait_for_path(file, scaled(20s))) {
    ADD_FAILURE() << "the metrics endpoint did not start\n" << agent.log();
    return -1;
  }
  std::string text;
  wait_until(
      [&] {
        text = read_text_file(file);
        return !text.empty() && text.back() == '\n';
      },
      scaled(2s));
  return !text.empty() && text.back() == '\n' ? std::atoi(text.c_str()) : -1;
}

class Scraper {
 public:
  Scraper(const TempDir& dir, int port) : dir_(dir), http_("127.0.0.1", port) {
    http_.set_read_timeout(scaled(10s));
  }
  // The parsed samples ("name{labels as sorted JSON}" -> value); empty when the scrape failed.
  json scrape() {
    auto r = http_.Get("/metrics", {{"Authorization", std::string("Bearer ") + kToken}});
    if (!r || r->status != 200) return json::object();
    const std::string file = dir_.file("scrape.txt");
    std::ofstream(file) << r->body;
    auto parsed = run({ML_SYSTEM_PYTHON, "-c", kParser, file});
    EXPECT_EQ(parsed.status, 0) << parsed.err;
    auto j = json::parse(parsed.out, nullptr, false);
    return j.is_discarded() ? json::object() : j;
  }
  httplib::Client& http() { return http_; }

 private:
  const TempDir& dir_;
  httplib::Client http_;
};

double value(const json& s, const std::string& name, const json& labels) {
  const std::string key = name + labels.dump();
  return s.contains(key) ? s[key].get<double>() : -1;
}

const json kMeter = {{"meter", "meter[1]"}};

TEST(AgentMetrics, ScrapeFollowsReadsPublicationAndTheBroker) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--pace-speedup", "10"});
  asio::io_context io;
  TestServer server(io, broker.port());
  { std::ofstream(dir.file("metrics.token")) << kToken << "\n"; }
  ::chmod(dir.file("metrics.token").c_str(), 0600);
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 1)},
                              "[metrics]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"" +
                                  dir.file("metrics.token") + "\"\n"));
  const int port = metrics_port(dir, *agent);
  ASSERT_GT(port, 0);
  Scraper scraper(dir, port);

  // Only GET /metrics, only with the token.
  auto none = scraper.http().Get("/metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  auto wrong = scraper.http().Get("/metrics", {{"Authorization", "Bearer nope"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto other = scraper.http().Get("/", {{"Authorization", std::string("Bearer ") + kToken}});
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 404);

  ASSERT_TRUE(
      server.wait_for([](const Received& r) { return r.parsed.name == "sample"; }, scaled(20s)))
      << agent->log();
  json s;
  ASSERT_TRUE(wait_until(
      [&] {
        s = scraper.scrape();
        return value(s, "meterlogger_agent_messages_published_total", kMeter) >= 1 &&
               value(s, "meterlogger_agent_outbox_messages", kMeter) == 0;
      },
      scaled(20s), 200ms))
      << s.dump() << "\n"
      << agent->log();
  EXPECT_GE(value(s, "meterlogger_agent_reads_total", {{"meter", "meter[1]"}, {"result", "ok"}}),
            1);
  EXPECT_EQ(value(s, "meterlogger_agent_broker_connected", kMeter), 1);
  EXPECT_GT(value(s, "meterlogger_agent_link_sent_bytes_total", kMeter), 0);
  EXPECT_EQ(value(s, "meterlogger_agent_build_info", {{"version", ML_VERSION_TEXT}}), 1);
  EXPECT_GT(value(s, "meterlogger_agent_process_start_time_seconds", json::object()), 1.7e9);
  EXPECT_EQ(agent->log().find(kToken), std::string::npos) << "the token is in the log";

  broker.stop();
  ASSERT_TRUE(wait_until(
      [&] {
        s = scraper.scrape();
        return value(s, "meterlogger_agent_broker_connected", kMeter) == 0;
      },
      scaled(20s), 200ms))
      << s.dump() << "\n"
      << agent->log();
  ASSERT_TRUE(wait_until(
      [&] {
        s = scraper.scrape();
        return value(s, "meterlogger_agent_outbox_messages", kMeter) > 0;
      },
      scaled(20s), 200ms))
      << s.dump() << "\n"
      << agent->log();
  EXPECT_GE(value(s, "meterlogger_agent_outbox_oldest_age_seconds", kMeter), 0);
}

}  // namespace
}  // namespace ml::test
