// GET /metrics of `serve` (src/server/metrics.hpp): the table of every metric keeps the naming
// conventions, docs/metrics.md lists exactly the table's metrics, the Grafana dashboard is valid
// JSON that uses only them, the answer holds the store's aggregates and the HTTP counters with
// bounded labels, and the bearer token check.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "server/metrics.hpp"

namespace ml::server::metrics {
namespace {

std::string read_doc(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

const std::string kMetricsDocs = std::string(ML_TEST_DATA_DIR) + "/../../docs/";

std::set<std::string> metric_table_names() {
  std::set<std::string> out;
  for (const auto& f : kServerMetrics)
    out.insert(std::string(f.name));
  return out;
}

TEST(ServerMetrics, TheTableKeepsTheConventions) {
  std::set<std::string> seen;
  for (const auto& f : kServerMetrics) {
    auto ok = core::metrics::check_family(f);
    EXPECT_TRUE(ok.ok()) << (ok ? "" : ok.error().text());
    EXPECT_TRUE(f.name.starts_with("meterlogger_")) << f.name;
    EXPECT_TRUE(seen.insert(std::string(f.name)).second) << f.name << " twice";
    EXPECT_EQ(&metric(f.name), &f);
  }
}

TEST(ServerMetrics, DocsListEveryMetricOfTheTableAndNoOther) {
  std::string text = read_doc(kMetricsDocs + "metrics.md");
  ASSERT_FALSE(text.empty());
  // The agent's metrics have their own section (agent_metrics_test.cpp checks it).
  const auto agent = text.find("\n## Agent");
  ASSERT_NE(agent, std::string::npos);
  const auto after = text.find("\n## ", agent + 1);
  text.erase(agent, after == std::string::npos ? std::string::npos : after - agent);
  std::set<std::string> documented;
  const std::regex row("^\\| `(meterlogger_[a-z_]+)` \\| (counter|gauge|histogram) \\|");
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::smatch m;
    if (!std::regex_search(line, m, row)) continue;
    documented.insert(m[1]);
    bool found = false;
    for (const auto& f : kServerMetrics) {
      if (f.name == m[1].str()) {
        found = true;
        EXPECT_EQ(core::metrics::type_name(f.type), m[2].str()) << line;
      }
    }
    EXPECT_TRUE(found) << m[1] << " is documented but not in kServerMetrics";
  }
  EXPECT_EQ(documented, metric_table_names());
}

TEST(ServerMetrics, TheGrafanaDashboardUsesOnlyTheTablesMetrics) {
  const auto dashboard =
      nlohmann::json::parse(read_doc(kMetricsDocs + "grafana/meterlogger.json"), nullptr, false);
  ASSERT_FALSE(dashboard.is_discarded()) << "docs/grafana/meterlogger.json is not valid JSON";
  ASSERT_TRUE(dashboard["panels"].is_array());
  EXPECT_GE(dashboard["panels"].size(), 6u);
  const auto names = metric_table_names();
  const std::regex metric_re("meterlogger_[a-z_]+");
  int exprs = 0;
  for (const auto& panel : dashboard["panels"]) {
    for (const auto& target : panel.value("targets", nlohmann::json::array())) {
      const std::string expr = target.value("expr", "");
      ++exprs;
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric_re);
           it != std::sregex_iterator(); ++it) {
        std::string name = it->str();
        for (const char* suffix : {"_bucket", "_sum", "_count"}) {
          if (name.ends_with(suffix) && !names.count(name))
            name.resize(name.size() - std::string(suffix).size());
        }
        EXPECT_TRUE(names.count(name)) << expr;
      }
    }
  }
  EXPECT_GE(exprs, 6);
}

TEST(ServerMetrics, RendersTheStoreAndTheHttpCounters) {
  StoreMetrics s;
  s.groups = {{"Loppen", 3, 2}, {"a\"b", 1, 0}};
  s.samples_stored = 1234;
  s.rejected = {{"bad_mac", 5}};
  s.rejected_serials = 1;
  s.commands = {{"queued", 4}};
  s.round_trips = {{3, 2}, {700, 1}};
  s.notifications = {{{"email", "failed"}, 1}};
  s.open_alarms = {{"critical", 2}};
  s.newest_sample_time = 990;
  s.database_bytes = 4096;
  HttpStats http;
  http.record("api_meters", 200, 0.003);
  http.record("metrics", 401, 0.0001);
  http.record("/no/such/class", 503, 1);  // counted as "other"
  const std::string text = render({"1.2.3", 100}, &s, 1000, http).value();
  for (const char* line : {
           "meterlogger_build_info{version=\"1.2.3\"} 1\n",
           "meterlogger_process_start_time_seconds 100\n",
           "meterlogger_meters{group=\"Loppen\"} 3\n",
           "meterlogger_meters_online{group=\"Loppen\"} 2\n",
           "meterlogger_meters_offline{group=\"Loppen\"} 1\n",
           "meterlogger_meters{group=\"a\\\"b\"} 1\n",
           "meterlogger_samples_stored_total 1234\n",
           "meterlogger_samples_rejected_total{reason=\"bad_mac\"} 5\n",
           "meterlogger_newest_sample_age_seconds 10\n",
           "meterlogger_commands{state=\"queued\"} 4\n",
           "meterlogger_command_round_trip_seconds_bucket{le=\"5\"} 2\n",
           "meterlogger_command_round_trip_seconds_bucket{le=\"+Inf\"} 3\n",
           "meterlogger_command_round_trip_seconds_sum 706\n",
           "meterlogger_notifications{channel=\"email\",state=\"failed\"} 1\n",
           "meterlogger_alarms_open{severity=\"critical\"} 2\n",
           "meterlogger_database_size_bytes 4096\n",
           "meterlogger_http_requests_total{route=\"api_meters\",code=\"2xx\"} 1\n",
           "meterlogger_http_requests_total{route=\"metrics\",code=\"4xx\"} 1\n",
           "meterlogger_http_requests_total{route=\"other\",code=\"5xx\"} 1\n",
           "meterlogger_http_request_duration_seconds_bucket{route=\"api_meters\",le=\"0.005\"} "
           "1\n",
           "meterlogger_scrape_errors_total 0\n",
       }) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "not in\n" << text;
  }
  // Without the store's aggregates the rest still answers.
  const std::string partial = render({"1.2.3", 100}, nullptr, 1000, http).value();
  EXPECT_EQ(partial.find("meterlogger_meters"), std::string::npos);
  EXPECT_NE(partial.find("meterlogger_http_requests_total"), std::string::npos);
}

TEST(ServerMetrics, RouteAndStatusClassesAreBounded) {
  EXPECT_EQ(route_class("/metrics", true), "metrics");
  EXPECT_EQ(route_class("/api/meters", true), "api_meters");
  EXPECT_EQ(route_class("/api/meters/6892850/series", true), "api_meters");
  EXPECT_EQ(route_class("/api/metersx", true), "api_other");
  EXPECT_EQ(route_class("/api/login", true), "api_other");
  EXPECT_EQ(route_class("/app.js", true), "static");
  EXPECT_EQ(route_class("/app.js", false), "other");
  EXPECT_EQ(status_class(204), "2xx");
  EXPECT_EQ(status_class(404), "4xx");
  EXPECT_EQ(status_class(999), "5xx");
}

}  // namespace
}  // namespace ml::server::metrics
