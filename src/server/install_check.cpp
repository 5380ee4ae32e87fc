// The offline pieces of `meterlogger-server check` (install_check.hpp).
#include "server/install_check.hpp"

#include <sys/stat.h>

#include <charconv>
#include <cstdio>

namespace ml::server::check {
namespace {

core::Error bad_line(std::size_t n, const std::string& what) {
  return core::make_error(core::Errc::config_invalid,
                          "mosquitto.conf line " + std::to_string(n) + ": " + what);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

bool number(const std::string& text, std::int64_t& out) {
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

std::string octal(unsigned mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", mode & 07777u);
  return buf;
}

}  // namespace

std::string_view level_name(Level level) {
  switch (level) {
    case Level::ok:
      return "ok";
    case Level::warning:
      return "warning";
    case Level::error:
      return "error";
  }
  return "error";
}

std::string format_line(const Line& line) {
  std::string level(level_name(line.level));
  level.resize(8, ' ');
  return level + line.what + ": " + line.text;
}

Line check_secret_file(const std::string& key, const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return {Level::error, key, path + " does not exist or cannot be looked at"};
  }
  if (!S_ISREG(st.st_mode)) return {Level::error, key, path + " is not a regular file"};
  if ((st.st_mode & 0077) != 0) {
    return {
        Level::error, key,
        path + " is open to others (mode " + octal(st.st_mode) + "): run `chmod 600 " + path + "`"};
  }
  return {Level::ok, key, path + " is private (mode " + octal(st.st_mode) + ")"};
}

core::Result<MosquittoConf> parse_mosquitto_conf(std::string_view text) {
  if (text.size() > kMaxConfBytes) {
    return core::make_error(
        core::Errc::config_invalid,
        "mosquitto.conf is larger than " + std::to_string(kMaxConfBytes) + " bytes");
  }
  MosquittoConf conf;
  std::size_t n = 0;
  while (!text.empty()) {
    ++n;
    if (n > kMaxConfLines)
      return bad_line(n, "more than " + std::to_string(kMaxConfLines) + " lines");
    const auto eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.size() > kMaxConfLine) {
      return bad_line(n, "longer than " + std::to_string(kMaxConfLine) + " characters");
    }
    for (const char ch : line) {
      const auto c = static_cast<unsigned char>(ch);
      if ((c < 0x20 && c != '\t' && c != '\r') || c == 0x7F) {
        return bad_line(n, "holds a control character (is it a mosquitto.conf?)");
      }
    }
    line = trim(line);
    if (line.empty() || line.front() == '#') continue;
    const auto space = line.find_first_of(" \t");
    const std::string key(line.substr(0, space));
    const std::string value(space == std::string_view::npos ? "" : trim(line.substr(space)));
    if (value.empty()) return bad_line(n, "`" + key + "` has no value");
    conf.settings[key] = value;
  }
  return conf;
}

std::vector<Line> check_mosquitto_conf(const MosquittoConf& conf, const std::string& file) {
  std::vector<Line> out;
  const auto get = [&](const char* key) -> const std::string* {
    auto it = conf.settings.find(key);
    return it == conf.settings.end() ? nullptr : &it->second;
  };
  const std::string what = "mosquitto.conf";
  const auto in = " in " + file;

  if (const auto* p = get("persistence"); p != nullptr && *p == "true") {
    out.push_back({Level::ok, what, "persistence true"});
  } else {
    out.push_back({Level::error, what,
                   "persistence is not true" + in +
                       ": the server's queued messages are lost when mosquitto restarts; add "
                       "`persistence true`"});
  }
  std::int64_t queued = 1000;  // mosquitto's default
  const auto* q = get("max_queued_messages");
  if (q != nullptr && !number(*q, queued)) {
    out.push_back({Level::error, what, "max_queued_messages \"" + *q + "\" is not a number" + in});
  } else if (queued == 0 || queued >= kMinQueuedMessages) {
    out.push_back({Level::ok, what, "max_queued_messages " + std::to_string(queued)});
  } else {
    out.push_back({Level::error, what,
                   "max_queued_messages " + std::to_string(queued) + (q ? "" : " (the default)") +
                       in +
                       ": mosquitto drops what the server misses beyond that while it is "
                       "away; set `max_queued_messages 0` (and max_queued_bytes)"});
  }
  std::int64_t size = 0;
  const auto* s = get("message_size_limit");
  if (s == nullptr || !number(*s, size) || size <= 0 || size > 262144) {
    out.push_back({Level::warning, what,
                   "message_size_limit is " + (s ? "\"" + *s + "\"" : std::string("not set")) + in +
                       ": set `message_size_limit 65536` so oversize messages are refused "
                       "at the broker"});
  } else {
    out.push_back({Level::ok, what, "message_size_limit " + *s});
  }
  if (const auto* a = get("allow_anonymous"); a != nullptr && *a == "true") {
    out.push_back({Level::warning, what,
                   "allow_anonymous true" + in +
                       ": anyone who reaches the broker may publish and subscribe; set "
                       "`allow_anonymous false` and a password_file"});
  } else {
    out.push_back({Level::ok, what, "allow_anonymous false"});
  }
  if (const auto* p = get("password_file"); p != nullptr) {
    out.push_back({Level::ok, what, "password_file " + *p});
  } else {
    out.push_back(
        {Level::warning, what,
         "no password_file" + in + ": give each device and the server a user (mosquitto_passwd)"});
  }
  return out;
}

}  // namespace ml::server::check
