// The command queue's rules over any backend (command_queue.hpp).
#include "server/command_queue.hpp"

#include "core/topic/names.hpp"

namespace ml::server {

core::Result<std::int64_t> enqueue_command(ServerStore& store, const std::string& serial,
                                           const std::string& command, const std::string& argument,
                                           std::int64_t now, std::int64_t expires) {
  std::int64_t id = 0;
  auto done = store.write_transaction([&]() -> core::Status {
    const core::topic::CommandInfo* info = core::topic::find_command(command);
    if (info != nullptr && info->supersedes) {
      auto pending = store.pending_commands(serial);
      if (!pending) return pending.error();
      for (Command& old : *pending) {
        if (old.command != command) continue;
        old.state = CommandState::superseded;
        ML_TRY(store.update_command(old));
      }
    }
    Command c;
    c.serial = serial;
    c.command = command;
    c.argument = argument;
    c.state = CommandState::queued;
    c.created = now;
    c.expires = expires;
    c.next_send = now;
    auto inserted = store.insert_command(c);
    if (!inserted) return inserted.error();
    id = *inserted;
    return core::Ok{};
  });
  if (!done) return done.error();
  return id;
}

core::Status expire_commands(ServerStore& store, std::int64_t now) {
  auto expiring = store.commands_expiring(now);
  if (!expiring) return expiring.error();
  if (expiring->empty()) return core::Ok{};  // the usual case: no write transaction
  return store.write_transaction([&]() -> core::Status {
    for (Command& c : *expiring) {
      c.state = CommandState::expired;
      c.argument = core::topic::masked_argument(c.command, c.argument);
      ML_TRY(store.update_command(c));
    }
    return core::Ok{};
  });
}

core::Result<int> give_up_commands(ServerStore& store, const std::string& serial) {
  auto pending = store.pending_commands(serial);
  if (!pending) return pending.error();
  for (Command& c : *pending) {
    c.state = CommandState::expired;
    c.argument = core::topic::masked_argument(c.command, c.argument);
    ML_TRY(store.update_command(c));
  }
  return static_cast<int>(pending->size());
}

core::Status mark_sent(ServerStore& store, std::int64_t id, std::int64_t now,
                       std::int64_t next_send) {
  return store.write_transaction([&]() -> core::Status {
    auto c = store.command(id);
    if (!c) return c.error();
    if (!*c || !is_pending((*c)->state)) return core::Ok{};
    Command& sent = **c;
    sent.state = CommandState::sent;
    ++sent.sent_count;
    sent.last_sent = now;
    sent.next_send = next_send;
    if (sent.first_sent == 0) sent.first_sent = now;
    return store.update_command(sent);
  });
}

core::Result<std::vector<std::int64_t>> acknowledge(ServerStore& store, const std::string& serial,
                                                    const std::string& function,
                                                    const std::string& text,
                                                    std::int64_t reply_time, std::int64_t now) {
  std::vector<std::int64_t> acked;
  auto done = store.write_transaction([&]() -> core::Status {
    auto pending = store.pending_commands(serial);
    if (!pending) return pending.error();
    for (Command& c : *pending) {
      if (!confirms(c, function, text, reply_time)) continue;
      c.state = CommandState::acked;
      c.reply = text;
      c.reply_time = now;
      c.argument = core::topic::masked_argument(c.command, c.argument);
      ML_TRY(store.update_command(c));
      acked.push_back(c.id);
    }
    return core::Ok{};
  });
  if (!done) return done.error();
  return acked;
}

core::Result<bool> command_pending(ServerStore& store, const std::string& serial,
                                   const std::string& command, const std::string& argument) {
  auto pending = store.pending_commands(serial);
  if (!pending) return pending.error();
  for (const Command& c : *pending)
    if (c.command == command && c.argument == argument) return true;
  return false;
}

core::Result<bool> obeys_extensions(ServerStore& store, const std::string& serial) {
  auto diagnostics = store.diagnostics(serial);
  if (!diagnostics) return diagnostics.error();
  const auto version = diagnostics->find("version");
  return version != diagnostics->end() &&
         version->second.text.rfind(core::topic::kAgentVersionPrefix, 0) == 0;
}

}  // namespace ml::server
