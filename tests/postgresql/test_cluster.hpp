// The tests' PostgreSQL: a throwaway cluster (tests/postgresql/cluster) shared by every test of a
// ctest run through the `postgresql` fixture (ML_TEST_POSTGRESQL names its folder), or started
// for this process alone when run outside ctest and stopped when the process exits. Each test
// takes a schema of its own, so tests in parallel never see each other's tables.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>

#include "platform/postgresql/db.hpp"

namespace ml::test {

inline std::string read_cluster_url(const std::string& dir) {
  std::ifstream in(dir + "/url");
  std::string url;
  std::getline(in, url);
  if (url.empty()) {
    throw std::runtime_error("no PostgreSQL test cluster in " + dir +
                             " (tests/postgresql/cluster start did not run or failed)");
  }
  return url;
}

// The cluster's URL (its database "meterlogger").
inline const std::string& test_cluster_url() {
  static std::once_flag once;
  static std::string url;
  std::call_once(once, [] {
    if (const char* dir = std::getenv("ML_TEST_POSTGRESQL"); dir != nullptr && *dir != '\0') {
      url = read_cluster_url(dir);
      return;
    }
    static const std::string own = "/tmp/ml-pg-" + std::to_string(::getpid());
    const std::string start = std::string(ML_TEST_POSTGRESQL_CLUSTER) + " start " + own;
    if (std::system(start.c_str()) != 0) {
      throw std::runtime_error("could not start a PostgreSQL test cluster: " + start);
    }
    std::atexit([] {
      const std::string stop =
          std::string(ML_TEST_POSTGRESQL_CLUSTER) + " stop " + own + " && rm -rf " + own;
      (void)std::system(stop.c_str());
    });
    url = read_cluster_url(own);
  });
  return url;
}

// A cluster of a test's own, for what would disturb the shared one (halting it): started in
// `dir`, stopped and removed when it goes.
class OwnCluster {
 public:
  explicit OwnCluster(std::string dir) : dir_(std::move(dir)) {
    if (!run("start")) throw std::runtime_error("could not start a PostgreSQL cluster in " + dir_);
    url_ = read_cluster_url(dir_);
  }
  ~OwnCluster() { run("stop"); }
  OwnCluster(const OwnCluster&) = delete;
  OwnCluster& operator=(const OwnCluster&) = delete;
  const std::string& url() const { return url_; }
  // The server goes away, its clients lose their connections; resume() brings it back.
  bool halt() { return run("halt"); }
  bool resume() { return run("resume"); }

 private:
  bool run(const std::string& action) {
    const std::string c = std::string(ML_TEST_POSTGRESQL_CLUSTER) + " " + action + " " + dir_;
    return std::system(c.c_str()) == 0;
  }
  std::string dir_;
  std::string url_;
};

// A URL whose tables live in a schema of their own named after `key` (the same key gives the
// same schema: a second store on the same data).
inline std::string test_schema_url(const std::string& key) {
  std::ostringstream name;
  name << "t_" << std::hex << std::hash<std::string>{}(key);
  const std::string& url = test_cluster_url();
  auto c = platform::postgresql::Connection::open(url);
  if (!c) throw std::runtime_error(c.error().message());
  if (auto s = c->exec("CREATE SCHEMA IF NOT EXISTS " + name.str()); !s) {
    throw std::runtime_error(s.error().message());
  }
  return url + "&options=-csearch_path%3D" + name.str();
}

}  // namespace ml::test
