// GET /metrics of the agent (src/agent/metrics.hpp, src/setup_page/metrics_server.hpp,
// [metrics] in src/agent/config.hpp): the table keeps the naming conventions and docs/metrics.md
// lists exactly its metrics in the "Agent" section, the rendering writes each family once with
// bounded labels, read errors map to their kinds, the endpoint answers only GET /metrics and
// checks the bearer token, and [metrics] is parsed with errors naming the key.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "agent/config.hpp"
#include "agent/metrics.hpp"
#include "setup_page/metrics_server.hpp"

namespace ml::agent::metrics {
namespace {

std::string read_doc(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kDocs = std::string(ML_TEST_DATA_DIR) + "/../../docs/";

TEST(AgentMetrics, TheTableKeepsTheConventions) {
  std::set<std::string> seen;
  for (const auto& f : kAgentMetrics) {
    auto ok = core::metrics::check_family(f);
    EXPECT_TRUE(ok.ok()) << (ok ? "" : ok.error().text());
    EXPECT_TRUE(f.name.starts_with("meterlogger_agent_")) << f.name;
    EXPECT_TRUE(seen.insert(std::string(f.name)).second) << f.name << " twice";
    EXPECT_EQ(&metric(f.name), &f);
  }
}

// The rows of the "## Agent" section of docs/metrics.md (up to the next "## " heading).
TEST(AgentMetrics, DocsListEveryMetricOfTheTableAndNoOther) {
  const std::string text = read_doc(kDocs + "metrics.md");
  const auto start = text.find("\n## Agent");
  ASSERT_NE(start, std::string::npos) << "docs/metrics.md has no \"## Agent\" section";
  const auto end = text.find("\n## ", start + 1);
  const std::string section = text.substr(start, end == std::string::npos ? end : end - start);
  const std::regex row("^\\| `(meterlogger_[a-z_]+)` \\| (counter|gauge|histogram) \\|");
  std::set<std::string> documented;
  std::istringstream lines(section);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    documented.insert(m[1]);
    bool found = false;
    for (const auto& f : kAgentMetrics) {
      if (f.name == m[1].str()) {
        found = true;
        EXPECT_EQ(core::metrics::type_name(f.type), m[2].str()) << line;
      }
    }
    EXPECT_TRUE(found) << m[1] << " is documented but not in kAgentMetrics";
  }
  std::set<std::string> table;
  for (const auto& f : kAgentMetrics)
    table.insert(std::string(f.name));
  EXPECT_EQ(documented, table);
}

TEST(AgentMetrics, ReadErrorsMapToTheirKinds) {
  EXPECT_EQ(read_result(core::Errc::meter_timeout), ReadResult::timeout);
  EXPECT_EQ(read_result(core::Errc::meter_bad_reply), ReadResult::bad_reply);
  EXPECT_EQ(read_result(core::Errc::meter_link), ReadResult::link);
  EXPECT_EQ(read_result(core::Errc::invalid_argument), ReadResult::other);
  for (std::size_t i = 0; i < kReadResults.size(); ++i)
    EXPECT_EQ(static_cast<std::size_t>(kReadResults[i].result), i);  // the table is the index
  ReadCounts c{};
  count_read(c, ReadResult::bad_reply);
  count_read(c, ReadResult::bad_reply);
  EXPECT_EQ(c[static_cast<std::size_t>(ReadResult::bad_reply)], 2u);
  EXPECT_EQ(c[static_cast<std::size_t>(ReadResult::ok)], 0u);
}

TEST(AgentMetrics, PrepaidRemainingIsTheLimitMinusTheReading) {
  EXPECT_DOUBLE_EQ(*remaining("1500", "1234.5"), 265.5);
  EXPECT_DOUBLE_EQ(*remaining("100", "150"), -50);
  EXPECT_FALSE(remaining("", "1"));
  EXPECT_FALSE(remaining("12x", "1"));
}

Snapshot two_meters() {
  Snapshot s;
  s.version = "1.2.3";
  s.start_time = 100;
  MeterSnapshot a;
  a.meter = "flat \"7\"";
  count_read(a.reads, ReadResult::ok);
  count_read(a.reads, ReadResult::ok);
  count_read(a.reads, ReadResult::timeout);
  a.link.requests = 9;
  a.link.replies_ok = 6;
  a.link.check_errors = 1;
  a.link.bytes_sent = 120;
  a.link.echo_bytes = 40;
  a.link.garbage_bytes = 3;
  a.samples_queued = 2;
  a.published = 1;
  a.outbox_known = true;
  a.outbox_messages = 1;
  a.outbox_oldest_created = 940;
  a.connected = true;
  a.reconnects = 2;
  a.has_valve = true;
  a.valve_state = "open";
  a.prepaid_remaining_kwh = 265.5;
  MeterSnapshot b;
  b.meter = "meter[2]";
  b.outbox_known = false;  // the store could not be read
  b.has_valve = true;
  b.valve_state = "weird";
  s.meters = {a, b};
  return s;
}

TEST(AgentMetrics, RendersEveryMeter) {
  const std::string text = render(two_meters(), 1000).value();
  for (const char* line : {
           "meterlogger_agent_build_info{version=\"1.2.3\"} 1\n",
           "meterlogger_agent_process_start_time_seconds 100\n",
           "meterlogger_agent_reads_total{meter=\"flat \\\"7\\\"\",result=\"ok\"} 2\n",
           "meterlogger_agent_reads_total{meter=\"flat \\\"7\\\"\",result=\"timeout\"} 1\n",
           "meterlogger_agent_reads_total{meter=\"meter[2]\",result=\"ok\"} 0\n",
           "meterlogger_agent_link_requests_total{meter=\"flat \\\"7\\\"\"} 9\n",
           "meterlogger_agent_link_replies_total{meter=\"flat \\\"7\\\"\",result=\"check_error\"} "
           "1\n",
           "meterlogger_agent_link_sent_bytes_total{meter=\"flat \\\"7\\\"\"} 120\n",
           "meterlogger_agent_link_echo_bytes_total{meter=\"flat \\\"7\\\"\"} 40\n",
           "meterlogger_agent_link_noise_bytes_total{meter=\"flat \\\"7\\\"\"} 3\n",
           "meterlogger_agent_messages_published_total{meter=\"flat \\\"7\\\"\"} 1\n",
           "meterlogger_agent_outbox_messages{meter=\"flat \\\"7\\\"\"} 1\n",
           "meterlogger_agent_outbox_oldest_age_seconds{meter=\"flat \\\"7\\\"\"} 60\n",
           "meterlogger_agent_broker_connected{meter=\"flat \\\"7\\\"\"} 1\n",
           "meterlogger_agent_broker_connected{meter=\"meter[2]\"} 0\n",
           "meterlogger_agent_broker_reconnects_total{meter=\"flat \\\"7\\\"\"} 2\n",
           "meterlogger_agent_valve_open{meter=\"flat \\\"7\\\"\"} 1\n",
           "meterlogger_agent_prepaid_remaining_kwh{meter=\"flat \\\"7\\\"\"} 265.5\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
  // Without the store's figures the outbox lines of that meter are left out, not made up.
  EXPECT_EQ(text.find("meterlogger_agent_outbox_messages{meter=\"meter[2]\"}"), std::string::npos);
  EXPECT_EQ(text.find("meterlogger_agent_prepaid_remaining_kwh{meter=\"meter[2]\"}"),
            std::string::npos);
  // A valve whose state is not known yet has no sample (no made-up -1 to fool a graph).
  EXPECT_EQ(text.find("meterlogger_agent_valve_open{meter=\"meter[2]\"}"), std::string::npos);
}

TEST(AgentMetrics, EveryFamilyOnceWithValidNamesAndBoundedLabels) {
  const std::string text = render(two_meters(), 1000).value();
  std::map<std::string, int> help;
  std::map<std::string, int> type;
  const std::regex sample("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)\\})? (-?[0-9.e+]+)$");
  const std::regex label("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  const std::set<std::string> label_names{"meter", "result", "version"};
  std::set<std::string> results;
  std::istringstream lines(text);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("# HELP ", 0) == 0) {
      ++help[line.substr(7, line.find(' ', 7) - 7)];
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      ++type[line.substr(7, line.find(' ', 7) - 7)];
      continue;
    }
    std::smatch m;
    ASSERT_TRUE(std::regex_match(line, m, sample)) << line;
    ++samples;
    EXPECT_EQ(help.count(m[1]), 1u) << "a sample before its HELP: " << line;
    const std::string labels = m[3];
    for (auto it = std::sregex_iterator(labels.begin(), labels.end(), label);
         it != std::sregex_iterator(); ++it) {
      EXPECT_TRUE(label_names.count((*it)[1])) << line;
      if ((*it)[1] == "result") results.insert((*it)[2]);
    }
  }
  EXPECT_GT(samples, 40);
  EXPECT_EQ(help.size(), kAgentMetrics.size());
  for (const auto& f : kAgentMetrics) {
    EXPECT_EQ(help[std::string(f.name)], 1) << f.name;
    EXPECT_EQ(type[std::string(f.name)], 1) << f.name;
  }
  // `result` comes from fixed tables whatever happened.
  const std::set<std::string> bounded{"ok",    "timeout",     "bad_reply", "link",
                                      "other", "check_error", "truncated"};
  for (const auto& r : results)
    EXPECT_TRUE(bounded.count(r)) << r;
}

class FixedSource final : public setup_page::MetricsSource {
 public:
  bool ok = true;
  int calls = 0;
  bool metrics(std::string* text) override {
    ++calls;
    *text = ok ? "meterlogger_agent_build_info{version=\"x\"} 1\n" : "the agent did not answer";
    return ok;
  }
};

platform::http::Request get(const std::string& path, const std::string& authorization = "") {
  platform::http::Request r;
  r.method = "GET";
  r.path = path;
  if (!authorization.empty()) r.headers["authorization"] = authorization;
  return r;
}

TEST(AgentMetricsEndpoint, AnswersOnlyGetMetrics) {
  FixedSource source;
  auto ok = setup_page::metrics_answer("", get("/metrics"), source);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.content_type, core::metrics::kContentType);
  EXPECT_NE(ok.body.find("meterlogger_agent_build_info"), std::string::npos);
  EXPECT_EQ(setup_page::metrics_answer("", get("/"), source).status, 404);
  EXPECT_EQ(setup_page::metrics_answer("", get("/metrics/x"), source).status, 404);
  auto post = get("/metrics");
  post.method = "POST";
  EXPECT_EQ(setup_page::metrics_answer("", post, source).status, 405);
  EXPECT_EQ(source.calls, 1);
  source.ok = false;
  EXPECT_EQ(setup_page::metrics_answer("", get("/metrics"), source).status, 503);
}

TEST(AgentMetricsEndpoint, TheTokenIsNeededWhenSet) {
  FixedSource source;
  const std::string token = "s3cr3t-token";
  EXPECT_EQ(setup_page::metrics_answer(token, get("/metrics"), source).status, 401);
  EXPECT_EQ(setup_page::metrics_answer(token, get("/metrics", "Bearer wrong"), source).status, 401);
  EXPECT_EQ(
      setup_page::metrics_answer(token, get("/metrics", "Bearer s3cr3t-tokenX"), source).status,
      401);
  EXPECT_EQ(setup_page::metrics_answer(token, get("/metrics", "Basic s3cr3t-token"), source).status,
            401);
  EXPECT_EQ(source.calls, 0);
  auto ok = setup_page::metrics_answer(token, get("/metrics", "bearer s3cr3t-token"), source);
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.body.find(token), std::string::npos);
}

// A minimal agent.toml.
constexpr std::string_view kMinimal = R"(state_dir = "/var/lib/meterlogger"
[mqtt]
host = "127.0.0.1"
[[meter]]
protocol = "kmp"
port = "/dev/ttyUSB0"
key = "ef500c9268cf749016d26d6cbfaaf7bf"
)";

