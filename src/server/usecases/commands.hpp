// Queuing a device command, shared by `meterlogger-server send` and the HTTP API
// (POST /api/meters/{serial}/commands; docs/api.md): the command and its argument are checked
// by server::check_command (server/commands.hpp), the running `meterlogger-server run` sends it.
// Who may do it (roles, groups) and the admin audit entry are the API's business.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "server/store.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {

// The longest a command waits for its meter: 30 days.
inline constexpr std::int64_t kMaxCommandTimeout = 30 * 86400;

struct QueueCommand {
  std::string serial;  // canonical
  std::string command;
  std::string argument;                   // "" sends "1"
  std::optional<std::int64_t> timeout_s;  // 0: never expires; none: the configured default
  Spelling spelling = Spelling::json;
};

struct QueuedCommand {
  std::int64_t id = 0;
  std::int64_t timeout_s = 0;  // as applied (0: never expires)
};

// Errc::invalid_argument for a timeout outside 0..kMaxCommandTimeout, a command or argument
// check_command refuses, or "no meter <serial>".
core::Result<QueuedCommand> queue_command(ServerStore& store, const QueueCommand& request,
                                          std::int64_t default_timeout_s, std::int64_t now);

}  // namespace ml::server::usecase
