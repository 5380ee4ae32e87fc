#include "agent/config.hpp"

#include <toml++/toml.h>

#include <filesystem>
#include <set>

#include "agent/gpio.hpp"
#include "meter/drivers.hpp"
#include "platform/config/toml_reader.hpp"
#include "platform/tz/zone.hpp"

namespace ml::agent {
namespace {

namespace fs = std::filesystem;
using platform::config::bad;
using platform::config::parse_listen;
using platform::config::read_secret_file;
using platform::config::Reader;

core::Status parse_setup(Reader& r, SetupConfig& s, const fs::path& base) {
  std::string listen = s.host + ":" + std::to_string(s.port);
  ML_TRY(r.string("listen", listen));
  ML_TRY(parse_listen(r.key("listen"), listen, s.host, s.port));
  std::string hash_file;
  ML_TRY(r.string("password_hash", s.password_hash));
  ML_TRY(r.string("password_hash_file", hash_file));
  if (!hash_file.empty()) {
    if (!s.password_hash.empty()) {
      return bad(r.key("password_hash_file"), "give password_hash or password_hash_file");
    }
    auto secret = read_secret_file(r.key("password_hash_file"), hash_file, base);
    if (!secret) return secret.error();
    s.password_hash = std::move(secret).value();
  }
  // libsodium's Argon2id string; its length bound is crypto_pwhash_STRBYTES (128).
  if (!s.password_hash.empty() &&
      (s.password_hash.rfind("$argon2id$", 0) != 0 || s.password_hash.size() >= 128)) {
    return bad(r.key(hash_file.empty() ? "password_hash" : "password_hash_file"),
               "must be an Argon2id hash as `meterlogger agent --hash-password` prints it");
  }
  std::int64_t minutes = s.session_minutes;
  ML_TRY(r.integer("session_minutes", minutes, 1, 1440));
  s.session_minutes = static_cast<int>(minutes);
  ML_TRY(r.string("module", s.module));
  if (!s.module.empty() && fs::path(s.module).is_relative()) s.module = (base / s.module).string();
  return r.no_unknown_keys();
}

core::Status parse_metrics(Reader& r, MetricsConfig& m, const fs::path& base) {
  std::string listen;
  ML_TRY(r.string("listen", listen));
  if (listen.empty())
    return bad(r.key("listen"), "required: \"HOST:PORT\", e.g. \"127.0.0.1:9101\"");
  ML_TRY(parse_listen(r.key("listen"), listen, m.host, m.port));
  std::string token_file;
  ML_TRY(r.string("token_file", token_file));
  if (!token_file.empty()) {
    auto secret = read_secret_file(r.key("token_file"), token_file, base);
    if (!secret) return secret.error();
    m.token = std::move(secret).value();
    if (m.token.empty() || m.token.size() > 1024 ||
        m.token.find_first_of(" \t\r\n") != std::string::npos) {
      return bad(r.key("token_file"), "must hold one token of 1 to 1024 characters without spaces");
    }
  }
  return r.no_unknown_keys();
}

core::Status parse_mqtt(Reader& r, MqttConfig& m, const fs::path& base) {
  std::int64_t v = 0;
  ML_TRY(r.string("host", m.host));
  if (m.host.empty()) return bad(r.key("host"), "must not be empty");
  v = m.port;
  ML_TRY(r.integer("port", v, 1, 65535));
  m.port = static_cast<int>(v);
  v = m.keepalive_s;
  ML_TRY(r.integer("keepalive", v, 5, 3600));
  m.keepalive_s = static_cast<int>(v);
  v = m.qos;
  ML_TRY(r.integer("qos", v, 0, 2));
  m.qos = static_cast<int>(v);
  std::string padding = "pkcs7";
  ML_TRY(r.string("padding", padding));
  if (padding == "pkcs7") {
    m.padding = core::envelope::Padding::pkcs7;
  } else if (padding == "zero") {
    m.padding = core::envelope::Padding::zero;
  } else {
    return bad(r.key("padding"), "must be \"pkcs7\" or \"zero\", not \"" + padding + "\"");
  }
  ML_TRY(r.string("username", m.username));
  auto from_file = platform::config::read_password(r, m.password, base);
  if (!from_file) return from_file.error();
  m.password_inline = !m.password.empty() && !*from_file;
  ML_TRY(r.string("protocol", m.protocol));
  if (m.protocol != "3.1" && m.protocol != "3.1.1" && m.protocol != "5") {
    return bad(r.key("protocol"), "must be \"3.1\", \"3.1.1\" or \"5\"");
  }
  auto tls = platform::config::read_tls(r, base);
  if (!tls) return tls.error();
  m.tls = std::move(tls).value();
  return r.no_unknown_keys();
}

// A topic level part that must not hold MQTT wildcards or be empty.
core::Status check_topic(Reader& r, const char* key, const std::string& value) {
  if (value.empty()) return bad(r.key(key), "must not be empty");
  if (value.find_first_of("+#") != std::string::npos || value.front() == '/' ||
      value.back() == '/' || value.size() > 200) {
    return bad(r.key(key), "must be a topic without '+', '#' or a leading or trailing '/'");
  }
  return core::Ok{};
}

core::Status parse_homeassistant(Reader& r, HomeAssistantConfig& h, const fs::path& base) {
  ML_TRY(r.boolean("enabled", h.enabled));
  MqttConfig& m = h.broker;
  ML_TRY(r.string("host", m.host));
  if (m.host.empty()) return bad(r.key("host"), "must not be empty");
  std::int64_t v = m.port;
  ML_TRY(r.integer("port", v, 1, 65535));
  m.port = static_cast<int>(v);
  ML_TRY(r.string("username", m.username));
  auto from_file = platform::config::read_password(r, m.password, base);
  if (!from_file) return from_file.error();
  m.password_inline = !m.password.empty() && !*from_file;
  auto tls = platform::config::read_tls(r, base);
  if (!tls) return tls.error();
  m.tls = std::move(tls).value();
  m.qos = 1;
  ML_TRY(r.string("prefix", h.prefix));
  ML_TRY(check_topic(r, "prefix", h.prefix));
  ML_TRY(r.string("base_topic", h.base_topic));
  ML_TRY(check_topic(r, "base_topic", h.base_topic));
  ML_TRY(r.boolean("heat_as_gas", h.heat_as_gas));
  return r.no_unknown_keys();
}

bool is_output_spec(const std::string& s) {
  return (s.rfind("file:", 0) == 0 && s.size() > 5) || parse_gpio_spec(s).has_value();
}

core::Status parse_valve(Reader& r, ValveConfig& v) {
  ML_TRY(r.string("output", v.output));
  if (v.output != "none" && !is_output_spec(v.output)) {
    return bad(r.key("output"), "must be \"none\", \"file:/path\" or \"gpio:CHIP:LINE\"");
  }
  for (auto [name, field] : {std::pair{"second_output", &v.second_output}, {"led", &v.led}}) {
    ML_TRY(r.string(name, *field));
    if (!field->empty() && !is_output_spec(*field)) {
      return bad(r.key(name), "must be \"file:/path\" or \"gpio:CHIP:LINE\"");
    }
  }
  ML_TRY(r.boolean("normally_open", v.normally_open));
  ML_TRY(r.boolean("auto_close", v.auto_close));
  return r.no_unknown_keys();
}

core::Status parse_meter(Reader& r, MeterConfig& m, const fs::path& base, std::size_t index) {
  m.name = "meter[" + std::to_string(index + 1) + "]";
  ML_TRY(r.string("name", m.name));
  auto protocol = r.get<std::string>("protocol");
  if (!protocol) return protocol.error();
  if (!*protocol) return bad(r.key("protocol"), "required (" + meter::driver_names() + ")");
  m.protocol = **protocol;
  ML_TRY(r.boolean("flow_meter", m.flow_meter));
  const meter::Driver* driver = meter::find_driver(m.protocol);
  if (!driver) {
    return bad(r.key("protocol"),
               "must be " + meter::driver_names() + ", not \"" + m.protocol + "\"");
  }
  if (m.flow_meter && !driver->flow_meter_mode) {
    return bad(r.key("flow_meter"), m.protocol + " meters have no flow-meter mode");
  }
  m.kind = m.flow_meter ? driver->flow_kind : driver->kind;
  const bool pulse = driver->link == meter::Link::pulse_input;
  ML_TRY(r.string("port", m.port));
  if (!pulse && m.port.empty())
    return bad(r.key("port"), "required (a serial device or tcp://host:port)");
  if (pulse && !m.port.empty()) return bad(r.key("port"), "pulse meters use input, not port");
  ML_TRY(r.string("serial", m.serial));
  if (!m.serial.empty()) {
    if (m.serial.size() > 12 ||
        m.serial.find_first_not_of(
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            std::string::npos) {
      return bad(r.key("serial"), "1 to 12 characters of A-Z, a-z, 0-9, _ and -");
    }
  } else if (!driver->serial_number) {
    return bad(r.key("serial"),
               "required for " + m.protocol + " meters (they have no serial to read)");
  }
  std::string key;
  std::string key_file;
  ML_TRY(r.string("key", key));
  ML_TRY(r.string("key_file", key_file));
  if (key.empty() == key_file.empty())
    return bad(r.key("key"), "give exactly one of key and key_file");
  if (!key_file.empty()) {
    auto secret = read_secret_file(r.key("key_file"), key_file, base);
    if (!secret) return secret.error();
    key = *secret;
  }
  auto parsed = core::envelope::parse_master_key(key);
  if (!parsed) return bad(r.key(key_file.empty() ? "key" : "key_file"), "must be 32 hex digits");
  m.key = *parsed;
  m.key_inline = key_file.empty();
  std::int64_t v = m.interval.count();
  ML_TRY(r.integer("interval", v, 1, 86400));
  m.interval = std::chrono::seconds(v);
  v = 0;
  ML_TRY(r.integer("timeout_ms", v, 0, 60000));
  m.timeout = std::chrono::milliseconds(v);
  v = m.retries;
  ML_TRY(r.integer("retries", v, 0, 10));
  m.retries = static_cast<int>(v);
  if (pulse) {
    ML_TRY(r.string("input", m.pulse.input));
    if (!parse_gpio_spec(m.pulse.input) &&
        !(m.pulse.input.rfind("sim:", 0) == 0 && m.pulse.input.size() > 4)) {
      return bad(r.key("input"), "required: gpio:CHIP:LINE or sim:/path/to/socket");
    }
    v = m.pulse.per_unit;
    ML_TRY(r.integer("pulses_per_unit", v, 1, 1000000));
    m.pulse.per_unit = static_cast<std::uint32_t>(v);
    m.pulse.width_filter = !m.flow_meter;
    ML_TRY(r.boolean("width_filter", m.pulse.width_filter));
    v = m.pulse.min_width_ms;
    ML_TRY(r.integer("min_width_ms", v, 1, 10000));
    m.pulse.min_width_ms = static_cast<std::uint32_t>(v);
    v = m.pulse.max_width_ms;
    ML_TRY(r.integer("max_width_ms", v, 1, 10000));
    m.pulse.max_width_ms = static_cast<std::uint32_t>(v);
    if (m.pulse.min_width_ms >= m.pulse.max_width_ms) {
      return bad(r.key("min_width_ms"), "must be below max_width_ms");
    }
  }
  if (const toml::table* t = r.table("valve")) {
    if (!meter::has_valve(*driver)) {
      return bad(r.key("valve"), m.protocol + " meters have no valve");
    }
    Reader vr(*t, r.key("valve"));
    ML_TRY(parse_valve(vr, m.valve));
  }
  if (const toml::table* t = r.table("broker")) {
    Reader br(*t, r.key("broker"));
    MeterBrokerLogin login;
    ML_TRY(br.string("username", login.username));
    auto from_file = platform::config::read_password(br, login.password, base);
    if (!from_file) return from_file.error();
    if (login.password.empty()) return bad(br.key("password_file"), "required (or password)");
    login.password_inline = !*from_file;
    ML_TRY(br.no_unknown_keys());
    m.broker = std::move(login);
  }
  return r.no_unknown_keys();
}

}  // namespace

core::Result<AgentConfig> parse_config(std::string_view text, const std::string& path) {
  auto parsed = platform::config::parse_toml(text, path);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  AgentConfig c;
  c.path = path;
  const fs::path base = fs::path(path).parent_path();
  Reader r(root, "");
  ML_TRY(r.string("state_dir", c.state_dir));
  if (c.state_dir.empty()) return bad("state_dir", "must not be empty");
  ML_TRY(platform::config::read_log_level(r, c.log_level));
  ML_TRY(r.string("vdd_file", c.vdd_file));
  ML_TRY(r.integer("command_window", c.command_window_s, 1, 86400));
  ML_TRY(r.string("time_zone", c.time_zone));
  if (auto zone = platform::load_zone(c.time_zone); !zone) {
    return bad("time_zone", zone.error().message());
  }
  ML_TRY(
      platform::config::required_table(r, "mqtt", "a [mqtt] table with at least host",
                                       [&](Reader& mr) { return parse_mqtt(mr, c.mqtt, base); }));
  if (const toml::table* t = r.table("outbox")) {
    Reader orr(*t, "outbox");
    ML_TRY(orr.integer("max_messages", c.outbox.max_messages, 10, 100000000));
    std::int64_t mb = c.outbox.max_bytes / (1024 * 1024);
    ML_TRY(orr.integer("max_megabytes", mb, 1, 100000));
    c.outbox.max_bytes = mb * 1024 * 1024;
    std::int64_t days = c.outbox.max_age_s / 86400;
    ML_TRY(orr.integer("max_age_days", days, 1, 3650));
    c.outbox.max_age_s = days * 86400;
    std::int64_t keep_days = c.outbox.keep_age_s / 86400;
    ML_TRY(orr.integer("keep_sent_days", keep_days, 0, 365));
    c.outbox.keep_age_s = keep_days * 86400;
    std::int64_t keep_mb = c.outbox.keep_bytes / (1024 * 1024);
    ML_TRY(orr.integer("keep_sent_megabytes", keep_mb, 1, 100000));
    c.outbox.keep_bytes = keep_mb * 1024 * 1024;
    ML_TRY(orr.no_unknown_keys());
  }
  if (const toml::table* t = r.table("network")) {
    Reader nr(*t, "network");
    NetworkSettings& n = c.network;
    for (auto [k, field] : {std::pair{"backend", &n.backend},
                            {"nmcli", &n.nmcli},
                            {"interface", &n.interface},
                            {"station_profile", &n.station_profile},
                            {"ap_interface", &n.ap_interface},
                            {"ap_profile", &n.ap_profile},
                            {"ap_ssid", &n.ap_ssid},
                            {"ap_address", &n.ap_address}}) {
      ML_TRY(nr.string(k, *field));
    }
    std::int64_t seconds = n.timeout.count() / 1000;
    ML_TRY(nr.integer("timeout", seconds, 1, 600));
    n.timeout = std::chrono::seconds(seconds);
    ML_TRY(nr.no_unknown_keys());
  }
  ML_TRY(check_network_settings(c.network));
  if (const toml::table* t = r.table("setup")) {
    Reader sr(*t, "setup");
    ML_TRY(parse_setup(sr, c.setup, base));
  }
  if (const toml::table* t = r.table("homeassistant")) {
    Reader hr(*t, "homeassistant");
    ML_TRY(parse_homeassistant(hr, c.homeassistant, base));
  }
  if (const toml::table* t = r.table("metrics")) {
    Reader mr(*t, "metrics");
    ML_TRY(parse_metrics(mr, c.metrics, base));
  }
  r.table("meter");  // mark as known; read below
  const toml::array* meters = root.get_as<toml::array>("meter");
  if (!meters || meters->empty()) {
    return bad("meter", "at least one [[meter]] is required");
  }
  std::set<std::string> serials;
  std::set<std::string> ports;
  for (std::size_t i = 0; i < meters->size(); ++i) {
    const std::string prefix = "meter[" + std::to_string(i + 1) + "]";
    const toml::table* t = meters->get(i)->as_table();
    if (!t) return bad(prefix, "must be a table ([[meter]])");
    Reader mr(*t, prefix);
    MeterConfig m;
    ML_TRY(parse_meter(mr, m, base, i));
    if (!m.serial.empty() && !serials.insert(m.serial).second) {
      return bad(prefix + ".serial", "\"" + m.serial + "\" is used by two meters");
    }
    const std::string& device = m.port.empty() ? m.pulse.input : m.port;
    if (!ports.insert(device).second) {
      return bad(prefix + (m.port.empty() ? ".input" : ".port"),
                 "\"" + device + "\" is used by two meters");
    }
    c.meters.push_back(std::move(m));
  }
  ML_TRY(r.no_unknown_keys());
  return c;
}

std::vector<std::string> inline_secrets(const AgentConfig& c) {
  std::vector<std::string> out;
  if (c.mqtt.password_inline) out.push_back("mqtt.password");
  if (c.homeassistant.broker.password_inline) out.push_back("homeassistant.password");
  for (std::size_t i = 0; i < c.meters.size(); ++i) {
    const std::string meter = "meter[" + std::to_string(i + 1) + "]";
    if (c.meters[i].key_inline) out.push_back(meter + ".key");
    if (c.meters[i].broker && c.meters[i].broker->password_inline) {
      out.push_back(meter + ".broker.password");
    }
  }
  return out;
}

std::vector<std::string> secret_warnings(const std::string& path, bool world_readable,
                                         const std::vector<std::string>& secrets) {
  if (!world_readable || secrets.empty()) return {};
  std::string names;
  for (const auto& s : secrets)
    names += (names.empty() ? "" : ", ") + s;
  return {path + " is readable by everyone and holds " + names +
          " inline: chmod o-r it (or move the key to key_file, the password to password_file)"};
}

core::Result<AgentConfig> load_config(const std::string& path) {
  auto text = platform::config::read_config_file(path);
  if (!text) return text.error();
  auto c = parse_config(*text, path);
  if (!c) return c;
  std::error_code ec;
  const auto perms = fs::status(path, ec).permissions();
  const bool world_readable = !ec && (perms & fs::perms::others_read) != fs::perms::none;
  c->warnings = secret_warnings(path, world_readable, inline_secrets(*c));
  return c;
}

}  // namespace ml::agent
