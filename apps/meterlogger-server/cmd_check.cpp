// `meterlogger-server check`: checks an installation and reports one line per check (ok,
// warning or error, and what to do): the configuration, the database (read only: never created
// nor migrated), the key and password files, the broker (a short connection with the configured
// credentials and a subscription), mosquitto.conf (the recommended lines; with --mosquitto-conf
// the file's settings), the dashboard's folder and the notification channels. Exit status 1
// when any check is an error (docs/install.md, "Check your installation").
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <filesystem>
#include <iostream>

#include "common.hpp"
#include "platform/config/toml_reader.hpp"
#include "platform/mqtt/client.hpp"
#include "platform/mqtt/tls_link.hpp"
#include "server/broker.hpp"
#include "server/broker_control.hpp"
#include "server/ingest.hpp"
#include "server/install_check.hpp"
#include "server/web_dir.hpp"

namespace ml::server_app {
namespace {

namespace fs = std::filesystem;
namespace ck = server::check;
using ck::Level;
using ck::Line;

struct CheckArgs {
  std::string mosquitto_conf;
  int timeout_s = 5;
};

// Every `*_file` setting but ca_file (a CA certificate is public) names a secret: a password,
// an HMAC secret, a token, a key.
void secret_files(const toml::table& table, const std::string& prefix, const fs::path& base,
                  std::vector<Line>& out) {
  for (const auto& [k, node] : table) {
    const std::string key =
        prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const auto* t = node.as_table()) {
      secret_files(*t, key, base, out);
    } else if (const auto* a = node.as_array()) {
      std::size_t i = 0;
      for (const auto& e : *a) {
        if (const auto* row = e.as_table())
          secret_files(*row, key + "[" + std::to_string(i) + "]", base, out);
        ++i;
      }
    } else if (const auto* s = node.as_string()) {
      if (k.str().ends_with("_file") && k.str() != "ca_file" && !s->get().empty()) {
        const fs::path p = fs::path(s->get()).is_absolute() ? fs::path(s->get()) : base / s->get();
        out.push_back(ck::check_secret_file(key, p.string()));
      }
    }
  }
}

Line check_database(const server::ServerConfig& c) {
  const auto path = c.database.name();
  const auto latest = latest_schema_version(c);
  std::error_code ec;
  if (!c.database.url.empty() || fs::exists(path, ec)) {
    auto v = schema_version_of(c);
    if (!v) return {Level::error, "database", v.error().text()};
    if (*v == latest) {
      return {Level::ok, "database", path + " at schema version " + std::to_string(latest)};
    }
    if (*v < latest) {
      return {Level::warning, "database",
              path + " at schema version " + std::to_string(*v) +
                  "; `meterlogger-server migrate` " + "would bring it to " +
                  std::to_string(latest) + " (read-only commands refuse it until then)"};
    }
    return {Level::error, "database",
            path + " at schema version " + std::to_string(*v) +
                ", newer than this program knows (" + std::to_string(latest) + ")"};
  }
  fs::path dir = fs::path(path).parent_path();
  while (!dir.empty() && !fs::exists(dir, ec) && dir != dir.parent_path())
    dir = dir.parent_path();
  if (dir.empty()) dir = ".";
  if (::access(dir.c_str(), W_OK | X_OK) != 0) {
    return {Level::error, "database",
            "no database at " + path + ", and " + dir.string() +
                " is not writable for this user: create the folder for the server's user, or "
                "check [database] path in " +
                c.path};
  }
  return {Level::warning, "database",
          "no database yet at " + path +
              ": `meterlogger-server migrate` (or `run`, `meters add`) "
              "creates it"};
}

// With [mqtt.tls]: a TLS handshake of our own first, for OpenSSL's reason when the broker's
// certificate is refused (libmosquitto reports only "certificate verify failed"). "" when it
// succeeds.
std::string tls_failure(const server::ServerMqttConfig& m, int timeout_s) {
  auto ctx = platform::tls_context(*m.tls);
  if (!ctx) return ctx.error().text();
  asio::io_context io(1);
  platform::TlsLink link(io.get_executor(), ctx->get());
  std::string failure = "no answer within " + std::to_string(timeout_s) + " s";
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        constexpr auto tuple = asio::experimental::as_tuple(asio::use_awaitable);
        asio::ip::tcp::resolver resolver(io);
        auto [rec, endpoints] =
            co_await resolver.async_resolve(m.host, std::to_string(m.port), tuple);
        if (rec) {
          failure = "cannot resolve " + m.host + ": " + rec.message();
          co_return;
        }
        auto [cec, ep] = co_await asio::async_connect(link.tcp(), endpoints, tuple);
        if (cec) {
          failure = "connect failed: " + cec.message();
          co_return;
        }
        failure = co_await link.handshake(m.host, m.tls->insecure);
      },
      asio::detached);
  io.run_for(std::chrono::seconds(timeout_s));
  return failure;
}

