// `meterlogger-server serve`: the HTTP side. Answers /api/ through Api and serves the dashboard's
// files from [http] web_dir, with the security headers every answer carries, and GET /metrics
// (docs/metrics.md) unless [http] metrics = false.
#pragma once

#include <memory>
#include <string>

#include "core/result.hpp"
#include "server/http/api.hpp"

namespace ml::server::http {

class Server {
 public:
  // `version`: the program's, for GET /metrics (meterlogger_build_info).
  Server(Api& api, const ServerConfig& config, std::string version = "dev");
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds [http] listen (port 0: any free port); the port it got.
  core::Result<int> bind();
  // Answers until stop() (from another thread or a signal watcher).
  void run();
  void stop();
  // Whether the dashboard's files were found (index.html in web_dir).
  bool has_dashboard() const { return has_dashboard_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  bool has_dashboard_ = false;
};

}  // namespace ml::server::http