TEST(AgentMetricsConfig, OffUnlessListenIsGiven) {
  auto c = parse_config(kMinimal, "a.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->metrics.enabled());
  auto on =
      parse_config(std::string(kMinimal) + "[metrics]\nlisten = \"127.0.0.1:9101\"\n", "a.toml");
  ASSERT_TRUE(on.ok()) << on.error().message();
  EXPECT_TRUE(on->metrics.enabled());
  EXPECT_EQ(on->metrics.host, "127.0.0.1");
  EXPECT_EQ(on->metrics.port, 9101);
  EXPECT_TRUE(on->metrics.token.empty());

  const std::pair<std::string, std::string> bad[] = {
      {"", "metrics.listen: required"},
      {"listen = \"9101\"", "metrics.listen: must be \"HOST:PORT\""},
      {"listen = \"127.0.0.1:70000\"", "metrics.listen: the port must be a number"},
      {"listen = \"127.0.0.1:9101\"\ntoken = \"x\"", "metrics.token: unknown setting"},
      {"listen = \"127.0.0.1:9101\"\ntoken_file = \"/nonexistent/token\"", "metrics.token_file"},
  };
  for (const auto& [lines, message] : bad) {
    auto r = parse_config(std::string(kMinimal) + "[metrics]\n" + lines + "\n", "a.toml");
    ASSERT_FALSE(r.ok()) << lines;
    EXPECT_EQ(r.error().detail.rfind(message, 0), 0u) << r.error().detail;
  }
}

TEST(AgentMetricsConfig, TheTokenFileMustBePrivate) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mlmetrics-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto token = dir / "metrics.token";
  const std::string cfg = (dir / "agent.toml").string();
  const std::string text = std::string(kMinimal) +
                           "[metrics]\nlisten = \"127.0.0.1:0\"\ntoken_file = \"metrics.token\"\n";
  std::ofstream(token) << "abc123secret\n";
  ::chmod(token.c_str(), 0644);
  auto r = parse_config(text, cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().detail.find("readable by everyone"), std::string::npos) << r.error().detail;
  EXPECT_EQ(r.error().detail.find("abc123secret"), std::string::npos);
  ::chmod(token.c_str(), 0600);
  r = parse_config(text, cfg);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(r->metrics.token, "abc123secret");
  EXPECT_EQ(r->metrics.port, 0);
  std::ofstream(token) << "two words\n";
  r = parse_config(text, cfg);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().detail.rfind("metrics.token_file: must hold one token", 0), 0u)
      << r.error().detail;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace ml::agent::metrics