Line check_broker(const server::ServerConfig& c, int timeout_s) {
  const std::string where = c.mqtt.host + ":" + std::to_string(c.mqtt.port);
  if (c.mqtt.tls) {
    if (auto failure = tls_failure(c.mqtt, timeout_s); !failure.empty()) {
      return {Level::error, "broker",
              "TLS handshake with " + where + " failed: " + failure +
                  ": check [mqtt] host and [mqtt.tls] ca_file (the CA that signed the broker's "
                  "certificate), and the broker's certificate (its names and dates)"};
    }
  }
  asio::io_context io(1);
  // A client id of its own and a clean session: the server's persistent session stays as it is.
  platform::MqttOptions o = server::broker_options(c.mqtt, "-check");
  o.clean_session = true;
  o.connect_timeout = std::chrono::seconds(timeout_s);
  o.backoff.initial = std::chrono::seconds(3600);
  o.backoff.max = std::chrono::seconds(3600);
  platform::MqttClient client(io.get_executor(), o);
  bool connected = false;
  std::string failure;
  client.on_connected([&](bool) {
    connected = true;
    io.stop();
  });
  client.on_disconnected([&](const platform::MqttDisconnect& d) {
    failure = d.reason;
    io.stop();
  });
  const auto filter = server::ingest_subscriptions(server::IngestLane::samples).front().filter;
  if (auto s = client.subscribe(filter, 1); !s) return {Level::error, "broker", s.error().text()};
  if (auto s = client.start(); !s) return {Level::error, "broker", s.error().text()};
  // The client's thread posts its events: keep the loop running until one came or time is up.
  auto work = asio::make_work_guard(io);
  io.run_for(std::chrono::seconds(timeout_s + 1));
  std::string refused;
  if (connected) {
    // The client reports a refused subscription (SUBACK 0x80), not a granted one: give the
    // broker's answer a moment to arrive.
    io.restart();
    io.run_for(std::chrono::seconds(1));
    const auto stats = client.stats();
    if (stats.last_error.find("subscription") != std::string::npos) refused = stats.last_error;
  }
  client.stop();
  const std::string as = c.mqtt.username.empty() ? "without a user name" : "as " + c.mqtt.username;
  if (connected && !refused.empty()) {
    return {Level::error, "broker",
            refused + " (" + as +
                "): the broker's ACL must let the server's user read the "
                "device topics"};
  }
  if (connected) {
    return {Level::ok, "broker",
            "connected to " + where + (c.mqtt.tls ? " over TLS " : " ") + as +
                " and subscribed to " + filter};
  }
  if (!failure.empty()) {
    return {Level::error, "broker",
            failure + " (" + where + " " + as +
                "): check [mqtt] host, port, username and password_file, and that mosquitto runs"};
  }
  return {Level::error, "broker",
          "no answer from " + where + " within " + std::to_string(timeout_s) +
              " s: check [mqtt] host and port, and that mosquitto runs"};
}

// [mqtt] logins = "dynsec": the plugin answers the server's login, which has the server's role
// (`broker setup`); how many device logins there are.
Line check_broker_logins(const server::ServerConfig& c, int timeout_s) {
  namespace bl = server::broker_logins;
  const auto timeout = std::chrono::seconds(timeout_s);
  auto r = server::broker_control(c.mqtt, {bl::get_client(c.mqtt.username)}, timeout);
  if (!r) return {Level::error, "broker logins", r.error().text()};
  const auto roles = bl::client_roles(r->front().data);
  if (std::find(roles.begin(), roles.end(), bl::kServerRole) == roles.end()) {
    return {Level::error, "broker logins",
            "the login " + c.mqtt.username + " does not have the role " +
                std::string(bl::kServerRole) +
                ": run `meterlogger-server broker setup` (docs/security.md, \"Broker logins\")"};
  }
  auto devices = server::broker_device_logins(c.mqtt, timeout);
  if (!devices) return {Level::error, "broker logins", devices.error().text()};
  return {Level::ok, "broker logins",
          "the dynamic security plugin answers; " + c.mqtt.username + " has the role " +
              std::string(bl::kServerRole) + "; " + std::to_string(devices->size()) +
              " device logins"};
}

