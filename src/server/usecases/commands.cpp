// Queuing a device command (commands.hpp).
#include "server/usecases/commands.hpp"

#include "server/command_queue.hpp"
#include "server/commands.hpp"

namespace ml::server::usecase {

core::Result<QueuedCommand> queue_command(ServerStore& store, const QueueCommand& request,
                                          std::int64_t default_timeout_s, std::int64_t now) {
  const std::int64_t timeout = request.timeout_s.value_or(default_timeout_s);
  if (timeout < 0 || timeout > kMaxCommandTimeout) {
    return core::make_error(core::Errc::invalid_argument, field("timeout_s", request.spelling) +
                                                              " must be whole seconds from 0 to " +
                                                              std::to_string(kMaxCommandTimeout));
  }
  ML_TRY(check_command(request.command, request.argument));
  auto meter = store.meter(request.serial);
  if (!meter) return meter.error();
  if (!*meter) return core::make_error(core::Errc::invalid_argument, "no meter " + request.serial);
  auto id = server::enqueue_command(store, request.serial, request.command, request.argument, now,
                                    timeout == 0 ? 0 : now + timeout);
  if (!id) return id.error();
  return QueuedCommand{*id, timeout};
}

}  // namespace ml::server::usecase
