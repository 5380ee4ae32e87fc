// The command queue's rules (server/commands.hpp), read from the command table.
#include "server/commands.hpp"

#include <algorithm>

#include "core/decimal.hpp"
#include "core/gaps/gaps.hpp"
#include "core/topic/names.hpp"
#include "core/valve/limit.hpp"

namespace ml::server {

std::string_view state_name(CommandState state) {
  for (const auto& row : kCommandStates)
    if (row.state == state) return row.name;
  return "?";
}

std::optional<CommandState> command_state_from_name(std::string_view name) {
  for (const auto& row : kCommandStates)
    if (row.name == name) return row.state;
  return std::nullopt;
}

bool is_pending(CommandState state) {
  for (const auto& row : kCommandStates)
    if (row.state == state) return row.pending;
  return false;
}

core::Status check_command(std::string_view command, std::string_view argument) {
  const core::topic::CommandInfo* info = core::topic::find_command(command);
  if (info == nullptr) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(command) + "\" is not a device command");
  }
  if (!info->operator_may_queue()) {
    return core::make_error(core::Errc::invalid_argument,
                            "\"" + std::string(command) +
                                "\" is sent by the server itself: use `meterlogger-server meters "
                                "rekey SERIAL` (docs/security.md, \"Changing a key\")");
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
  if (command == "resend") {
    if (auto r = core::gaps::parse_resend(argument); !r) return r.error();
  }
  return core::Ok{};
}

std::string wire_argument(const Command& c) {
  return c.argument.empty() ? "1" : c.argument;
}

bool confirms(const Command& c, std::string_view function, std::string_view text,
              std::int64_t reply_time) {
  if (c.state != CommandState::sent || c.first_sent == 0) return false;
  if (reply_time < c.first_sent - kReplySkewSeconds) return false;  // older than the command
  const core::topic::CommandInfo* info = core::topic::find_command(c.command);
  if (info == nullptr || function != info->confirming_function()) return false;
  switch (info->confirmation.match) {
    case core::topic::Match::any:
      return true;
    case core::topic::Match::text:
      return text == info->confirmation.text;
    case core::topic::Match::amount:
      break;
  }
  // Read as the device reads the argument; |echo - sent| < 1, as MeterLoggerWeb checks it.
  auto sent = core::valve::parse_amount(c.argument);
  auto echoed = core::Decimal::parse(text);
  if (!sent || !echoed) return false;
  auto gap = core::difference(*sent, *echoed);
  if (!gap) return false;
  gap->negative = false;
  return core::compare(*gap, core::Decimal{false, 1, 0}) < 0;
}

std::optional<std::string> follow_up(std::string_view command) {
  const std::string_view query = core::topic::follow_up(command);
  if (query.empty()) return std::nullopt;
  return std::string(query);
}

std::int64_t retry_delay(std::int64_t sent_count, int initial_s, int max_s) {
  std::int64_t d = initial_s;
  for (std::int64_t i = 1; i < sent_count && d < max_s; ++i)
    d *= 2;
  return std::min<std::int64_t>(d, max_s);
}

}  // namespace ml::server
