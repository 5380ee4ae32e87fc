// The agent's configuration: one TOML file, validated at start. Errors name the key and the
// problem ("meter[2].key: must be 32 hex digits"). Settings that remote commands change (Wi-Fi
// credentials, limits, cron jobs, valve state) are not here: they live in the state store.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "agent/network_settings.hpp"
#include "core/envelope/envelope.hpp"
#include "core/result.hpp"
#include "core/sample/sample.hpp"
#include "platform/mqtt/tls.hpp"

namespace ml::agent {

struct MqttConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  int keepalive_s = 60;
  int qos = 2;
  core::envelope::Padding padding = core::envelope::Padding::pkcs7;
  std::string username;
  std::string password;            // from password or password_file
  bool password_inline = false;    // written in the file itself (not password_file)
  std::string protocol = "3.1.1";  // "3.1" (the original), "3.1.1", "5"
  std::optional<platform::MqttTls> tls;
};

struct OutboxConfig {
  std::int64_t max_messages = 500000;
  std::int64_t max_bytes = 256ll * 1024 * 1024;
  std::int64_t max_age_s = 30ll * 24 * 3600;
  // The samples kept after sending, for `resend` (docs/agent.md, "Filling gaps"); 0 days: none.
  std::int64_t keep_age_s = 7ll * 24 * 3600;
  std::int64_t keep_bytes = 64ll * 1024 * 1024;
};

struct PulseConfig {
  std::string input;              // "gpio:CHIP:LINE" (libgpiod) or "sim:/path/socket"
  std::uint32_t per_unit = 1000;  // pulses per kWh (electricity) or per m3 (water)
  bool width_filter =
      true;  // accept only 80–120 ms pulses (docs/agent.md, "Pulse meters"); off for water
  std::uint32_t min_width_ms = 80;
  std::uint32_t max_width_ms = 120;
};

// The valve (thermo actuator) of a heat meter. Outputs are "none", "file:/path" (the level,
// 1 or 0, written to a file: tests, sysfs, or hardware driven by another program) or
// "gpio:CHIP:LINE" (libgpiod).
struct ValveConfig {
  std::string output = "none";
  std::string second_output;   // driven to the same level as output (the original's AC2)
  std::string led;             // lit while the valve is open
  bool normally_open = false;  // open = output low (a normally-open actuator)
  bool auto_close = true;      // close when the reading reaches the prepaid limit
};

// [meter.broker]: the meter's own broker login (docs/security.md, "Broker logins"), in place of
// [mqtt] username and password for its connection.
struct MeterBrokerLogin {
  std::string username;          // empty: the meter's serial (what `meters login` creates)
  std::string password;          // from password or password_file (required)
  bool password_inline = false;  // written in the file itself
};

struct MeterConfig {
  std::string name;  // for logs; defaults to "meter[N]"
  core::sample::MeterKind kind = core::sample::MeterKind::kmp;
  std::string protocol;  // as written: a driver's name (meter/drivers.hpp)
  std::string port;      // serial device or tcp://host:port (not for pulse)
  std::string serial;    // empty: read from the meter (KMP, EN 61107)
  core::envelope::MasterKey key{};
  bool key_inline = false;  // written in the file itself (not key_file)
  bool flow_meter = false;
  std::chrono::seconds interval{60};
  std::chrono::milliseconds timeout{0};  // 0: the protocol's default
  int retries = 2;
  PulseConfig pulse;
  ValveConfig valve;  // drivers with a valve only (meter::has_valve)
  std::optional<MeterBrokerLogin> broker;
};

// [setup]: the setup page for the person installing the gateway. Off unless a password hash is
// given (`meterlogger agent --hash-password` makes one).
struct SetupConfig {
  std::string host = "0.0.0.0";
  int port = 8080;            // from listen = "HOST:PORT"; 0 picks a free port (tests)
  std::string password_hash;  // Argon2id ($argon2id$...), from password_hash or _file
  int session_minutes = 30;
  std::string module;  // the page's module; empty: found beside the program (setup_page.hpp)
  bool enabled() const { return !password_hash.empty(); }
};

// [homeassistant]: plain values and Home Assistant MQTT discovery on a local broker
// (docs/homeassistant.md), a second connection apart from the encrypted one to the server.
struct HomeAssistantConfig {
  bool enabled = false;
  // The local broker: host, port, username, password or password_file, [homeassistant.tls].
  // qos, padding and protocol are not read (QoS 1 and MQTT 3.1.1 are used).
  MqttConfig broker;
  std::string prefix = "homeassistant";  // discovery prefix
  // States go to <base_topic>/state, "{serial}" standing for the meter serial.
  std::string base_topic = "meterlogger/{serial}";
  bool heat_as_gas = false;  // an extra gas-class copy of e1 for the energy dashboard
};

// [metrics]: GET /metrics for Prometheus (docs/metrics.md, "Agent"). Off unless `listen` is given.
struct MetricsConfig {
  std::string host;   // from listen = "HOST:PORT"; "" when off
  int port = 0;       // 0 picks a free port (tests)
  std::string token;  // from token_file: a request needs "Authorization: Bearer TOKEN"; a secret
  bool enabled() const { return !host.empty(); }
};

struct AgentConfig {
  std::string path;  // the file it came from
  std::string state_dir = "/var/lib/meterlogger";
  std::string log_level = "info";
  MqttConfig mqtt;
  OutboxConfig outbox;
  std::int64_t command_window_s = 1800;
  std::string vdd_file;  // a sysfs/hwmon file holding millivolts (or microvolts with vdd_scale)
  std::string time_zone = "Europe/Copenhagen";  // IANA zone for cron
  SetupConfig setup;                            // [setup]
  HomeAssistantConfig homeassistant;            // [homeassistant]
  MetricsConfig metrics;                        // [metrics]
  NetworkSettings network;  // [network]: the Wi-Fi backend behind ssid, scan, set_ssid_pwd, ...
  std::vector<MeterConfig> meters;
  // Not errors, but worth a line in the log and from --check (load_config): a key or password
  // written inline in a file everyone may read.
  std::vector<std::string> warnings;
};

// The settings holding a secret written inline ("meter[1].key", "mqtt.password").
std::vector<std::string> inline_secrets(const AgentConfig& c);
// The warning for a configuration file readable by everyone (`world_readable`) that holds the
// inline secrets named; nothing when either is missing.
std::vector<std::string> secret_warnings(const std::string& path, bool world_readable,
                                         const std::vector<std::string>& inline_secrets);

// Parses and validates the TOML text. `path` names the file in messages and anchors relative
// key_file/password_file paths.
core::Result<AgentConfig> parse_config(std::string_view toml_text, const std::string& path);
// Reads the file, then parse_config, then fills `warnings` (secret_warnings).
core::Result<AgentConfig> load_config(const std::string& path);

}  // namespace ml::agent
