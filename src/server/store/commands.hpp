// The queue of commands to devices: a focused part of the server's store (server/store.hpp).
// The command record and what confirms it are in server/commands.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/commands.hpp"

namespace ml::server {

class CommandStore {
 public:
  virtual ~CommandStore() = default;
  // Queues a command (state queued, sent at once). A new open_until supersedes the meter's
  // older open_until that no reply has confirmed yet. Returns the id.
  virtual core::Result<std::int64_t> enqueue_command(const std::string& serial,
                                                     const std::string& command,
                                                     const std::string& argument, std::int64_t now,
                                                     std::int64_t expires) = 0;
  // Marks commands past their expiry, then returns those due (queued or sent, next_send <= now).
  virtual core::Result<std::vector<Command>> due_commands(std::int64_t now, int limit) = 0;
  virtual core::Status mark_sent(std::int64_t id, std::int64_t now, std::int64_t next_send) = 0;
  // Applies a reply sealed at `reply_time` (its topic time) and received at `now`: every sent
  // command of the meter it confirms (commands.hpp, confirms) becomes acked with the reply.
  // Returns their ids.
  virtual core::Result<std::vector<std::int64_t>> acknowledge(const std::string& serial,
                                                              const std::string& function,
                                                              const std::string& text,
                                                              std::int64_t reply_time,
                                                              std::int64_t now) = 0;
  virtual core::Result<std::optional<Command>> command(std::int64_t id) = 0;
  virtual core::Result<std::vector<Command>> commands(const std::string& serial) = 0;
  // Whether the same command and argument waits for the meter already (queued or sent).
  virtual core::Result<bool> command_pending(const std::string& serial, const std::string& command,
                                             const std::string& argument) = 0;
};

}  // namespace ml::server
