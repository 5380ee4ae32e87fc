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

  // The page answered at / (503, HTML) when web_dir has no index.html (server/web_dir.hpp says
  // which folders were looked in); before bind().
  void set_missing_dashboard_page(std::string html) { missing_page_ = std::move(html); }
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
  std::string missing_page_;
};

}  // namespace ml::server::http
