// The pieces of `meterlogger-server check` that need no database nor network (docs/install.md,
// "Check your installation"): a check's outcome line, the mode check of a secret file, and the
// mosquitto.conf the server needs: the recommended lines, a bounded parser of mosquitto's simple
// `key value` lines, and the check of the settings that matter to the server.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server::check {

enum class Level : std::uint8_t { ok, warning, error };
std::string_view level_name(Level level);  // "ok", "warning", "error"

// One line of the report: "<level>  <what>: <text>".
struct Line {
  Level level;
  std::string what;  // e.g. "config", "database", "broker"
  std::string text;  // what was found and, unless ok, what to do
};
std::string format_line(const Line& line);

// A key or password file: must exist and be the owner's only (0600 or 0400); anything else
// says the chmod to run. `key` names the setting, e.g. "mqtt.password_file".
Line check_secret_file(const std::string& key, const std::string& path);

// mosquitto.conf lines the server needs (packaging/mosquitto/meterlogger.conf, docs/server.md).
inline constexpr std::string_view kMosquittoLines =
    "persistence true\n"
    "max_queued_messages 0\n"
    "max_queued_bytes 536870912\n"
    "max_inflight_messages 1000\n"
    "message_size_limit 65536\n"
    "allow_anonymous false\n"
    "password_file /etc/mosquitto/meterlogger.passwd\n";
// A max_queued_messages other than 0 (no count limit) should be at least this.
inline constexpr std::int64_t kMinQueuedMessages = 100000;
inline constexpr std::size_t kMaxConfBytes = 1 << 20;
inline constexpr std::size_t kMaxConfLines = 20000;
inline constexpr std::size_t kMaxConfLine = 4096;

// mosquitto.conf: one `key value` per line, # comments, blank lines. The last value of a key
// wins (as in mosquitto for these settings). Rejects (naming the line) binary bytes, an
// over-long file or line, a key without a value for the settings checked.
struct MosquittoConf {
  std::map<std::string, std::string> settings;
};
core::Result<MosquittoConf> parse_mosquitto_conf(std::string_view text);

// The settings that matter to the server, one line each: persistence true,
// max_queued_messages 0 or >= kMinQueuedMessages, message_size_limit set (1..262144),
// allow_anonymous false, password_file set. `file` names the file in the lines.
std::vector<Line> check_mosquitto_conf(const MosquittoConf& conf, const std::string& file);

}  // namespace ml::server::check
