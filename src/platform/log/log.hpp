// One line per event on standard error, with a level. Under systemd (JOURNAL_STREAM set) each
// line starts with the syslog priority prefix ("<6>") so the journal keeps the level; otherwise
// with a UTC timestamp. Never log keys, passwords or payload plaintext.
#pragma once

#include <string_view>

namespace ml::platform::log {

enum class Level : int { debug = 0, info = 1, warning = 2, error = 3 };

void set_level(Level level);
// "debug", "info", "warning", "error"; anything else leaves the level unchanged.
bool set_level(std::string_view name);
bool enabled(Level level);
void write(Level level, std::string_view message);

inline void debug(std::string_view m) {
  write(Level::debug, m);
}
inline void info(std::string_view m) {
  write(Level::info, m);
}
inline void warning(std::string_view m) {
  write(Level::warning, m);
}
inline void error(std::string_view m) {
  write(Level::error, m);
}

}  // namespace ml::platform::log
