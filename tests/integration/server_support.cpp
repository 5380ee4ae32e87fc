#include "server_support.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "agent_support.hpp"
#include "platform/sqlite/db.hpp"

namespace ml::test {

std::string server_bin() {
  return ML_SERVER_BIN;
}

std::string write_server_config(const TempDir& dir, int broker_port, const std::string& extra,
                                const std::string& mqtt_extra) {
  const std::string path = dir.file("server.toml");
  std::ofstream(path) << "log_level = \"debug\"\n[database]\npath = \"" << dir.file("server.db")
                      << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker_port << "\n"
                      << mqtt_extra << "[http]\nlisten = \"127.0.0.1:8080\"\n"
                      << extra;
  return path;
}

RunResult server_cli(const std::string& config, std::vector<std::string> args) {
  args.insert(args.begin(), server_bin());
  args.insert(args.end(), {"--config", config});
  return run(args);
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
  wait_for_log(*p, ready);
  return p;
}

std::int64_t count(const TempDir& dir, const std::string& sql) {
  auto db = platform::sqlite::Db::open(dir.file("server.db"));
  if (!db) return -1;
  auto q = db->prepare(sql);
  if (!q || !q->step().value()) return -1;
  return q->int64(0);
}

bool wait_count(const TempDir& dir, const std::string& sql, std::int64_t n,
                std::chrono::milliseconds timeout) {
  return wait_until([&] { return count(dir, sql) >= n; }, timeout, std::chrono::milliseconds(100));
}

}  // namespace ml::test
