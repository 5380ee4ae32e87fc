#include "server/config.hpp"

#include "platform/config/toml_reader.hpp"
#include "platform/postgresql/url.hpp"
#include "server/sample_days.hpp"

namespace ml::server {
namespace {

namespace fs = std::filesystem;
using platform::config::bad;
using platform::config::Reader;

core::Status int_setting(Reader& r, std::string_view key, int& out, std::int64_t min,
                         std::int64_t max) {
  std::int64_t v = out;
  ML_TRY(r.integer(key, v, min, max));
  out = static_cast<int>(v);
  return core::Ok{};
}

core::Status parse_mqtt(Reader& r, ServerMqttConfig& m, const fs::path& base) {
  ML_TRY(r.string("host", m.host));
  if (m.host.empty()) return bad(r.key("host"), "must not be empty");
  ML_TRY(int_setting(r, "port", m.port, 1, 65535));
  ML_TRY(int_setting(r, "keepalive", m.keepalive_s, 5, 3600));
  ML_TRY(r.string("client_id", m.client_id));
  if (m.client_id.empty() || m.client_id.size() > 23 * 4) {
    return bad(r.key("client_id"), "must be 1..92 characters");
  }
  ML_TRY(r.string("username", m.username));
  if (auto from_file = platform::config::read_password(r, m.password, base); !from_file) {
    return from_file.error();
  }
  auto tls = platform::config::read_tls(r, base);
  if (!tls) return tls.error();
  m.tls = std::move(tls).value();
  std::string logins = m.dynsec_logins ? "dynsec" : "shared";
  ML_TRY(r.string("logins", logins));
  if (logins != "dynsec" && logins != "shared") {
    return bad(r.key("logins"), "must be \"shared\" or \"dynsec\", not \"" + logins + "\"");
  }
  m.dynsec_logins = logins == "dynsec";
  return r.no_unknown_keys();
}

// A topic that must not hold MQTT wildcards, be empty or start or end with '/'.
core::Status check_topic(Reader& r, std::string_view key, const std::string& value) {
  if (value.empty()) return bad(r.key(key), "must not be empty");
  if (value.find_first_of("+#") != std::string::npos || value.front() == '/' ||
      value.back() == '/' || value.size() > 200) {
    return bad(r.key(key), "must be a topic without '+', '#' or a leading or trailing '/'");
  }
  return core::Ok{};
}

core::Status parse_homeassistant(Reader& r, HomeAssistantConfig& h, const ServerMqttConfig& mqtt,
                                 const fs::path& base) {
  ML_TRY(r.boolean("enabled", h.enabled));
  ML_TRY(r.string("host", h.host));
  const bool same_broker = h.host.empty();
  if (same_broker) {
    h.host = mqtt.host;
    h.port = mqtt.port;
    h.username = mqtt.username;
    h.password = mqtt.password;
    h.tls = mqtt.tls;
  }
  ML_TRY(int_setting(r, "port", h.port, 1, 65535));
  ML_TRY(int_setting(r, "keepalive", h.keepalive_s, 5, 3600));
  ML_TRY(r.string("username", h.username));
  std::string password;  // given here, it replaces the one taken from [mqtt]
  auto from_file = platform::config::read_password(r, password, base);
  if (!from_file) return from_file.error();
  h.password_inline = !password.empty() && !*from_file;
  if (!password.empty()) h.password = std::move(password);
  auto tls = platform::config::read_tls(r, base);
  if (!tls) return tls.error();
  if (*tls || !same_broker) h.tls = std::move(tls).value();  // else [mqtt]'s
  ML_TRY(r.string("prefix", h.prefix));
  ML_TRY(check_topic(r, "prefix", h.prefix));
  ML_TRY(r.string("base_topic", h.base_topic));
  ML_TRY(check_topic(r, "base_topic", h.base_topic));
  if (h.base_topic.find("{serial}") == std::string::npos) {
    return bad(r.key("base_topic"), "must hold {serial}: every meter needs a topic of its own");
  }
  ML_TRY(r.boolean("heat_as_gas", h.heat_as_gas));
  ML_TRY(r.string_array("groups", h.groups));
  if (h.groups.size() > 100) return bad(r.key("groups"), "at most 100 groups");
  for (const auto& g : h.groups) {
    if (g.empty() || g.size() > 200) return bad(r.key("groups"), "a group name of 1..200 bytes");
  }
  if (h.enabled && h.groups.empty()) {
    return bad(r.key("groups"), "required: the groups whose meters are published");
  }
  ML_TRY(int_setting(r, "refresh", h.refresh_s, 1, 86400));
  ML_TRY(int_setting(r, "queue_max", h.queue_max, 10, 60000));
  return r.no_unknown_keys();
}

}  // namespace

std::string DatabaseConfig::name() const {
  return url.empty() ? path : platform::postgresql::without_password(url);
}

core::Result<ServerConfig> parse_server_config(std::string_view toml_text,
                                               const std::string& path) {
  auto parsed = platform::config::parse_toml(toml_text, path);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  ServerConfig c;
  c.path = path;
  const fs::path base = fs::path(path).parent_path();
  Reader r(root, "");
  ML_TRY(platform::config::read_log_level(r, c.log_level));
  if (const toml::table* t = r.table("database")) {
    Reader dr(*t, "database");
    ML_TRY(dr.string("path", c.database.path));
    ML_TRY(dr.string("url", c.database.url));
    std::int64_t pack_after_days = c.database.pack_after_days;
    ML_TRY(dr.integer("pack_after_days", pack_after_days, 0, 3650));
    c.database.pack_after_days = static_cast<int>(pack_after_days);
    if (c.database.pack_after_days != 0 && c.database.pack_after_days < kPackMinAgeDays) {
      return bad("database.pack_after_days",
                 "must be 0 (never pack) or " + std::to_string(kPackMinAgeDays) + " or more");
    }
    if (t->contains("url")) {
      if (t->contains("path")) {
        return bad("database", "give either path (SQLite) or url (PostgreSQL), not both");
      }
      if (!c.database.url.starts_with("postgresql://") &&
          !c.database.url.starts_with("postgres://")) {
        return bad("database.url",
                   "must be a PostgreSQL URL, postgresql://user@host:port/database, not \"" +
                       platform::postgresql::without_password(c.database.url) + "\"");
      }
    }
    if (c.database.path.empty()) return bad("database.path", "must not be empty");
    if (fs::path(c.database.path).is_relative()) {
      c.database.path = (base / c.database.path).string();
    }
    ML_TRY(dr.no_unknown_keys());
  } else {
    return bad("database", "required: a [database] table with path (SQLite) or url (PostgreSQL)");
  }
  ML_TRY(
      platform::config::required_table(r, "mqtt", "a [mqtt] table with at least host",
                                       [&](Reader& mr) { return parse_mqtt(mr, c.mqtt, base); }));
  if (const toml::table* t = r.table("http")) {
    Reader hr(*t, "http");
    std::string listen = c.http.host + ":" + std::to_string(c.http.port);
    ML_TRY(hr.string("listen", listen));
    ML_TRY(platform::config::parse_listen(hr.key("listen"), listen, c.http.host, c.http.port));
    ML_TRY(hr.string("web_dir", c.http.web_dir));
    if (c.http.web_dir.empty()) return bad("http.web_dir", "must not be empty");
    if (fs::path(c.http.web_dir).is_relative()) c.http.web_dir = (base / c.http.web_dir).string();
    ML_TRY(int_setting(hr, "session_hours", c.http.session_hours, 1, 24 * 90));
    ML_TRY(int_setting(hr, "offline_after", c.http.offline_after_s, 60, 7 * 86400));
    ML_TRY(int_setting(hr, "attention_cache_above", c.http.attention_cache_above, 0, 10000000));
    ML_TRY(hr.boolean("secure_cookies", c.http.secure_cookies));
    ML_TRY(int_setting(hr, "threads", c.http.threads, 1, 64));
    std::vector<std::string> proxies;
    ML_TRY(hr.string_array("trusted_proxies", proxies));
    if (proxies.size() > 64) return bad("http.trusted_proxies", "at most 64 entries");
    for (const auto& text : proxies) {
      auto n = parse_network(text);
      if (!n) return bad("http.trusted_proxies", n.error().detail);
      c.http.trusted_proxies.push_back(*n);
    }
    ML_TRY(int_setting(hr, "request_timeout", c.http.request_timeout_s, 1, 600));
    ML_TRY(int_setting(hr, "idle_timeout", c.http.idle_timeout_s, 1, 3600));
    ML_TRY(int_setting(hr, "max_connections", c.http.max_connections, 16, 100000));
    ML_TRY(int_setting(hr, "max_connections_per_address", c.http.max_connections_per_address, 0,
                       100000));
    ML_TRY(hr.boolean("metrics", c.http.metrics));
    ML_TRY(hr.string("metrics_token", c.http.metrics_token));
    if (c.http.metrics_token.size() > 512) return bad("http.metrics_token", "at most 512 bytes");
    for (char ch : c.http.metrics_token) {
      if (static_cast<unsigned char>(ch) <= 0x20 || ch == 0x7f)
        return bad("http.metrics_token", "no spaces or control characters");
    }
    std::string second_factor(second_factor_rule_name(c.http.second_factor));
    ML_TRY(hr.string("second_factor", second_factor));
    bool known = false;
    for (const auto& row : kSecondFactorRules) {
      if (row.name != second_factor) continue;
      c.http.second_factor = row.rule;
      known = true;
    }
    if (!known) {
      return bad("http.second_factor",
                 "must be \"off\", \"global-admin\" or \"admins\", not \"" + second_factor + "\"");
    }
    ML_TRY(hr.no_unknown_keys());
  }
  if (const toml::table* t = r.table("ingest")) {
    Reader ir(*t, "ingest");
    ML_TRY(ir.integer("min_time", c.ingest.min_time, 0, 4102444800));
    ML_TRY(ir.integer("max_future", c.ingest.max_future_s, 0, 86400));
    ML_TRY(int_setting(ir, "batch_max", c.ingest.batch_max, 1, 10000));
    ML_TRY(ir.no_unknown_keys());
  }
  if (const toml::table* t = r.table("commands")) {
    Reader cr(*t, "commands");
    ML_TRY(int_setting(cr, "retry_initial", c.commands.retry_initial_s, 1, 3600));
    ML_TRY(int_setting(cr, "retry_max", c.commands.retry_max_s, 1, 86400));
    ML_TRY(int_setting(cr, "default_timeout", c.commands.default_timeout_s, 0, 30 * 86400));
    ML_TRY(int_setting(cr, "poll_interval", c.commands.poll_interval_s, 0, 86400));
    if (c.commands.retry_max_s < c.commands.retry_initial_s) {
      return bad("commands.retry_max", "must not be below retry_initial");
    }
    ML_TRY(cr.no_unknown_keys());
  }
  if (const toml::table* t = r.table("alarms")) {
    Reader ar(*t, "alarms");
    ML_TRY(int_setting(ar, "interval", c.alarms.interval_s, 0, 3600));
    ML_TRY(ar.no_unknown_keys());
  }
  if (const toml::table* t = r.table("gaps")) {
    Reader gr(*t, "gaps");
    ML_TRY(int_setting(gr, "interval", c.gaps.interval_s, 0, 86400));
    std::int64_t days = c.gaps.window_s / 86400;
    ML_TRY(gr.integer("window_days", days, 1, 365));
    c.gaps.window_s = days * 86400;
    ML_TRY(gr.integer("delay", c.gaps.delay_s, 0, 86400));
    ML_TRY(gr.integer("retry_after", c.gaps.retry_after_s, 60, 7 * 86400));
    ML_TRY(int_setting(gr, "max_tries", c.gaps.max_tries, 1, 10));
    ML_TRY(int_setting(gr, "max_requests", c.gaps.max_requests, 1, 1000000));
    ML_TRY(gr.no_unknown_keys());
  }
  if (const toml::table* t = r.table("workers")) {
    Reader wr(*t, "workers");
    ML_TRY(int_setting(wr, "lease", c.workers.lease_s, 3, 3600));
    ML_TRY(wr.no_unknown_keys());
  }
  if (const toml::table* t = r.table("homeassistant")) {
    Reader hr(*t, "homeassistant");
    ML_TRY(parse_homeassistant(hr, c.homeassistant, c.mqtt, base));
  }
  if (const toml::table* t = r.table("residents")) {
    Reader rr(*t, "residents");
    ML_TRY(rr.string("url", c.residents.url));
    if (!c.residents.url.empty() && c.residents.url.rfind("https://", 0) != 0 &&
        c.residents.url.rfind("http://", 0) != 0) {
      return bad("residents.url", "must begin with https:// (or http://)");
    }
    if (c.residents.url.size() > 500) return bad("residents.url", "at most 500 bytes");
    ML_TRY(int_setting(rr, "session_days", c.residents.session_days, 1, 365));
    ML_TRY(rr.string("payment", c.residents.payment));
    if (c.residents.payment.size() > 1000) return bad("residents.payment", "at most 1000 bytes");
    ML_TRY(rr.boolean("weather_correction", c.residents.weather_correction));
    ML_TRY(rr.no_unknown_keys());
  }
  if (const toml::table* t = r.table("notify")) {
    Reader nr(*t, "notify");
    ML_TRY(notify::parse_notify_config(nr, c.notify, base));
  }
  ML_TRY(r.no_unknown_keys());
  return c;
}

core::Result<ServerConfig> load_server_config(const std::string& path) {
  auto text = platform::config::read_config_file(path);
  if (!text) return text.error();
  auto c = parse_server_config(*text, path);
  if (!c) return c;
  // password_file is refused when readable by everyone; an inline password is only warned of.
  std::error_code ec;
  const auto perms = fs::status(path, ec).permissions();
  if (!ec && (perms & fs::perms::others_read) != fs::perms::none && !c->mqtt.password.empty() &&
      text->find("password_file") == std::string::npos) {
    c->warnings.push_back(path +
                          " is readable by everyone and holds mqtt.password inline: chmod o-r it "
                          "(or move the password to mqtt.password_file)");
  }
  if (!ec && (perms & fs::perms::others_read) != fs::perms::none &&
      c->homeassistant.password_inline) {
    c->warnings.push_back(path +
                          " is readable by everyone and holds homeassistant.password inline: "
                          "chmod o-r it (or move the password to homeassistant.password_file)");
  }
  return c;
}

}  // namespace ml::server
