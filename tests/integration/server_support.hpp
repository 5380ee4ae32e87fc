// Test support for `meterlogger-server`: its configuration, its command line, `run` as a child
// process, and the database read back directly.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "harness.hpp"
#include "server/store.hpp"

namespace ml::test {

std::string server_bin();

// The backend the server's tests run on: SQLite, or PostgreSQL when ML_TEST_POSTGRESQL names a
// test cluster (tests/integration/CMakeLists.txt runs the database-bound cases both ways).
bool on_postgresql();
// The [database] table of a server whose files are in `dir`: path <dir>/server.db, or on
// PostgreSQL the URL of a schema of its own in the test cluster (tests/postgresql/).
std::string database_config(const TempDir& dir);
// The test's store opened directly, as the server opens it (creating and migrating).
std::unique_ptr<server::ServerStore> open_test_store(const TempDir& dir);
// The first column of the first row of `sql` on `store`, or -1.
std::int64_t count_in(server::ServerStore& store, const std::string& sql);
// Runs `sql` (no parameters) on `store`: whether it succeeded.
bool exec_in(server::ServerStore& store, const std::string& sql);

// Writes <dir>/server.toml (database_config(dir), the broker on 127.0.0.1:broker_port, debug
// log; `mqtt_extra`: more [mqtt] lines) followed by `extra` (more tables), and returns its path.
std::string write_server_config(const TempDir& dir, int broker_port, const std::string& extra = "",
                                const std::string& mqtt_extra = "");

// `meterlogger-server ARGS... --config FILE` (the option after the subcommand, as a user types
// it; start_server puts it before).
RunResult server_cli(const std::string& config, std::vector<std::string> args);
// A meter's stored samples, oldest first, as `export SERIAL --format json` prints them.
// The JSON lines `meterlogger-server ARGS` prints (it must exit 0).
std::vector<nlohmann::json> server_json_lines(const std::string& config,
                                              const std::vector<std::string>& args);
std::vector<nlohmann::json> export_json(const std::string& config, const std::string& serial);

// `meters add 6892850 --kind heat --key <the test key> EXTRA...`, which must succeed.
void add_test_meter(const std::string& config, std::vector<std::string> extra = {});

// What `meterlogger-server serve` logs once it listens (cmd_serve.cpp): a test waits for it, not
// for the port to answer, which another process may hold.
inline constexpr const char* kServeListening = "dashboard and API on";

// `meterlogger-server run`, logging to <dir>/server-N.log; returned once `ready` is in its log
// (by default: ingest has connected, so the broker keeps messages for its session from then on),
// or, a test failure, once wait_for_log's time is up.
std::unique_ptr<Process> start_server(const TempDir& dir, const std::string& config,
                                      const std::string& ready = "ingest: connected");

// The first column of the first row of `sql` on the test's database (database_config), or -1.
std::int64_t count(const TempDir& dir, const std::string& sql);

// Every row of `sql` on the test's database, each column as text (NULL as "").
std::vector<std::vector<std::string>> rows(const TempDir& dir, const std::string& sql);
// Runs `sql` (no parameters, no rows) on the test's database: whether it succeeded.
bool exec(const TempDir& dir, const std::string& sql);

// Waits until `sql` counts at least `n`.
bool wait_count(const TempDir& dir, const std::string& sql, std::int64_t n,
                std::chrono::milliseconds timeout = scaled(std::chrono::seconds(30)));

}  // namespace ml::test
