// `meterlogger-server run`: ingests device messages into the database, sends the queued
// commands and the queued notifications until stopped (docs/server.md).
#include <signal.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <thread>

#include "common.hpp"
#include "platform/log/log.hpp"
#include "platform/systemd/notify.hpp"
#include "server/ingest.hpp"
#include "server/notify/notifier.hpp"
#include "server/sender.hpp"

namespace ml::server_app {
namespace {

namespace log = platform::log;

void run(const std::string& config_path) {
  const auto config = config_from(config_path);
  log::set_level(config.log_level);
  for (const auto& w : config.warnings)
    log::warning(w);
  auto store = open_store(config);
  asio::io_context io(1);
  server::Ingest ingest(io.get_executor(), *store, config, unix_now);
  server::Sender sender(io.get_executor(), *store, config, unix_now);
  ingest.on_reply([&](const server::DeviceReply& r) { sender.on_reply(r); });
  ok(ingest.start());
  ok(sender.start());
  // The notifier sends over the network and waits for it (up to 30 s a message): on a thread
  // and a store connection of its own, so ingest never waits for a mail server.
  auto notify_store = open_store(config);
  server::notify::Notifier notifier(*notify_store, config.notify, unix_now);
  asio::io_context notify_io(1);
  ok(notifier.start(notify_io.get_executor()));
  std::thread notify_thread([&] { notify_io.run(); });
  auto stop_notifier = [&] {
    notifier.stop();
    notify_io.stop();
    if (notify_thread.joinable()) notify_thread.join();
  };
  asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](const asio::error_code& ec, int) {
    if (ec) return;
    log::info("stopping");
    platform::systemd::notify("STOPPING=1");
    sender.stop();
    ingest.stop();
    notifier.stop();
    notify_io.stop();
  });
  log::info("meterlogger-server " ML_VERSION ": database " + config.database.path + ", broker " +
            config.mqtt.host + ":" + std::to_string(config.mqtt.port));
  platform::systemd::notify("READY=1");
  try {
    io.run();
  } catch (...) {
    stop_notifier();
    throw;
  }
  stop_notifier();
  const auto& c = ingest.counters();
  std::string rejected;
  for (const auto& [reason, n] : c.rejected)
    rejected += " " + reason + "=" + std::to_string(n);
  log::info("stored " + std::to_string(c.stored) + ", duplicates " + std::to_string(c.duplicates) +
            ", last wills ignored " + std::to_string(c.wills_ignored) +
            ", rejected:" + (rejected.empty() ? " none" : rejected) + ", notifications sent " +
            std::to_string(notifier.sent()));
}

}  // namespace

void add_run_command(CLI::App& app, const std::string& config) {
  auto* run_cmd =
      app.add_subcommand("run", "Ingest device messages into the database until stopped");
  run_cmd->footer(
      "Subscribes (QoS 1, persistent session) to samples, replies and last wills; verifies and\n"
      "opens each with its meter's key; stores it; acknowledges it to the broker only once it is\n"
      "stored. Sends the queued commands, and the queued notifications on the channels of\n"
      "[notify]. SIGTERM stops cleanly.\n\n"
      "Example:\n  meterlogger-server --config server.toml run");
  run_cmd->callback([=, &config] { run(config); });
}

}  // namespace ml::server_app
