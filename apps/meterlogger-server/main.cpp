// meterlogger-server: the server side of MeterLogger. `run` ingests device messages into the
// database; `serve` answers the API and dashboard; `meters` administers the meter registry;
// `users` the dashboard's users; `export` prints stored samples; `estimate` the time-left
// estimates; `alarms` the alarm rules; `notify` the notification channels. Each group of
// subcommands is a cmd_*.cpp; they call the use cases of src/server/usecases/, as the HTTP API
// does.
#include <iostream>

#include "common.hpp"

int main(int argc, char** argv) {
  using namespace ml::server_app;
  CLI::App app{
      "MeterLogger server: ingests the v2 messages of MeterLogger devices from an MQTT broker "
      "into\n"
      "a database, serves the dashboard and its API, and administers meters, payments and "
      "users.\n\n"
      "Examples:\n"
      "  meterlogger-server run --config /etc/meterlogger/server.toml\n"
      "  meterlogger-server serve --config /etc/meterlogger/server.toml\n"
      "  meterlogger-server users add anna --role admin --groups Loppen\n"
      "  meterlogger-server meters add 6892850 --kind heat --generate-key --name \"Loppen 12\"\n"
      "  meterlogger-server meters list\n"
      "  meterlogger-server send 6892850 status --wait\n"
      "  meterlogger-server pay 6892850 --amount 500 --price 0.85\n"
      "  meterlogger-server export 6892850 --from 2026-11-01 --format json\n"
      "  meterlogger-server estimate show 6892850\n"
      "  meterlogger-server alarms apply offline --group Loppen\n"
      "  meterlogger-server notify test mail --to anna@example.org\n"
      "See packaging/server.toml, docs/server.md and docs/api.md.",
      "meterlogger-server"};
  app.set_version_flag("--version", std::string("meterlogger-server ") + ML_VERSION);
  app.require_subcommand(1);
  // --config before or after the subcommand: `meterlogger-server run --config F` as well.
  app.fallthrough();
  std::string config = "/etc/meterlogger/server.toml";
  app.add_option("--config", config, "the TOML configuration file")->capture_default_str();

  add_run_command(app, config);
  add_meter_commands(app, config);
  add_send_command(app, config);
  add_payment_commands(app, config);
  add_serve_command(app, config);
  add_user_commands(app, config);
  add_audit_command(app, config);
  add_export_command(app, config);
  add_estimate_commands(app, config);
  add_alarm_commands(app, config);
  add_notify_commands(app, config);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const Failure& f) {
    std::cerr << "meterlogger-server: " << f.message << '\n';
    return f.status;
  }
  return 0;
}
