#include "setup_page/page.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ml::setup_page {

// ---- sessions ----

std::string Sessions::open(Clock::time_point now) {
  std::string token = random_token();
  std::lock_guard lock(mutex_);
  for (auto it = sessions_.begin(); it != sessions_.end();) {  // expired ones first
    it = it->second.expires <= now ? sessions_.erase(it) : std::next(it);
  }
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(), [](auto& a, auto& b) {
      return a.second.expires < b.second.expires;
    });
    sessions_.erase(oldest);
  }
  sessions_[token] = Entry{Session{random_token(), "", false}, now + lifetime_};
  return token;
}

std::optional<Sessions::Session> Sessions::touch(const std::string& token, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return std::nullopt;
  if (it->second.expires <= now) {
    sessions_.erase(it);
    return std::nullopt;
  }
  it->second.expires = now + lifetime_;
  return it->second.session;
}

void Sessions::set_message(const std::string& token, std::string message, bool error) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(token); it != sessions_.end()) {
    it->second.session.message = std::move(message);
    it->second.session.message_is_error = error;
  }
}

std::pair<std::string, bool> Sessions::take_message(const std::string& token) {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(token);
  if (it == sessions_.end()) return {"", false};
  std::pair<std::string, bool> out{std::move(it->second.session.message),
                                   it->second.session.message_is_error};
  it->second.session.message.clear();
  return out;
}

void Sessions::close(const std::string& token) {
  std::lock_guard lock(mutex_);
  sessions_.erase(token);
}

std::size_t Sessions::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

std::string random_token() {
  unsigned char bytes[32];
  randombytes_buf(bytes, sizeof bytes);
  char hex[2 * sizeof bytes + 1];
  sodium_bin2hex(hex, sizeof hex, bytes, sizeof bytes);
  return hex;
}

// ---- text ----

