// Helpers shared by the meterlogger-server subcommands: failure, time, the configuration and the
// store, serial options, the acting user. Each cmd_*.cpp adds one group of subcommands; they
// call the use cases of src/server/usecases/ and print what those return.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>

#include "core/result.hpp"
#include "server/config.hpp"
#include "server/store.hpp"
#include "server/usecases/users.hpp"

#ifndef ML_VERSION
#define ML_VERSION "dev"
#endif

namespace ml::server_app {

// Thrown by a subcommand to stop with "meterlogger-server: <message>" on stderr and the status;
// caught in main.
struct Failure {
  std::string message;
  int status = 1;
};
[[noreturn]] void fail(const std::string& message, int status = 1);

// The value, or a Failure with the error's text.
template <class T>
T ok(core::Result<T> r) {
  if (!r) fail(r.error().text());
  return std::move(r).value();
}
void ok(const core::Status& s);

std::int64_t unix_now();
// "YYYY-MM-DDTHH:MM:SSZ"; "never" for 0.
std::string utc(std::int64_t t);
// Unix seconds, or a UTC date "YYYY-MM-DD" or time "YYYY-MM-DDTHH:MM:SSZ"; fails naming
// `option`.
std::int64_t parse_time(const std::string& text, const char* option);

server::ServerConfig config_from(const std::string& path);

// How a subcommand uses the database (main.cpp, kCommandAccess: every subcommand is in it).
// A writing command creates a missing database (0600, folders 0700) and migrates it; a read-only
// command opens an existing one read-only and never creates nor migrates it (docs/server.md,
// "Read-only commands").
enum class StoreAccess : std::uint8_t { read_only, writing };
// Set by main before the chosen subcommand runs; try_open_store opens accordingly.
void set_store_access(StoreAccess access);
StoreAccess store_access();

// The configured store: the one place that picks a backend ([database]); try_open_store returns
// the error, open_store exits with it.
core::Result<std::unique_ptr<server::ServerStore>> try_open_store(const server::ServerConfig& c);
std::unique_ptr<server::ServerStore> open_store(const server::ServerConfig& c);
// The schema version this program brings the configured database to, and the version the
// database has (an error when it cannot be read, e.g. a missing SQLite file).
std::int64_t latest_schema_version(const server::ServerConfig& c);
core::Result<std::int64_t> schema_version_of(const server::ServerConfig& c);

// Serials compare as numbers: "40" and "0000040" name the same meter (core::topic::Serial).
CLI::Option* as_serial(CLI::Option* option);

// Who runs the command: `given`, else $SUDO_USER, else $USER.
std::string actor_of(const std::string& given);
// The acting user of a command-line change in the admin audit log (remote "cli").
server::usecase::Actor cli_actor();

// Subcommand groups in the order --help lists them, one per cmd_*.cpp. `config` is the
// --config option's value, read when a subcommand runs.
// The file at `path` ("-": standard input), at most max + 1 bytes of it (so a parser given the
// limit `max` sees that it is too long); exits naming the file when it cannot be read.
std::string read_input(const std::string& path, std::size_t max);

// The first line of a password file (trailing CR and spaces dropped); exits naming `option` when
// the file cannot be read.
std::string read_password_file(const std::string& path, const std::string& option);

void add_run_command(CLI::App& app, const std::string& config);
// `ingest --from FILE`: captured messages through run's pipeline (cmd_ingest.cpp).
void add_ingest_command(CLI::App& app, const std::string& config);
void add_broker_commands(CLI::App& app, const std::string& config);
void add_meter_commands(CLI::App& app, const std::string& config);
void add_send_command(CLI::App& app, const std::string& config);
void add_payment_commands(CLI::App& app, const std::string& config);
void add_serve_command(CLI::App& app, const std::string& config);
void add_user_commands(CLI::App& app, const std::string& config);
void add_audit_command(CLI::App& app, const std::string& config);
// `residents invite|list|remove` and `poster` (cmd_residents.cpp).
void add_resident_commands(CLI::App& app, const std::string& config);
void add_weather_commands(CLI::App& app, const std::string& config);
void add_export_command(CLI::App& app, const std::string& config);
void add_estimate_commands(CLI::App& app, const std::string& config);
void add_alarm_commands(CLI::App& app, const std::string& config);
// After add_meter_commands and add_user_commands: also adds `meters contact`, `users contact`.
void add_notify_commands(CLI::App& app, const std::string& config);
// `migrate` (brings the database to this version's schema) and `check` (the installation).
void add_migrate_command(CLI::App& app, const std::string& config);
// `db copy`: the whole installation to another database (SQLite <-> PostgreSQL).
void add_db_commands(CLI::App& app, const std::string& config);
void add_import_commands(CLI::App& app, const std::string& config);
void add_check_command(CLI::App& app, const std::string& config);

}  // namespace ml::server_app
