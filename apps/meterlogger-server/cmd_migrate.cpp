// `meterlogger-server migrate`: creates the database when missing and brings it to this
// version's schema, saying from which version to which. Read-only commands never migrate
// (docs/server.md, "Read-only commands"); this is the explicit way after an upgrade.
#include <iostream>

#include "common.hpp"

namespace ml::server_app {
namespace {

void migrate(const std::string& config_path) {
  const auto config = config_from(config_path);
  const auto path = config.database.name();
  const auto latest = latest_schema_version(config);
  std::int64_t before = 0;
  bool existed = true;
  if (auto v = schema_version_of(config); v && *v > 0) {
    before = *v;
  } else {
    existed = false;
  }
  auto store = open_store(config);  // writing: creates and migrates
  if (!existed) {
    std::cout << path << ": created at schema version " << latest << "\n";
  } else if (before == latest) {
    std::cout << path << ": schema version " << latest << ", nothing to do\n";
  } else {
    std::cout << path << ": schema version " << before << " -> " << latest << "\n";
  }
}

}  // namespace

void add_migrate_command(CLI::App& app, const std::string& config) {
  auto* m = app.add_subcommand(
      "migrate", "Create the database when missing and bring it to this version's schema");
  m->footer(
      "`run`, `serve` and every command that changes something migrate too; read-only\n"
      "commands (list, show, log, export, check, ...) refuse a database at an older schema\n"
      "instead (docs/server.md, \"Read-only commands\").\n\n"
      "Example:\n  meterlogger-server migrate --config /etc/meterlogger/server.toml");
  m->callback([&config] { migrate(config); });
}

}  // namespace ml::server_app
