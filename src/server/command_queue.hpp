// The command queue's rules over any backend (docs/server.md, "Commands"): the store
// (store/commands.hpp) only persists commands; what happens to them is decided here, once, for
// every backend. Queuing a command whose row of the command table supersedes
// (core::topic::CommandInfo::supersedes, open_until) replaces the meter's older unconfirmed ones
// of that name; a pending command past its expiry becomes expired; a secret in the argument (a
// Wi-Fi password, core::topic::masked_argument) is masked once the command expires or is
// confirmed, since the device needs it no more; a reply confirms the sent commands it answers
// (commands.hpp, confirms). Each function that writes more than one row is one transaction.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

// Queues a command (state queued, due at once; expires 0: never) and returns its id. A command
// that supersedes makes the meter's older pending ones of the same name superseded.
core::Result<std::int64_t> enqueue_command(ServerStore& store, const std::string& serial,
                                           const std::string& command, const std::string& argument,
                                           std::int64_t now, std::int64_t expires);

// Marks the pending commands past their expiry expired (their secrets masked).
core::Status expire_commands(ServerStore& store, std::int64_t now);
// Marks every pending command of a meter expired (their secrets masked), whatever their expiry:
// a removed meter's commands can never be sealed. Returns how many.
core::Result<int> give_up_commands(ServerStore& store, const std::string& serial);

// Records a send of pending command `id` at `now`: state sent, one more send, next send at
// `next_send` (first_sent kept from the first one). A command no longer pending is left as it is.
core::Status mark_sent(ServerStore& store, std::int64_t id, std::int64_t now,
                       std::int64_t next_send);

// Applies a reply sealed at `reply_time` (its topic time) and received at `now`: every sent
// command of the meter it confirms (commands.hpp, confirms) becomes acked with the reply, its
// secret masked. Returns their ids.
core::Result<std::vector<std::int64_t>> acknowledge(ServerStore& store, const std::string& serial,
                                                    const std::string& function,
                                                    const std::string& text,
                                                    std::int64_t reply_time, std::int64_t now);

// Whether the meter's device obeys the extension commands (resend, set_key): its newest `version`
// reply begins with core::topic::kAgentVersionPrefix. False while it has not reported one.
core::Result<bool> obeys_extensions(ServerStore& store, const std::string& serial);

// Whether the same command and argument waits for the meter already (queued or sent).
core::Result<bool> command_pending(ServerStore& store, const std::string& serial,
                                   const std::string& command, const std::string& argument);

}  // namespace ml::server
