// meterlogger agent: the daemon that replaces the MeterLogger firmware on a Linux gateway.
#include <termios.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <iostream>

#include "agent/agent.hpp"
#include "agent/setup_page.hpp"
#include "common.hpp"

namespace ml::app {
namespace {

struct AgentOptions {
  std::string config = "/etc/meterlogger/agent.toml";
  bool check = false;
  bool hash_password = false;
  std::string module;  // for --hash-password
};

// One line from standard input; without echo when it is a terminal.
std::string read_password() {
  const bool tty = ::isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty) {
    std::cerr << "Password for the setup page: " << std::flush;
    ::tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string password;
  std::getline(std::cin, password);
  if (tty) {
    ::tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

void print_password_hash(const AgentOptions& o) {
  auto module = agent::load_setup_page_module(o.module);
  if (!module) fail(module.error().detail);
  const std::string password = read_password();
  if (password.size() < 8) fail("the password must be at least 8 characters");
  std::string hash;
  if (!module->hash_password(password, &hash)) fail(hash);
  std::cout << hash << "\n";
}

void run_agent(const AgentOptions& o, const std::vector<std::string>& argv) {
  if (o.hash_password) return print_password_hash(o);
  auto config = agent::load_config(o.config);
  if (!config) fail(config.error().detail);
  if (o.check) {
    for (const auto& w : config->warnings)
      std::cerr << "meterlogger: warning: " << w << "\n";
    std::cout << o.config << ": ok, " << config->meters.size() << " meter(s)\n";
    return;
  }
  asio::io_context io(1);
  agent::Agent a(io, std::move(config).value(), argv);
  if (auto s = a.start(); !s) fail(s.error().text());
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
      "  meterlogger agent --hash-password > setup.hash     # for [setup] password_hash_file\n"
      "See packaging/agent.toml for every setting, and docs/agent.md (the setup page:\n"
      "docs/setup-page.md).");
  cmd->add_option("--config", o->config, "the TOML configuration file")->capture_default_str();
  cmd->add_flag("--check", o->check, "validate the configuration and exit");
  cmd->add_flag("--hash-password", o->hash_password,
                "read a password from standard input, print its Argon2id hash for [setup] "
                "password_hash, and exit");
  cmd->add_option("--setup-module", o->module,
                  "the setup page module for --hash-password (default: found beside the program)");
  cmd->callback([o, args] { run_agent(*o, *args); });
}

}  // namespace ml::app
