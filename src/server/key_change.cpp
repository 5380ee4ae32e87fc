#include "server/key_change.hpp"

#include "core/bytes.hpp"
#include "core/envelope/envelope.hpp"
#include "platform/crypto/random.hpp"
#include "server/command_queue.hpp"
#include "server/commands.hpp"

namespace ml::server {
namespace {

constexpr const char* kSetKey = "set_key";

}  // namespace

core::Result<KeyChangeStarted> start_key_change(ServerStore& store, const std::string& serial,
                                                const std::string& actor, const std::string& remote,
                                                std::int64_t now) {
  KeyChangeStarted started;
  std::string next;
  auto done = store.write_transaction([&]() -> core::Status {
    auto m = store.meter(serial);
    if (!m) return m.error();
    if (!*m) return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
    auto obeys = obeys_extensions(store, serial);
    if (!obeys) return obeys.error();
    if (!*obeys) {
      return core::make_error(
          core::Errc::invalid_argument,
          "meter " + serial +
              " has not reported this project's agent as its version (`meters show`: "
              "diagnostics.version): the original firmware ignores set_key, so its key is changed "
              "on the device and then with `meters set --key`");
    }
    next = (*m)->next_key_hex;
    started.resumed = !next.empty();
    started.since = (*m)->next_key_since;
    if (next.empty()) {
      auto bytes = platform::random_bytes(core::envelope::kMasterKeySize);
      if (!bytes) return bytes.error();
      next = core::to_hex(*bytes);
      started.since = now;
      ML_TRY(store.set_next_key(serial, next, now));
    }
    auto pending = store.pending_commands(serial);
    if (!pending) return pending.error();
    for (const Command& c : *pending) {
      if (c.command == kSetKey && c.argument == next) started.command = c.id;
    }
    if (started.command == 0) {
      // Never expires: until the device has the key, the server keeps asking.
      auto id = enqueue_command(store, serial, kSetKey, next, now, 0);
      if (!id) return id.error();
      started.command = *id;
    }
    return store.audit_admin({0, now, actor, remote, "meter.key_change", serial,
                              started.resumed
                                  ? "resumed, set_key #" + std::to_string(started.command)
                                  : "started, set_key #" + std::to_string(started.command)});
  });
  if (!done) return done.error();
  return started;
}

core::Result<bool> finish_key_change(ServerStore& store, const std::string& serial,
                                     const std::string& next_key_hex, std::int64_t now) {
  bool promoted = false;
  auto done = store.write_transaction([&]() -> core::Status {
    auto p = store.promote_next_key(serial, next_key_hex);
    if (!p) return p.error();
    promoted = *p;
    if (!promoted) return core::Ok{};
    return store.audit_admin({0, now, "server", "ingest", "meter.key_change", serial,
                              "finished: the device sealed a message with the new key; the old "
                              "key is retired"});
  });
  if (!done) return done.error();
  return promoted;
}

}  // namespace ml::server
