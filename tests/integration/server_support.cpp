#include "server_support.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "agent_support.hpp"
#include "platform/sqlite/db.hpp"
#include "postgresql/test_cluster.hpp"
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"

namespace ml::test {

std::string server_bin() {
  return ML_SERVER_BIN;
}

bool on_postgresql() {
  const char* b = std::getenv("ML_TEST_POSTGRESQL");
  return b != nullptr && *b != '\0';
}

std::string database_config(const TempDir& dir) {
  if (on_postgresql()) return "[database]\nurl = \"" + test_schema_url(dir.path()) + "\"\n";
  return "[database]\npath = \"" + dir.file("server.db") + "\"\n";
}

std::unique_ptr<server::ServerStore> open_test_store(const TempDir& dir) {
  if (on_postgresql()) return server::PostgresStore::open(test_schema_url(dir.path())).value();
  return server::SqliteStore::open(dir.file("server.db")).value();
}

std::int64_t count_in(server::ServerStore& store, const std::string& sql) {
  if (auto* pg = dynamic_cast<server::PostgresStore*>(&store)) {
    auto r = pg->connection().query(sql);
    if (!r || r->empty()) return -1;
    return r->int64(0, 0);
  }
  auto& db = dynamic_cast<server::SqliteStore&>(store).db();
  auto q = db.prepare(sql);
  if (!q || !q->step().value()) return -1;
  return q->int64(0);
}

bool exec_in(server::ServerStore& store, const std::string& sql) {
  if (auto* pg = dynamic_cast<server::PostgresStore*>(&store)) {
    return pg->connection().exec(sql).ok();
  }
  return dynamic_cast<server::SqliteStore&>(store).db().exec(sql).ok();
}

std::string write_server_config(const TempDir& dir, int broker_port, const std::string& extra,
                                const std::string& mqtt_extra) {
  const std::string path = dir.file("server.toml");
  std::ofstream(path) << "log_level = \"debug\"\n"
                      << database_config(dir)
                      << "[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker_port << "\n"
                      << mqtt_extra << "[http]\nlisten = \"127.0.0.1:8080\"\n"
                      << extra;
  return path;
}

RunResult server_cli(const std::string& config, std::vector<std::string> args) {
  args.insert(args.begin(), server_bin());
  args.insert(args.end(), {"--config", config});
  return run(args);
}

std::vector<nlohmann::json> export_json(const std::string& config, const std::string& serial) {
  return server_json_lines(config, {"export", serial, "--format", "json"});
}

std::vector<nlohmann::json> server_json_lines(const std::string& config,
                                              const std::vector<std::string>& args) {
  auto r = server_cli(config, args);
  EXPECT_EQ(r.status, 0) << r.err;
  std::vector<nlohmann::json> out;
  std::istringstream in(r.out);
  for (std::string line; std::getline(in, line);)
    out.push_back(nlohmann::json::parse(line));
  return out;
}

void add_test_meter(const std::string& config, std::vector<std::string> extra) {
  std::vector<std::string> args{"meters", "add", "6892850", "--kind", "heat", "--key", kTestKey};
  args.insert(args.end(), extra.begin(), extra.end());
  auto r = server_cli(config, args);
  ASSERT_EQ(r.status, 0) << r.err;
}

std::unique_ptr<Process> start_server(const TempDir& dir, const std::string& config,
                                      const std::string& ready) {
  static int n = 0;
  auto p =
      std::make_unique<Process>(std::vector<std::string>{server_bin(), "--config", config, "run"},
                                dir.file("server-" + std::to_string(++n) + ".log"));
  // Not seen in time is a failure of its own: a test waiting for a line that never comes
  // (one the server no longer writes) only seemed slow.
  if (!wait_for_log(*p, ready)) {
    ADD_FAILURE() << "the server did not log \"" << ready << "\" in time\n" << p->log();
  }
  return p;
}

std::vector<std::vector<std::string>> rows(const TempDir& dir, const std::string& sql) {
  std::vector<std::vector<std::string>> out;
  if (on_postgresql()) {
    auto c = platform::postgresql::Connection::open(test_schema_url(dir.path()));
    if (!c) return out;
    auto r = c->query(sql);
    if (!r) return out;
    const int columns = r->columns();
    for (int i = 0; i < r->size(); ++i) {
      auto& row = out.emplace_back();
      for (int j = 0; j < columns; ++j)
        row.push_back(r->text(i, j));
    }
    return out;
  }
  auto db = platform::sqlite::Db::open(dir.file("server.db"));
  if (!db) return out;
  auto q = db->prepare(sql);
  if (!q) return out;
  while (true) {
    auto row = q->step();
    if (!row || !*row) break;
    auto& r = out.emplace_back();
    for (int j = 0; j < q->columns(); ++j)
      r.push_back(q->is_null(j) ? "" : q->text(j));
  }
  return out;
}

bool exec(const TempDir& dir, const std::string& sql) {
  if (on_postgresql()) {
    auto c = platform::postgresql::Connection::open(test_schema_url(dir.path()));
    return c && c->exec(sql).ok();
  }
  auto db = platform::sqlite::Db::open(dir.file("server.db"));
  return db && db->exec(sql).ok();
}

std::int64_t count(const TempDir& dir, const std::string& sql) {
  const auto r = rows(dir, sql);
  if (r.empty() || r[0].empty()) return -1;
  return std::strtoll(r[0][0].c_str(), nullptr, 10);  // NULL reads 0, as SQLite's int64 does
}

bool wait_count(const TempDir& dir, const std::string& sql, std::int64_t n,
                std::chrono::milliseconds timeout) {
  return wait_until([&] { return count(dir, sql) >= n; }, timeout, std::chrono::milliseconds(100));
}

}  // namespace ml::test
