// The queue of commands to devices: a focused part of the server's store (server/store.hpp). A
// backend only persists commands and reads them back; the queue's rules (superseding, expiring,
// masking a secret, sending, confirming) are backend-neutral, in server/command_queue.hpp. The
// command record and its states are in server/commands.hpp.
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
  // Stores a new command with every field as given (its id is ignored); returns the new id.
  virtual core::Result<std::int64_t> insert_command(const Command& command) = 0;
  // Writes what may change of the stored command `command.id`: state, argument, next_send,
  // sent_count, first_sent, last_sent, reply and reply_time. Errc::invalid_argument when there
  // is no such command.
  virtual core::Status update_command(const Command& command) = 0;
  virtual core::Result<std::optional<Command>> command(std::int64_t id) = 0;
  // A meter's commands, oldest (lowest id) first.
  virtual core::Result<std::vector<Command>> commands(const std::string& serial) = 0;
  // A meter's pending (queued or sent) commands, oldest first.
  virtual core::Result<std::vector<Command>> pending_commands(const std::string& serial) = 0;
  // The pending commands with next_send <= now, by next_send then id, at most `limit`.
  virtual core::Result<std::vector<Command>> commands_due(std::int64_t now, int limit) = 0;
  // The pending commands that expire (expires > 0) at or before `now`, oldest first.
  virtual core::Result<std::vector<Command>> commands_expiring(std::int64_t now) = 0;
  // Every meter's commands still waiting for their reply (state sent: not confirmed, not
  // superseded, not expired) first sent at or before `sent_before`, oldest first, at most
  // `limit`: one read for the whole fleet.
  virtual core::Result<std::vector<Command>> unanswered_commands(std::int64_t sent_before,
                                                                 int limit) = 0;
};

}  // namespace ml::server
