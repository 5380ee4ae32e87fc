// GET /metrics of `serve` (docs/metrics.md): the table of every metric the server exposes, the
// HTTP counters `serve` keeps in memory, and the Prometheus text made of them and of the store's
// aggregates (store/metrics.hpp). No label ever holds a serial: every label set is bounded
// (groups, rejection reasons, states, channels, severities, route classes, status classes).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "core/metrics/exposition.hpp"
#include "core/result.hpp"
#include "server/store/metrics.hpp"

namespace ml::server::metrics {

using core::metrics::Type;

// Every metric of the server; docs/metrics.md lists the same names (a unit test checks it), and
// the Grafana dashboard (docs/grafana/meterlogger.json) uses only these.
inline constexpr std::array<core::metrics::Family, 18> kServerMetrics{{
    {"meterlogger_build_info", Type::gauge, "Always 1; the version of the server in a label.", ""},
    {"meterlogger_process_start_time_seconds", Type::gauge,
     "When `serve` started, in seconds since the Unix epoch.", "seconds"},
    {"meterlogger_meters", Type::gauge, "Meters, by group.", ""},
    {"meterlogger_meters_online", Type::gauge,
     "Meters seen within [http] offline_after and without a last will, by group.", ""},
    {"meterlogger_meters_offline", Type::gauge, "Meters not online, by group.", ""},
    {"meterlogger_samples_stored_total", Type::counter,
     "Samples stored (a duplicate delivery counts once).", ""},
    {"meterlogger_samples_rejected_total", Type::counter, "Messages rejected by ingest, by reason.",
     ""},
    {"meterlogger_rejected_serials", Type::gauge,
     "Serials with rejected messages in the kept per-serial counts.", ""},
    {"meterlogger_broker_dropped_messages_total", Type::counter,
     "Messages the broker dropped since it started (its $SYS count; a queue was full).", ""},
    {"meterlogger_newest_sample_age_seconds", Type::gauge,
     "Seconds since the newest sample of any meter (its device time): the ingest lag.", "seconds"},
    {"meterlogger_commands", Type::gauge, "Device commands in the queue and its log, by state.",
     ""},
    {"meterlogger_command_round_trip_seconds", Type::histogram,
     "Seconds from a command's first send to its reply, of the commands answered in the last "
     "hour (a sliding window).",
     "seconds"},
    {"meterlogger_notifications", Type::gauge, "Notifications in the outbox, by channel and state.",
     ""},
    {"meterlogger_alarms_open", Type::gauge, "Open alarms (raised or acknowledged), by severity.",
     ""},
    {"meterlogger_database_size_bytes", Type::gauge, "Size of the database.", "bytes"},
    {"meterlogger_http_requests_total", Type::counter,
     "HTTP requests answered by `serve`, by route class and status class.", ""},
    {"meterlogger_http_request_duration_seconds", Type::histogram,
     "Time to make an HTTP answer (a streamed export: its first piece), by route class.",
     "seconds"},
    {"meterlogger_scrape_errors_total", Type::counter,
     "Scrapes whose store aggregates could not be read (the rest was still answered).", ""},
}};

// The row of a metric; the program stops with a clear message in tests when it is not there.
const core::metrics::Family& metric(std::string_view name);

// The route classes of the HTTP metrics: a bounded set, whatever paths clients ask for.
inline constexpr std::array<std::string_view, 5> kRouteClasses{"api_meters", "api_other", "metrics",
                                                               "static", "other"};
std::string_view route_class(std::string_view path, bool has_dashboard);
// "2xx" for 204, and so on.
std::string_view status_class(int status);

// The upper bounds of the histograms.
inline constexpr std::array<double, 11> kLatencyBounds{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                       0.1,   0.25,   0.5,   1,    2.5};
inline constexpr std::array<double, 9> kRoundTripBounds{1, 2, 5, 10, 30, 60, 120, 300, 600};
inline constexpr std::int64_t kRoundTripWindowS = 3600;

// The requests `serve` answered since it started (thread-safe).
class HttpStats {
 public:
  HttpStats();
  void record(std::string_view route_class, int status, double seconds);
  void count_scrape_error();
  // The HTTP families and the scrape error counter, written to `w`.
  core::Status write(core::metrics::Writer& w) const;

 private:
  mutable std::mutex mutex_;
  // [route class][status class 1xx..5xx]
  std::array<std::array<std::uint64_t, 5>, kRouteClasses.size()> requests_{};
  std::vector<core::metrics::Histogram> latency_;  // by route class
  std::uint64_t scrape_errors_ = 0;
};

struct ProcessInfo {
  std::string version;
  std::int64_t start_time = 0;
};

// The whole answer of GET /metrics: the process, the store's aggregates (when `store` is null,
// their families are left out and the scrape error counter says so) and the HTTP counters.
core::Result<std::string> render(const ProcessInfo& process, const StoreMetrics* store,
                                 std::int64_t now, const HttpStats& http);

}  // namespace ml::server::metrics
