// meterlogger agent: the daemon that replaces the MeterLogger firmware on a Linux gateway.
#include <asio/io_context.hpp>
#include <iostream>

#include "agent/agent.hpp"
#include "common.hpp"

namespace ml::app {
namespace {

struct AgentOptions {
  std::string config = "/etc/meterlogger/agent.toml";
  bool check = false;
};

void run_agent(const AgentOptions& o, const std::vector<std::string>& argv) {
  auto config = agent::load_config(o.config);
  if (!config) fail(config.error().detail);
  if (o.check) {
    std::cout << o.config << ": ok, " << config->meters.size() << " meter(s)\n";
    return;
  }
  asio::io_context io(1);
  agent::Agent a(io, std::move(config).value(), argv);
  if (auto s = a.start(); !s)
    fail(s.error().detail.empty() ? s.error().message() : s.error().detail);
  const int status = a.run();
  if (status != 0) fail("the agent stopped with an error", status);
}

}  // namespace

void add_agent_commands(CLI::App& app, int argc, char** argv) {
  auto o = std::make_shared<AgentOptions>();
  auto args = std::make_shared<std::vector<std::string>>(argv, argv + argc);
  CLI::App* cmd = app.add_subcommand(
      "agent", "Run the device agent: read the meters, publish v2 samples, obey commands");
  cmd->footer(
      "Each interval the agent reads every configured meter, seals the v2 sample and writes it\n"
      "to a durable outbox (SQLite in state_dir) before publishing; a message leaves the outbox\n"
      "only when the broker has acknowledged it. Commands on /config/v2/<serial>/# are verified,\n"
      "checked against the clock window and a replay memory, and answered as the original\n"
      "firmware does. SIGTERM stops cleanly, SIGHUP reloads the configuration.\n\n"
      "Examples:\n"
      "  meterlogger agent --config /etc/meterlogger/agent.toml\n"
      "  meterlogger agent --config agent.toml --check      # validate the file and exit\n"
      "See packaging/agent.toml for every setting, and docs/agent.md.");
  cmd->add_option("--config", o->config, "the TOML configuration file")->capture_default_str();
  cmd->add_flag("--check", o->check, "validate the configuration and exit");
  cmd->callback([o, args] { run_agent(*o, *args); });
}

}  // namespace ml::app
