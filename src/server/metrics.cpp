// GET /metrics of `serve` (metrics.hpp, docs/metrics.md).
#include "server/metrics.hpp"

#include <cstdio>
#include <cstdlib>

namespace ml::server::metrics {

namespace cm = core::metrics;

const cm::Family& metric(std::string_view name) {
  for (const auto& f : kServerMetrics)
    if (f.name == name) return f;
  std::fprintf(stderr, "metrics: %.*s is not in kServerMetrics\n", static_cast<int>(name.size()),
               name.data());
  std::abort();  // a programming error: every metric written is in the table
}

std::string_view route_class(std::string_view path, bool has_dashboard) {
  if (path == "/metrics") return "metrics";
  if (path == "/api/meters" || path.starts_with("/api/meters/")) return "api_meters";
  if (path.starts_with("/api/")) return "api_other";
  if (has_dashboard) return "static";
  return "other";
}

std::string_view status_class(int status) {
  static constexpr std::array<std::string_view, 5> kClasses{"1xx", "2xx", "3xx", "4xx", "5xx"};
  const int i = status / 100 - 1;
  return i >= 0 && i < 5 ? kClasses[static_cast<std::size_t>(i)] : "5xx";
}

namespace {

std::size_t route_index(std::string_view route) {
  for (std::size_t i = 0; i < kRouteClasses.size(); ++i)
    if (kRouteClasses[i] == route) return i;
  return kRouteClasses.size() - 1;  // "other"
}

}  // namespace

HttpStats::HttpStats() {
  latency_.reserve(kRouteClasses.size());
  for (std::size_t i = 0; i < kRouteClasses.size(); ++i)
    latency_.emplace_back(kLatencyBounds);
}

void HttpStats::record(std::string_view route, int status, double seconds) {
  const std::size_t r = route_index(route);
  const int s = status / 100 - 1;
  std::lock_guard lock(mutex_);
  requests_[r][s >= 0 && s < 5 ? static_cast<std::size_t>(s) : 4] += 1;
  latency_[r].observe(seconds);
}

void HttpStats::count_scrape_error() {
  std::lock_guard lock(mutex_);
  ++scrape_errors_;
}

core::Status HttpStats::write(cm::Writer& w) const {
  std::lock_guard lock(mutex_);
  ML_TRY(w.family(metric("meterlogger_http_requests_total")));
  for (std::size_t r = 0; r < kRouteClasses.size(); ++r) {
    for (std::size_t s = 0; s < 5; ++s) {
      if (requests_[r][s] == 0) continue;
      ML_TRY(w.value({{"route", std::string(kRouteClasses[r])},
                      {"code", std::string(status_class(static_cast<int>(s + 1) * 100))}},
                     static_cast<double>(requests_[r][s])));
    }
  }
  ML_TRY(w.family(metric("meterlogger_http_request_duration_seconds")));
  for (std::size_t r = 0; r < kRouteClasses.size(); ++r) {
    if (latency_[r].count() == 0) continue;
    ML_TRY(w.histogram({{"route", std::string(kRouteClasses[r])}}, latency_[r]));
  }
  ML_TRY(w.family(metric("meterlogger_scrape_errors_total")));
  ML_TRY(w.value({}, static_cast<double>(scrape_errors_)));
  return core::Ok{};
}

core::Result<std::string> render(const ProcessInfo& process, const StoreMetrics* store,
                                 std::int64_t now, const HttpStats& http) {
  cm::Writer w;
  auto d = [](std::int64_t v) { return static_cast<double>(v); };
  ML_TRY(w.family(metric("meterlogger_build_info")));
  ML_TRY(w.value({{"version", process.version}}, 1));
  ML_TRY(w.family(metric("meterlogger_process_start_time_seconds")));
  ML_TRY(w.value({}, d(process.start_time)));
  if (store != nullptr) {
    const StoreMetrics& s = *store;
    ML_TRY(w.family(metric("meterlogger_meters")));
    for (const auto& g : s.groups)
      ML_TRY(w.value({{"group", g.group}}, d(g.meters)));
    ML_TRY(w.family(metric("meterlogger_meters_online")));
    for (const auto& g : s.groups)
      ML_TRY(w.value({{"group", g.group}}, d(g.online)));
    ML_TRY(w.family(metric("meterlogger_meters_offline")));
    for (const auto& g : s.groups)
      ML_TRY(w.value({{"group", g.group}}, d(g.meters - g.online)));
    ML_TRY(w.family(metric("meterlogger_samples_stored_total")));
    ML_TRY(w.value({}, d(s.samples_stored)));
    ML_TRY(w.family(metric("meterlogger_samples_rejected_total")));
    for (const auto& [reason, count] : s.rejected)
      ML_TRY(w.value({{"reason", reason}}, d(count)));
    ML_TRY(w.family(metric("meterlogger_rejected_serials")));
    ML_TRY(w.value({}, d(s.rejected_serials)));
    if (s.broker.time > 0) {
      ML_TRY(w.family(metric("meterlogger_broker_dropped_messages_total")));
      ML_TRY(w.value({}, d(s.broker.dropped)));
    }
    if (s.newest_sample_time > 0) {
      ML_TRY(w.family(metric("meterlogger_newest_sample_age_seconds")));
      ML_TRY(w.value({}, d(now - s.newest_sample_time)));
    }
    ML_TRY(w.family(metric("meterlogger_commands")));
    for (const auto& [state, count] : s.commands)
      ML_TRY(w.value({{"state", state}}, d(count)));
    ML_TRY(w.family(metric("meterlogger_command_round_trip_seconds")));
    cm::Histogram rtt(kRoundTripBounds);
    for (const auto& [seconds, count] : s.round_trips)
      rtt.observe(d(seconds), static_cast<std::uint64_t>(count));
    ML_TRY(w.histogram({}, rtt));
    ML_TRY(w.family(metric("meterlogger_notifications")));
    for (const auto& [key, count] : s.notifications)
      ML_TRY(w.value({{"channel", key.first}, {"state", key.second}}, d(count)));
    ML_TRY(w.family(metric("meterlogger_alarms_open")));
    for (const auto& [severity, count] : s.open_alarms)
      ML_TRY(w.value({{"severity", severity}}, d(count)));
    ML_TRY(w.family(metric("meterlogger_database_size_bytes")));
    ML_TRY(w.value({}, d(s.database_bytes)));
  }
  ML_TRY(http.write(w));
  return w.text();
}

}  // namespace ml::server::metrics
