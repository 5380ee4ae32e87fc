#include "server/commands.hpp"

#include <algorithm>

#include "core/decimal.hpp"
#include "core/topic/topic.hpp"
#include "core/valve/limit.hpp"

namespace ml::server {
namespace {

constexpr std::string_view kCommands[] = {
    "ping",
    "version",
    "crypto",
    "uptime",
    "vdd",
    "rssi",
    "ssid",
    "scan",
    "set_ssid",
    "set_pwd",
    "set_ssid_pwd",
    "reconnect",
    "wifi_status",
    "ap_status",
    "start_ap",
    "stop_ap",
    "mem",
    "reset_reason",
    "set_cron",
    "cron",
    "clear_cron",
    "open",
    "close",
    "status",
    "open_until",
    "open_until_delta",
    "save",
    "set_ap_mesh_pwd",
    "network_quality",
    "disconnect_count",
    "chip_id",
    "flash_id",
    "flash_size",
    "restart",
    "stack_trace",
};

}  // namespace

core::Status check_command(std::string_view command, std::string_view argument) {
  if (std::find(std::begin(kCommands), std::end(kCommands), command) == std::end(kCommands)) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(command) + "\" is not a device command");
  }
  // The device reads arguments into fixed buffers; keep well inside the envelope's limit.
  if (argument.size() > 512) {
    return core::make_error(core::Errc::invalid_argument, "the argument is longer than 512 bytes");
  }
  if (argument.find('\0') != std::string_view::npos) {
    return core::make_error(core::Errc::invalid_argument, "the argument holds a NUL byte");
  }
  if (command == "open_until" || command == "open_until_delta") {
    // What the device accepts (core/valve/limit.hpp); a negative number is sent, and changes
    // nothing there, as on the original.
    auto v = core::valve::parse_amount(argument);
    if (!v && v.error().code != core::Errc::valve_negative) {
      return core::make_error(
          core::Errc::invalid_argument,
          std::string(command) + " needs a number (kWh, or m3 for water): " + v.error().detail);
    }
  }
  return core::Ok{};
}

std::string wire_argument(const Command& c) {
  return c.argument.empty() ? "1" : c.argument;
}

bool confirms(const Command& c, std::string_view function, std::string_view text,
              std::int64_t reply_time) {
  if (c.state != "sent" || c.first_sent == 0) return false;
  if (reply_time < c.first_sent - kReplySkewSeconds) return false;  // older than the command
  if (c.command == "open_until") {
    if (function != "open_until") return false;
    // Read as the device reads the argument; |echo - sent| < 1, as MeterLoggerWeb checks it.
    auto sent = core::valve::parse_amount(c.argument);
    auto echoed = core::Decimal::parse(text);
    if (!sent || !echoed) return false;
    auto gap = core::difference(*sent, *echoed);
    if (!gap) return false;
    gap->negative = false;
    return core::compare(*gap, core::Decimal{false, 1, 0}) < 0;
  }
  if (c.command == "scan") return function == "scan_result";
  if (c.command == "open" || c.command == "close") {
    return function == "status" && text == c.command;
  }
  if (c.command == "start_ap") return function == "ap_status" && text == "started";
  if (c.command == "stop_ap") return function == "ap_status" && text == "stopped";
  if (c.command == "reconnect" || c.command == "restart") return function == "version";
  return function == c.command;
}

std::optional<std::string> follow_up(std::string_view command) {
  if (command == "open" || command == "close") return "status";
  if (command == "start_ap" || command == "stop_ap") return "ap_status";
  return std::nullopt;
}

std::int64_t retry_delay(std::int64_t sent_count, int initial_s, int max_s) {
  std::int64_t d = initial_s;
  for (std::int64_t i = 1; i < sent_count && d < max_s; ++i)
    d *= 2;
  return std::min<std::int64_t>(d, max_s);
}

}  // namespace ml::server
