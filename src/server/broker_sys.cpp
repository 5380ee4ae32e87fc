#include "server/broker_sys.hpp"

namespace ml::server::broker_sys {

core::Result<std::int64_t> parse_count(std::string_view text) {
  if (text.empty() || text.size() > 18) {
    return core::make_error(
        core::Errc::invalid_argument,
        "a $SYS count must be 1 to 18 digits, not " + std::to_string(text.size()) + " characters");
  }
  std::int64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return core::make_error(core::Errc::invalid_argument, "a $SYS count holds digits only");
    }
    v = v * 10 + (c - '0');
  }
  return v;
}

std::optional<std::string> dropped_warning(std::optional<std::int64_t> before, std::int64_t now) {
  // A count below the one before: the broker restarted and counts from 0 again.
  const std::int64_t since = before && *before <= now ? *before : 0;
  if (now <= since) return std::nullopt;
  return "broker: mosquitto dropped " + std::to_string(now - since) + " messages" +
         (before ? " more" : "") + " (" + std::to_string(now) +
         " since it started): a client's queue was full, and a message for a server that was "
         "away may be among them; set max_queued_messages 0 and a max_queued_bytes "
         "(docs/mqtt.md, \"Broker configuration\"), and `meterlogger-server check "
         "--mosquitto-conf FILE`";
}

}  // namespace ml::server::broker_sys