std::vector<Line> check_mosquitto_file(const std::string& path) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return {{Level::error, "mosquitto.conf", "cannot read " + path}};
  if (size > ck::kMaxConfBytes) {
    return {{Level::error, "mosquitto.conf", path + " is larger than 1 MiB"}};
  }
  auto text = platform::config::read_config_file(path);
  if (!text) return {{Level::error, "mosquitto.conf", text.error().text()}};
  auto conf = ck::parse_mosquitto_conf(*text);
  if (!conf) return {{Level::error, "mosquitto.conf", path + ": " + conf.error().text()}};
  return ck::check_mosquitto_conf(*conf, path);
}

int check(const std::string& config_path, const CheckArgs& a) {
  std::vector<Line> lines;
  auto config = server::load_server_config(config_path);
  if (!config) {
    lines.push_back({Level::error, "config", config.error().text()});
  } else {
    lines.push_back({Level::ok, "config", config_path + " parses"});
    for (const auto& w : config->warnings)
      lines.push_back({Level::warning, "config", w});
  }
  if (auto text = platform::config::read_config_file(config_path)) {
    if (auto table = platform::config::parse_toml(*text, config_path)) {
      secret_files(*table, "", fs::path(config_path).parent_path(), lines);
    }
  }
  if (config) {
    lines.push_back(check_database(*config));
    lines.push_back(check_broker(*config, a.timeout_s));
    if (config->mqtt.dynsec_logins && lines.back().level == Level::ok) {
      lines.push_back(check_broker_logins(*config, a.timeout_s));
    }
  }
  if (!a.mosquitto_conf.empty()) {
    for (auto& l : check_mosquitto_file(a.mosquitto_conf))
      lines.push_back(std::move(l));
  }
  if (config) {
    const auto web = server::find_web_dir(
        server::web_dir_candidates(config->http.web_dir, server::this_executable()));
    if (!web.found.empty()) {
      lines.push_back({Level::ok, "dashboard", "index.html in " + web.found});
    } else {
      lines.push_back(
          {Level::warning, "dashboard", server::missing_dashboard_text(web, config->path)});
    }
    if (config->notify.channels.empty()) {
      lines.push_back(
          {Level::ok, "notify",
           "no channels configured ([notify] in " + config->path + "): no messages are sent"});
    }
    for (const auto& ch : config->notify.channels) {
      lines.push_back({Level::ok, "notify",
                       "channel " + ch.name + " (" +
                           std::string(server::notify::channel_type_info(ch.type).name) +
                           ") is complete; `meterlogger-server notify test " + ch.name +
                           " --to ...` sends a test message"});
    }
  }
  bool error = false;
  for (const auto& l : lines) {
    std::cout << ck::format_line(l) << "\n";
    error = error || l.level == Level::error;
  }
  std::cout << "\nThe broker must keep the server's messages while it is away; mosquitto.conf "
               "needs (packaging/mosquitto/meterlogger.conf):\n";
  std::string_view rec = ck::kMosquittoLines;
  while (!rec.empty()) {
    const auto eol = rec.find('\n');
    std::cout << "  " << rec.substr(0, eol) << "\n";
    rec.remove_prefix(eol == std::string_view::npos ? rec.size() : eol + 1);
  }
  if (a.mosquitto_conf.empty()) {
    std::cout << "(give --mosquitto-conf /etc/mosquitto/conf.d/meterlogger.conf to check the "
                 "file)\n";
  }
  return error ? 1 : 0;
}

}  // namespace

void add_check_command(CLI::App& app, const std::string& config) {
  auto a = std::make_shared<CheckArgs>();
  auto* c = app.add_subcommand(
      "check", "Check the installation: config, database, key files, broker, dashboard, notify");
  c->add_option("--mosquitto-conf", a->mosquitto_conf,
                "also check this mosquitto.conf (persistence, queue and size limits, "
                "allow_anonymous, password_file)");
  c->add_option("--timeout", a->timeout_s, "seconds to wait for the broker")
      ->capture_default_str()
      ->check(CLI::Range(1, 60));
  c->footer(
      "One line per check: ok, warning or error, and what to do. Writes nothing: the database\n"
      "is only read (never created nor migrated), nothing is sent on the notify channels\n"
      "(`notify test` does that), the broker connection uses a client id of its own and a\n"
      "clean session. Exit status 0 without errors, 1 otherwise (docs/install.md).\n\n"
      "Examples:\n"
      "  meterlogger-server check\n"
      "  meterlogger-server check --config /etc/meterlogger/server.toml \\\n"
      "      --mosquitto-conf /etc/mosquitto/conf.d/meterlogger.conf");
  c->callback([=, &config] {
    const int status = check(config, *a);
    if (status != 0) throw Failure{"check found errors", status};
  });
}

}  // namespace ml::server_app
