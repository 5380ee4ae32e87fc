// The server's configuration: one TOML file (--config, default
// /etc/meterlogger/server.toml), validated at start; errors name the key and the problem.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "platform/mqtt/tls.hpp"
#include "server/client_address.hpp"
#include "server/notify/config.hpp"
#include "server/store/users.hpp"

namespace ml::server {

struct DatabaseConfig {
  std::string path = "/var/lib/meterlogger/server.db";  // SQLite (WAL)
  // PostgreSQL instead when set: a libpq URL, postgresql://user@host:port/database
  // (docs/server.md, "PostgreSQL"); its password belongs in a passfile, not here.
  std::string url;
  // Days after its end that a UTC day of samples is packed (server/sample_days.hpp; `run` packs
  // once an hour); 0: never.
  int pack_after_days = 7;
  // The database as the program names it in messages: the path, or the URL without a password.
  std::string name() const;
};

struct ServerMqttConfig {
  std::string host = "127.0.0.1";
  int port = 1883;
  int keepalive_s = 60;
  std::string client_id = "meterlogger-server";  // stable: the broker keeps our session
  std::string username;
  std::string password;                  // from password or password_file
  std::optional<platform::MqttTls> tls;  // [mqtt.tls]: ingest, commands and `check` use TLS
  // logins = "dynsec": the server manages per-device logins in mosquitto's dynamic security
  // plugin (docs/security.md); "shared" (default): the broker's logins are managed elsewhere.
  bool dynsec_logins = false;
};

struct HttpConfig {  // for `serve` (the API and dashboard)
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string web_dir = "/usr/share/meterlogger/web";  // the dashboard built from web/
  int session_hours = 12;
  int offline_after_s = 900;  // a meter that sent nothing for this long is shown offline
  // Beyond this many meters GET /api/attention answers from a kept snapshot of the fleet's
  // facts, read again in the background (http/fleet_summary.hpp); up to it, every page reads them.
  int attention_cache_above = 1000;
  bool secure_cookies = false;  // true behind HTTPS (a reverse proxy): cookies marked Secure
  int threads = 4;
  // Peers whose X-Forwarded-For names the client (the reverse proxy); none by default.
  std::vector<Network> trusted_proxies;
  // Slow and idle clients (docs/server.md, "The HTTP server").
  int request_timeout_s = 10;            // a request's headers and body must arrive within this
  int idle_timeout_s = 30;               // a connection without progress for this long is closed
  int max_connections = 2000;            // open at once
  int max_connections_per_address = 32;  // 0: no limit (behind a reverse proxy)
  // GET /metrics (docs/metrics.md): answered when true; when the token is set, only to requests
  // with `Authorization: Bearer TOKEN` (a secret: never logged).
  bool metrics = true;
  std::string metrics_token;
  // Who must log in with a code from an authenticator app besides the password (docs/security.md,
  // "Second factor").
  SecondFactorRule second_factor = SecondFactorRule::global_admin;
};

struct IngestConfig {
  std::int64_t min_time = 1420070400;  // 2015-01-01: an older topic time is implausible
  std::int64_t max_future_s = 600;     // a topic time further ahead of our clock is implausible
  int batch_max = 500;                 // messages stored in one transaction at most
  // Set by `run --worker NAME`: the subscriptions are shared ($share/<group>/...) among the
  // workers, each message going to one of them (docs/scaling.md, "Several workers").
  std::string shared_group;
};

struct CommandsConfig {
  int retry_initial_s = 10;      // first retransmission after this long without a reply
  int retry_max_s = 300;         // backoff cap
  int default_timeout_s = 3600;  // `send` without --timeout; 0 = never expires
  int poll_interval_s = 600;     // `version` and `status` to every meter; 0 = off
};

struct AlarmsConfig {
  int interval_s = 60;  // an alarm round every this many seconds in `run`; 0 = off
};

// [gaps]: finding missing samples and asking devices for them again (server/gaps.hpp,
// docs/server.md "Gaps").
struct GapsConfig {
  int interval_s = 300;               // a gap round every this many seconds in `run`; 0 = off
  std::int64_t window_s = 7 * 86400;  // how far back gaps are looked for (the agent keeps 7 days)
  std::int64_t delay_s = 600;         // a gap younger than this may still be filling
  std::int64_t retry_after_s = 3600;  // a request nobody answered is sent again after this
  int max_tries = 2;                  // requests of one gap at most
  // Resend requests one round queues at most; the other meters are asked in the next rounds, so
  // that a gap in every meter (a broker that dropped the whole fleet's messages) is refilled bit
  // by bit, not all at once.
  int max_requests = 1000;
  std::int64_t expires_s = 86400;  // a resend command's expiry
};

// [workers]: `run --worker NAME` (docs/scaling.md, "Several workers").
struct WorkersConfig {
  // The duties lease (store/leases.hpp) lasts this long and is renewed every third of it; a
  // worker that dies hands the duties over within about this long.
  int lease_s = 30;
};

// [homeassistant]: the decoded samples of the meters of some groups republished in plain text with
// Home Assistant MQTT discovery (docs/homeassistant.md, "For operators"), by `run`.
struct HomeAssistantConfig {
  bool enabled = false;
  // The broker Home Assistant listens to; host, port, username and password default to [mqtt]'s
  // when host is not given (the same broker).
  std::string host;
  int port = 1883;
  int keepalive_s = 60;
  std::string username;
  std::string password;          // from password or password_file; a secret, never logged
  bool password_inline = false;  // written in the configuration file itself
  std::optional<platform::MqttTls> tls;
  std::string prefix = "homeassistant";  // discovery prefix
  // States go to <base_topic>/state, "{serial}" standing for the meter serial (required).
  std::string base_topic = "meterlogger/{serial}";
  bool heat_as_gas = false;
  std::vector<std::string> groups;  // only meters in these groups are published
  int refresh_s = 60;               // group membership is read again this often
  int queue_max = 1000;             // messages waiting for the broker at most; more are dropped
};

// [residents]: the residents' login and pages (docs/residents.md).
struct ResidentsConfig {
  // The residents' page as residents reach it ("https://heat.example.org/resident.html"): the
  // login code's message and the posters carry it; "" leaves the link out.
  std::string url;
  int session_days = 30;  // a resident stays logged in this long on a device
  // How to pay, shown on the residents' page: "{serial}" and "{name}" stand for the meter's
  // serial and name (e.g. "MobilePay 12 34 56 78, message: {serial}"); "" shows nothing.
  std::string payment;
  // The residents' heat meters' "last year" also corrected to this year's weather, with the
  // heating degree days imported (`degree-days import`; docs/residents.md, "Weather").
  bool weather_correction = false;
};

struct ServerConfig {
  std::string path;  // the file it came from
  std::string log_level = "info";
  DatabaseConfig database;
  ServerMqttConfig mqtt;
  HttpConfig http;
  IngestConfig ingest;
  CommandsConfig commands;
  AlarmsConfig alarms;
  GapsConfig gaps;
  WorkersConfig workers;
  HomeAssistantConfig homeassistant;  // [homeassistant]
  notify::NotifyConfig notify;        // [notify]: the channels messages go out on (docs/server.md)
  ResidentsConfig residents;          // [residents]
  // Not errors, but worth a line in the log at start (load_server_config): the broker password
  // (or [homeassistant]'s) written inline in a file everyone may read.
  std::vector<std::string> warnings;
};

core::Result<ServerConfig> parse_server_config(std::string_view toml_text, const std::string& path);
core::Result<ServerConfig> load_server_config(const std::string& path);

}  // namespace ml::server
