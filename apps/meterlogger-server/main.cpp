// meterlogger-server: the server side of MeterLogger. `run` ingests device messages into the
// database (`ingest --from` the same from a capture file); `serve` answers the API and dashboard;
// `meters` administers the meter registry; `users` the dashboard's users; `export` prints stored
// samples; `estimate` the time-left estimates; `alarms` the alarm rules; `notify` the notification
// channels; `import mlw` brings a MeterLoggerWeb database over. Each group of subcommands is a
// cmd_*.cpp; they call the use cases of src/server/usecases/, as the HTTP API does.
#include <array>
#include <iostream>
#include <string_view>

#include "common.hpp"

namespace ml::server_app {
namespace {

// Every subcommand and how it uses the database (common.hpp, StoreAccess): a read-only command
// never creates, migrates or changes the database. A subcommand that shows or changes (`alarms
// zone`, `meters contact`, `users contact`) is writing. main refuses to start when a subcommand
// is missing here, so a new one must be classified.
struct CommandAccess {
  std::string_view command;  // the words after meterlogger-server
  StoreAccess access;
};
constexpr StoreAccess kRead = StoreAccess::read_only;
constexpr StoreAccess kWrite = StoreAccess::writing;
inline constexpr std::array<CommandAccess, 65> kCommandAccess{{
    {"run", kWrite},
    {"ingest", kWrite},  // a capture file, stored as `run` stores what the broker delivers
    {"migrate", kWrite},
    {"db copy", kRead},  // reads the configured database; creates and migrates --to only
    {"db pack", kWrite},
    {"meters add", kWrite},
    {"meters import", kWrite},  // --dry-run too: it reads the registry, as a writer opens it
    {"meters set", kWrite},
    {"meters list", kRead},
    {"meters show", kRead},
    {"meters unknown", kRead},
    {"meters remove", kWrite},
    {"meters contact", kWrite},
    {"meters login", kRead},  // the login lives in the broker, the meter must be registered
    {"meters rekey", kWrite},
    {"send", kWrite},
    {"pay", kWrite},
    {"payments list", kRead},
    {"payments correct", kWrite},
    {"payments void", kWrite},
    {"payments audit", kRead},
    {"serve", kWrite},  // logins, sessions, payments and commands entered in the dashboard
    {"users add", kWrite},
    {"users passwd", kWrite},
    {"users set", kWrite},
    {"users remove", kWrite},
    {"users unlock", kWrite},
    {"users list", kRead},
    {"users contact", kWrite},
    {"users totp enable", kWrite},
    {"users totp confirm", kWrite},
    {"users totp disable", kWrite},
    {"residents invite", kWrite},
    {"residents list", kRead},
    {"residents remove", kWrite},
    {"residents export", kRead},
    {"degree-days import", kWrite},
    {"degree-days list", kRead},
    {"poster", kRead},
    {"audit", kRead},
    {"export", kRead},
    {"estimate show", kRead},
    {"estimate backtest", kRead},
    {"alarms rules", kRead},
    {"alarms add", kWrite},
    {"alarms edit", kWrite},
    {"alarms remove", kWrite},
    {"alarms enable", kWrite},
    {"alarms disable", kWrite},
    {"alarms templates", kRead},
    {"alarms apply", kWrite},
    {"alarms list", kRead},
    {"alarms ack", kWrite},
    {"alarms snooze", kWrite},
    {"alarms history", kRead},
    {"alarms zone", kWrite},
    {"alarms test", kRead},
    {"notify channels", kRead},
    {"notify test", kWrite},
    {"notify log", kRead},
    {"notify retry", kWrite},
    {"import mlw", kWrite},
    {"check", kRead},         // reads the database itself, never creates nor migrates it
    {"broker setup", kRead},  // the broker only
    {"broker sync", kRead},   // the meters against the broker's logins
}};

const CommandAccess* access_of(std::string_view command) {
  for (const auto& row : kCommandAccess)
    if (row.command == command) return &row;
  return nullptr;
}

// The leaves under `app` ("meters list"), for the check that each is in kCommandAccess.
void leaves(const CLI::App& app, const std::string& prefix, std::vector<std::string>& out) {
  const auto subs = app.get_subcommands([](const CLI::App*) { return true; });
  if (subs.empty() && !prefix.empty()) out.push_back(prefix);
  for (const CLI::App* sub : subs)
    leaves(*sub, prefix.empty() ? sub->get_name() : prefix + " " + sub->get_name(), out);
}

// The subcommand chosen on the command line, e.g. "meters list".
std::string chosen(const CLI::App& app) {
  std::string path;
  for (const CLI::App* at = &app;;) {
    const auto subs = at->get_subcommands();
    if (subs.empty()) break;
    at = subs.front();
    path += (path.empty() ? "" : " ") + at->get_name();
  }
  return path;
}

}  // namespace
}  // namespace ml::server_app

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
      "  meterlogger-server ingest --from capture.txt\n"
      "  meterlogger-server users add anna --role admin --groups Loppen\n"
      "  meterlogger-server residents invite 6892850 --email anna@example.org\n"
      "  meterlogger-server meters add 6892850 --kind heat --generate-key --name \"Loppen 12\"\n"
      "  meterlogger-server meters list\n"
      "  meterlogger-server send 6892850 status --wait\n"
      "  meterlogger-server pay 6892850 --amount 500 --price 0.85\n"
      "  meterlogger-server export 6892850 --from 2026-11-01 --format json\n"
      "  meterlogger-server estimate show 6892850\n"
      "  meterlogger-server alarms apply offline --group Loppen\n"
      "  meterlogger-server notify test mail --to anna@example.org\n"
      "  meterlogger-server import mlw --dump nabovarme.sql\n"
      "  meterlogger-server db copy --to postgresql://meterlogger@db.example/meterlogger\n"
      "  meterlogger-server check --mosquitto-conf /etc/mosquitto/conf.d/meterlogger.conf\n"
      "Read-only commands (list, show, log, history, export, check, ...) never create or\n"
      "migrate the database; `migrate` and the writing commands do.\n"
      "See packaging/server.toml, docs/server.md and docs/api.md.",
      "meterlogger-server"};
  app.set_version_flag("--version", std::string("meterlogger-server ") + ML_VERSION);
  app.require_subcommand(1);
  // --config before or after the subcommand: `meterlogger-server run --config F` as well.
  app.fallthrough();
  std::string config = "/etc/meterlogger/server.toml";
  app.add_option("--config", config, "the TOML configuration file")->capture_default_str();

  add_run_command(app, config);
  add_ingest_command(app, config);
  add_meter_commands(app, config);
  add_send_command(app, config);
  add_payment_commands(app, config);
  add_serve_command(app, config);
  add_user_commands(app, config);
  add_resident_commands(app, config);
  add_weather_commands(app, config);
  add_audit_command(app, config);
  add_export_command(app, config);
  add_estimate_commands(app, config);
  add_alarm_commands(app, config);
  add_notify_commands(app, config);
  add_migrate_command(app, config);
  add_db_commands(app, config);
  add_import_commands(app, config);
  add_check_command(app, config);
  add_broker_commands(app, config);

  std::vector<std::string> commands;
  leaves(app, "", commands);
  for (const auto& c : commands) {
    if (access_of(c) == nullptr) {
      std::cerr << "meterlogger-server: internal: `" << c << "` is not in kCommandAccess\n";
      return 2;
    }
  }
  if (commands.size() != kCommandAccess.size()) {
    std::cerr << "meterlogger-server: internal: kCommandAccess names a subcommand that is not "
                 "there\n";
    return 2;
  }
  // Runs after the command line is parsed and before the subcommand's own callback.
  app.parse_complete_callback([&app] {
    const auto* row = access_of(chosen(app));
    set_store_access(row != nullptr ? row->access : StoreAccess::read_only);
  });

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
