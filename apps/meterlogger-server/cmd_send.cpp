// `meterlogger-server send`: queues a command for a meter through the command use case
// (server/usecases/commands.hpp), which the HTTP API shares, and waits for its reply when asked.
#include <chrono>
#include <iostream>
#include <thread>

#include "common.hpp"
#include "core/topic/names.hpp"
#include "server/usecases/commands.hpp"

namespace ml::server_app {
namespace {

namespace usecase = server::usecase;

struct SendArgs {
  std::string serial;
  std::string command;
  std::string argument;
  bool wait = false;
  bool timing = false;
  int timeout = -1;  // seconds; -1: the configured default
};

void send_command(const std::string& config_path, const SendArgs& a) {
  const auto config = config_from(config_path);
  auto store = open_store(config);
  usecase::QueueCommand request{a.serial, a.command, a.argument, std::nullopt,
                                usecase::Spelling::option};
  if (a.timeout >= 0) request.timeout_s = a.timeout;
  const auto queued =
      ok(usecase::queue_command(*store, request, config.commands.default_timeout_s, unix_now()));
  const auto committed = std::chrono::steady_clock::now();
  const auto id = queued.id;
  const auto timeout = queued.timeout_s;
  if (!a.wait) {
    std::cout << "queued command #" << id << ": " << a.command << " to " << a.serial << "\n";
    return;
  }
  // The running server sends it; its reply lands in the queue.
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(timeout == 0 ? 3600 : timeout);
  for (;;) {
    auto c = ok(store->command(id));
    if (!c) fail("command #" + std::to_string(id) + " disappeared", 3);
    if (c->state == server::CommandState::acked) {
      if (a.timing) {
        const std::chrono::duration<double, std::milli> ms =
            std::chrono::steady_clock::now() - committed;
        std::cerr << "command #" << id << ": queued -> reply stored within " << ms.count()
                  << " ms\n";
      }
      const auto* info = core::topic::find_command(a.command);
      std::cout << core::topic::masked_reply(info != nullptr ? info->reply : a.command,
                                             c->reply.value_or(""))
                << "\n";
      return;
    }
    if (c->state == server::CommandState::expired || c->state == server::CommandState::superseded) {
      fail("command #" + std::to_string(id) + " " + std::string(server::state_name(c->state)) +
               " without a reply (sent " + std::to_string(c->sent_count) + " times)",
           3);
    }
    if (std::chrono::steady_clock::now() > deadline) {
      fail("no reply to command #" + std::to_string(id) + " within " + std::to_string(timeout) +
               " s (sent " + std::to_string(c->sent_count) +
               " times; is `meterlogger-server run` running and the meter online?)",
           3);
    }
    // As often as the running server looks for due commands (one read of one row); with
    // --timing every 5 ms, so that the time it prints is that close.
    std::this_thread::sleep_for(std::chrono::milliseconds(a.timing ? 5 : 25));
  }
}

}  // namespace

void add_send_command(CLI::App& app, const std::string& config) {
  auto sa = std::make_shared<SendArgs>();
  auto* send = app.add_subcommand("send", "Queue a command for a meter (and wait for its reply)");
  as_serial(send->add_option("serial", sa->serial, "the meter's serial"))->required();
  send->add_option("command", sa->command,
                   "a device command of the command table (docs/server.md, \"Commands\"): version, "
                   "status, open, ...")
      ->required();
  send->add_option("argument", sa->argument, "its argument; \"1\" is sent when none is given");
  send->add_flag("--wait", sa->wait, "wait for the reply and print it (exit 3 without one)");
  send->add_flag("--timing", sa->timing,
                 "with --wait: print on standard error how long after it was queued the reply "
                 "was seen stored (looked for every 5 ms)");
  send->add_option("--timeout", sa->timeout,
                   "seconds until the command expires (default [commands] default_timeout; 0: "
                   "never)");
  send->footer(
      "The running server (`meterlogger-server run`) seals the command with a fresh time at every\n"
      "send and repeats it (10 s, 20 s, ... at most [commands] retry_max) until a reply confirms "
      "it.\n\n"
      "Examples:\n"
      "  meterlogger-server send 6892850 version --wait\n"
      "  meterlogger-server send 6892850 open_until 12500 --wait --timeout 600\n"
      "  meterlogger-server send 6892850 set_ssid_pwd 'ssid=Loppen&pwd=secret123'");
  send->callback([=, &config] { send_command(config, *sa); });
}

}  // namespace ml::server_app
