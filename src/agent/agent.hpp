// The agent process: the configuration, the store, one Device per configured meter, signals
// (SIGTERM/SIGINT stop cleanly, SIGHUP reloads the configuration), systemd readiness and
// watchdog, and the `restart` command (a graceful re-exec).
#pragma once

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "agent/device.hpp"
#include "agent/store.hpp"

namespace ml::agent {

class Agent {
 public:
  Agent(asio::io_context& io, AgentConfig config, std::vector<std::string> argv);
  ~Agent();

  // Opens the store, records the run, starts every device and tells systemd it is ready.
  core::Status start();
  // Runs the event loop until the agent stops; returns the exit status. Re-executes the
  // program when the `restart` command asked for it.
  int run();

  const std::vector<std::shared_ptr<Device>>& devices() const { return devices_; }

 private:
  core::Status load_time_zone();
  void start_devices();
  void stop_devices();
  void shutdown(RunEnd how);
  void reload();
  void wait_signals();
  void feed_watchdog();

  asio::io_context& io_;
  AgentConfig config_;
  std::vector<std::string> argv_;
  std::optional<Store> store_;
  // Before the context and the devices, which use them: destroyed after them.
  std::unique_ptr<NetworkBackend> network_backend_;
  std::unique_ptr<NetworkCommands> network_;
  std::unique_ptr<DeviceContext> context_;
  std::vector<std::shared_ptr<Device>> devices_;
  asio::signal_set signals_;
  asio::steady_timer watchdog_timer_;
  bool stopping_ = false;
  bool re_exec_ = false;
};

}  // namespace ml::agent
