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
#include "setup_page/api.hpp"

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
  friend class AgentSetupBackend;
  // The broker from agent.toml, or the one the setup page stored (which wins until cleared).
  void apply_broker_override();
  // Loads the setup page module and starts the page when [setup] has a password.
  void start_setup_page();
  void stop_setup_page();
  // GET /metrics when agent.toml has [metrics] (through the setup page module's HTTP server).
  void start_metrics();
  void stop_metrics();
  // <state_dir>/setup-page.port: the page's port while it listens (tests pick port 0).
  std::string setup_port_file() const;
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
  std::string file_broker_host_;  // [mqtt] host and port as agent.toml has them
  int file_broker_port_ = 0;
  bool broker_from_page_ = false;
  std::unique_ptr<setup_page::Backend> setup_backend_;
  std::unique_ptr<setup_page::Server> setup_server_;
  std::unique_ptr<setup_page::MetricsSource> metrics_source_;
  std::unique_ptr<setup_page::Server> metrics_server_;
  std::int64_t start_time_ = 0;  // unix seconds, for meterlogger_agent_process_start_time_seconds
  bool stopping_ = false;
  bool re_exec_ = false;
};

}  // namespace ml::agent
