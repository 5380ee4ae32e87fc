// `meterlogger-server broker`: the broker's side of per-device logins with mosquitto's dynamic
// security plugin (docs/security.md, "Broker logins"): `setup` once per broker, `sync` to bring
// the broker's device logins in step with the meter registry.
#include <iostream>

#include "common.hpp"
#include "server/broker_control.hpp"

namespace ml::server_app {
namespace {

struct BrokerArgs {
  std::string legacy_password_file;
  bool dry_run = false;
  int timeout_s = 10;
};

server::ServerConfig dynsec_config(const std::string& config_path) {
  auto c = config_from(config_path);
  if (!c.mqtt.dynsec_logins) {
    fail("the broker's logins are not the server's to manage: set [mqtt] logins = \"dynsec\" in " +
         c.path + " (docs/security.md, \"Broker logins\")");
  }
  return c;
}

void broker_setup(const std::string& config_path, const BrokerArgs& a) {
  const auto c = dynsec_config(config_path);
  const std::string legacy =
      a.legacy_password_file.empty()
          ? std::string()
          : read_password_file(a.legacy_password_file, "--legacy-password-file");
  for (const auto& line :
       ok(server::setup_broker(c.mqtt, legacy, std::chrono::seconds(a.timeout_s))))
    std::cout << line << "\n";
}

void broker_sync(const std::string& config_path, const BrokerArgs& a) {
  const auto c = dynsec_config(config_path);
  std::vector<std::string> serials;
  {
    auto store = open_store(c);
    for (const auto& m : ok(store->meters()))
      serials.push_back(m.serial);
  }
  const auto sync =
      ok(server::sync_device_logins(c.mqtt, serials, a.dry_run, std::chrono::seconds(a.timeout_s)));
  std::cout << sync.logins << " device logins on the broker, " << serials.size()
            << " meters registered\n";
  for (const auto& serial : sync.removed) {
    std::cout << (a.dry_run ? "would remove" : "removed") << " the login of " << serial
              << " (no such meter)\n";
  }
}

}  // namespace

void add_broker_commands(CLI::App& app, const std::string& config) {
  auto a = std::make_shared<BrokerArgs>();
  auto* broker = app.add_subcommand(
      "broker", "Per-device broker logins (mosquitto's dynamic security plugin)");
  broker->require_subcommand(1);
  broker->footer(
      "Needs [mqtt] logins = \"dynsec\", the plugin loaded by mosquitto, and [mqtt] username\n"
      "made the plugin's admin (mosquitto_ctrl dynsec init FILE USER). docs/security.md,\n"
      "\"Broker logins\", walks through it.");
  auto* setup = broker->add_subcommand(
      "setup", "Create the server's and the original firmware's roles (once per broker)");
  setup->add_option("--legacy-password-file", a->legacy_password_file,
                    "also (re)create the original firmware's shared login esp8266 with the "
                    "password in this file");
  setup->add_option("--timeout", a->timeout_s, "seconds to wait for the broker (default 10)");
  setup->footer(
      "Example:\n  meterlogger-server broker setup --legacy-password-file "
      "/etc/meterlogger/esp8266.pw");
  setup->callback([=, &config] { broker_setup(config, *a); });
  auto* sync = broker->add_subcommand(
      "sync", "Remove the broker logins of meters that are no longer registered");
  sync->add_flag("--dry-run", a->dry_run, "only say what would be removed");
  sync->add_option("--timeout", a->timeout_s, "seconds to wait for the broker (default 10)");
  sync->footer("Example:\n  meterlogger-server broker sync --dry-run");
  sync->callback([=, &config] { broker_sync(config, *a); });
}

}  // namespace ml::server_app
