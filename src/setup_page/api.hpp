// The setup page's boundary: what the agent shows and changes through it, and how the agent
// starts it. The page lives in a module (meterlogger-setup-page.so) that the agent loads only
// when [setup] has a password: the HTTP server library (libmicrohttpd, with GnuTLS) costs
// resident memory when it is loaded, which every gateway would pay whether the page is on or
// not (docs/setup-page.md).
//
// The same module serves the agent's GET /metrics for Prometheus when agent.toml has [metrics]
// (docs/metrics.md, "Agent"), for the same reason.
//
// Only standard-library types cross this boundary; both sides are built from this tree with the
// same compiler, and kApiVersion guards against a stale module.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace ml::setup_page {

inline constexpr int kApiVersion = 2;

struct MeterStatus {
  std::string name;      // meter[N] or the configured name
  std::string serial;    // "" until known
  std::string protocol;  // kmp, mc66c, mc66b, pulse
  // The last successful reading: time (unix seconds, 0 = none yet) and each value with its unit.
  std::int64_t reading_time = 0;
  std::vector<std::pair<std::string, std::string>> values;  // ("e1", "1234.5 kWh")
  // Link quality since the agent started.
  std::uint64_t frames_ok = 0;
  std::uint64_t crc_errors = 0;
  std::uint64_t timeouts = 0;
  std::uint64_t reads_failed = 0;
  bool mqtt_connected = false;
  std::int64_t outbox_depth = 0;  // messages waiting for the broker's acknowledgement
  bool has_valve = false;         // heat meters
  std::string valve_state;        // open | close
  std::string valve_limit;        // kWh (m3 for flow meters), exact; "" when none
  std::vector<std::string> cron_jobs;
  bool pulse = false;
  std::string pulse_base;            // the reading at zero pulses (kWh or m3)
  std::uint32_t pulse_per_unit = 0;  // impulses per kWh (or per m3)
};

struct Status {
  std::string version;
  std::string broker_host;
  int broker_port = 0;
  bool broker_from_page = false;  // host/port set here (state store), not from agent.toml
  std::string network_backend;    // networkmanager | none
  std::string wifi_ssid;          // stored station SSID, "" when none
  std::vector<MeterStatus> meters;
};

// The agent's side. Each call may come from any of the page's threads; the agent carries it out
// on its own loop. The setters return "" when applied, otherwise what was wrong (shown to the
// user); a refused change changes nothing.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual Status status() = 0;
  virtual std::string set_wifi(const std::string& ssid, const std::string& password) = 0;
  // An empty host goes back to agent.toml's broker.
  virtual std::string set_broker(const std::string& host, const std::string& port) = 0;
  // Pulse meters: the base reading and impulses per kWh (per m3 for water); resets the count.
  virtual std::string set_pulse(const std::string& name, const std::string& base_reading,
                                const std::string& per_unit) = 0;
};

struct Options {
  std::string host = "0.0.0.0";
  int port = 8080;            // 0: any free port (tests); Server::port() tells which
  std::string password_hash;  // Argon2id, as hash_password() writes it
  int session_minutes = 30;
};

class Server {
 public:
  virtual ~Server() = default;
  virtual int port() const = 0;
  // Stops listening and waits for requests in progress; no Backend call after it returns.
  virtual void stop() = 0;
};

// GET /metrics: the agent's side. Called from the server's threads; the agent gathers its
// figures on its own loop. True and the Prometheus text in *text, or false and why in *text.
class MetricsSource {
 public:
  virtual ~MetricsSource() = default;
  virtual bool metrics(std::string* text) = 0;
};

struct MetricsOptions {
  std::string host = "127.0.0.1";
  int port = 9101;    // 0: any free port (tests)
  std::string token;  // not empty: a request needs "Authorization: Bearer TOKEN" (else 401)
};

// The module's entry points (extern "C", looked up by name).
// ml_setup_page_api_version() -> kApiVersion of the module.
// ml_setup_page_start(options, backend, error) -> a listening server, or nullptr with *error set.
// ml_setup_page_start_metrics(options, source, error) -> a listening GET /metrics server (any
// other path 404, another method 405), or nullptr with *error set.
// ml_setup_page_hash_password(password, out) -> true and the hash in *out, or false and the
// reason in *out.
using ApiVersionFn = int (*)();
using StartFn = Server* (*)(const Options&, Backend&, std::string*);
using StartMetricsFn = Server* (*)(const MetricsOptions&, MetricsSource&, std::string*);
using HashPasswordFn = bool (*)(const std::string&, std::string*);
inline constexpr const char* kApiVersionSymbol = "ml_setup_page_api_version";
inline constexpr const char* kStartSymbol = "ml_setup_page_start";
inline constexpr const char* kStartMetricsSymbol = "ml_setup_page_start_metrics";
inline constexpr const char* kHashPasswordSymbol = "ml_setup_page_hash_password";

}  // namespace ml::setup_page