namespace {

constexpr std::string_view kStyle = R"(<style>
body{font-family:system-ui,sans-serif;margin:1.5em auto;max-width:46em;padding:0 1em;color:#222}
h1{font-size:1.4em} h2{font-size:1.15em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse} td,th{text-align:left;padding:.15em 1em .15em 0;vertical-align:top}
form{margin:.6em 0;padding:.6em;background:#f4f4f4} label{display:inline-block;min-width:11em}
input{margin:.2em 0} .ok{color:#075} .error{color:#b00;font-weight:bold}
#message{padding:.5em;border:1px solid currentColor}
</style>)";

std::string page(std::string_view title, const std::string& body) {
  std::string out =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
      "<title>";
  out += html_escape(title);
  out += "</title>";
  out += kStyle;
  out += "</head><body>";
  out += body;
  out += "</body></html>";
  return out;
}

std::string row(std::string_view label, const std::string& value, std::string_view id = "") {
  std::string out = "<tr><th>" + html_escape(label) + "</th><td";
  if (!id.empty()) out += " id=\"" + std::string(id) + "\"";
  return out + ">" + html_escape(value) + "</td></tr>";
}

std::string utc_time(std::int64_t t) {
  if (t <= 0) return "none yet";
  const std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::string hidden_csrf(const std::string& csrf) {
  return "<input type=\"hidden\" name=\"csrf\" value=\"" + html_escape(csrf) + "\">";
}

std::string meter_section(const MeterStatus& m, std::size_t index, const std::string& csrf) {
  const std::string id = "meter-" + std::to_string(index);
  std::string out = "<section id=\"" + id + "\"><h2>" + html_escape(m.name) + " (" +
                    html_escape(m.protocol) + ", serial " +
                    html_escape(m.serial.empty() ? "not yet known" : m.serial) + ")</h2><table>";
  out += row("Last reading", utc_time(m.reading_time), id + "-time");
  for (const auto& [key, value] : m.values)
    out += row(key, value, id + "-" + key);
  if (!m.pulse) {  // a pulse input has no frames
    out += row("Frames ok", std::to_string(m.frames_ok), id + "-frames-ok");
    out += row("CRC errors", std::to_string(m.crc_errors), id + "-crc-errors");
    out += row("Timeouts", std::to_string(m.timeouts), id + "-timeouts");
  }
  out += row("Failed reads", std::to_string(m.reads_failed));
  out += row("MQTT", m.mqtt_connected ? "connected" : "not connected", id + "-mqtt");
  out += row("Outbox", std::to_string(m.outbox_depth) + " message(s) waiting", id + "-outbox");
  if (m.has_valve) {
    out += row("Valve", m.valve_state, id + "-valve");
    out += row("Limit", m.valve_limit.empty() ? "none" : m.valve_limit, id + "-limit");
    std::string jobs;
    for (const auto& j : m.cron_jobs)
      jobs += (jobs.empty() ? "" : "; ") + j;
    out += row("Cron jobs", jobs.empty() ? "none" : jobs, id + "-cron");
  }
  if (m.pulse) {
    out += row("Base reading", m.pulse_base, id + "-base");
    out += row("Impulses per unit", std::to_string(m.pulse_per_unit), id + "-per-unit");
  }
  out += "</table>";
  if (m.pulse) {
    out += "<form method=\"post\" action=\"/pulse\" id=\"" + id + "-pulse-form\">" +
           hidden_csrf(csrf) + "<input type=\"hidden\" name=\"meter\" value=\"" +
           html_escape(m.name) +
           "\">"
           "<label for=\"" +
           id +
           "-base-input\">Base reading</label> "
           "<input id=\"" +
           id + "-base-input\" name=\"base\" required value=\"" + html_escape(m.pulse_base) +
           "\"><br>"
           "<label for=\"" +
           id +
           "-per-unit-input\">Impulses per kWh (m³)</label> "
           "<input id=\"" +
           id + "-per-unit-input\" name=\"per_unit\" required value=\"" +
           std::to_string(m.pulse_per_unit) +
           "\"><br>"
           "<button type=\"submit\">Save (resets the pulse count)</button></form>";
  }
  return out + "</section>";
}

}  // namespace

std::string render_login(std::string_view error) {
  std::string body = "<h1>MeterLogger setup</h1>";
  if (!error.empty()) body += "<p id=\"message\" class=\"error\">" + html_escape(error) + "</p>";
  body +=
      "<form method=\"post\" action=\"/login\" id=\"login-form\">"
      "<label for=\"password\">Password</label> "
      "<input type=\"password\" id=\"password\" name=\"password\" autofocus required> "
      "<button type=\"submit\">Log in</button></form>";
  return page("MeterLogger setup: log in", body);
}

std::string render_status(const Status& s, const std::string& csrf, const std::string& message,
                          bool message_is_error) {
  std::string body = "<h1>MeterLogger setup</h1>";
  body += "<form method=\"post\" action=\"/logout\" style=\"background:none;padding:0\">" +
          hidden_csrf(csrf) +
          "<a href=\"/\">Refresh</a> <button type=\"submit\">Log out</button>"
          "</form>";
  if (!message.empty()) {
    body += std::string("<p id=\"message\" class=\"") + (message_is_error ? "error" : "ok") +
            "\">" + html_escape(message) + "</p>";
  }
  body += "<table>";
  body += row("Version", s.version, "version");
  body += row("Broker",
              s.broker_host + ":" + std::to_string(s.broker_port) +
                  (s.broker_from_page ? " (set here)" : " (from agent.toml)"),
              "broker");
  body += row("Network backend", s.network_backend, "network-backend");
  body += row("Wi-Fi network", s.wifi_ssid.empty() ? "none set" : s.wifi_ssid, "wifi-ssid");
  body += "</table>";
  for (std::size_t i = 0; i < s.meters.size(); ++i)
    body += meter_section(s.meters[i], i, csrf);

  body += "<h2>Wi-Fi</h2><form method=\"post\" action=\"/wifi\" id=\"wifi-form\">" +
          hidden_csrf(csrf) +
          "<label for=\"ssid\">Network name (SSID)</label> "
          "<input id=\"ssid\" name=\"ssid\" required maxlength=\"32\" value=\"" +
          html_escape(s.wifi_ssid) +
          "\"><br>"
          "<label for=\"wifi-password\">Password</label> "
          "<input id=\"wifi-password\" name=\"password\" type=\"password\" maxlength=\"63\"><br>"
          "<button type=\"submit\">Save and connect</button></form>";
  body += "<h2>MQTT broker</h2><form method=\"post\" action=\"/broker\" id=\"broker-form\">" +
          hidden_csrf(csrf) +
          "<label for=\"broker-host\">Host</label> "
          "<input id=\"broker-host\" name=\"host\" value=\"" +
          html_escape(s.broker_host) +
          "\"> (empty: agent.toml's)<br>"
          "<label for=\"broker-port\">Port</label> "
          "<input id=\"broker-port\" name=\"port\" inputmode=\"numeric\" value=\"" +
          std::to_string(s.broker_port) +
          "\"><br>"
          "<button type=\"submit\">Save and reconnect</button></form>";
  return page("MeterLogger setup", body);
}

std::string status_json(const Status& s) {
  nlohmann::json j;
  j["version"] = s.version;
  j["broker"] = {
      {"host", s.broker_host}, {"port", s.broker_port}, {"set_here", s.broker_from_page}};
  j["network"] = {{"backend", s.network_backend}, {"ssid", s.wifi_ssid}};
  j["meters"] = nlohmann::json::array();
  for (const auto& m : s.meters) {
    nlohmann::json mj = {{"name", m.name},
                         {"serial", m.serial},
                         {"protocol", m.protocol},
                         {"reading_time", m.reading_time},
                         {"frames_ok", m.frames_ok},
                         {"crc_errors", m.crc_errors},
                         {"timeouts", m.timeouts},
                         {"reads_failed", m.reads_failed},
                         {"mqtt_connected", m.mqtt_connected},
                         {"outbox_depth", m.outbox_depth}};
    mj["values"] = nlohmann::json::object();
    for (const auto& [k, v] : m.values)
      mj["values"][k] = v;
    if (m.has_valve) {
      mj["valve"] = {{"state", m.valve_state}, {"limit", m.valve_limit}, {"cron", m.cron_jobs}};
    }
    if (m.pulse) mj["pulse"] = {{"base", m.pulse_base}, {"per_unit", m.pulse_per_unit}};
    j["meters"].push_back(std::move(mj));
  }
  return j.dump();
}

std::string check_broker_form(const std::string& host, const std::string& port) {
  if (host.empty()) return "";  // back to agent.toml's broker
  if (host.size() > 253) return "the host name is longer than 253 characters";
  for (char c : host) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return "the host may hold letters, digits, '.', '-', '_' and ':' only";
  }
  int value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value < 1 ||
      value > 65535) {
    return "the port must be a number from 1 to 65535";
  }
  return "";
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string form_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && hex_digit(text[i + 1]) >= 0 &&
               hex_digit(text[i + 2]) >= 0) {
      out += static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

FormValues parse_form(std::string_view body) {
  FormValues out;
  while (!body.empty()) {
    const auto amp = body.find('&');
    const std::string_view item = body.substr(0, amp);
    const auto eq = item.find('=');
    if (!item.empty()) {
      out.emplace(form_decode(item.substr(0, eq)),
                  eq == std::string_view::npos ? "" : form_decode(item.substr(eq + 1)));
    }
    if (amp == std::string_view::npos) break;
    body.remove_prefix(amp + 1);
  }
  return out;
}

std::string form_value(const FormValues& form, const std::string& name) {
  auto it = form.find(name);
  return it == form.end() ? "" : it->second;
}

}  // namespace ml::setup_page
