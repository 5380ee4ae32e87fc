#include "server/http/server.hpp"

#include <httplib.h>

#include <filesystem>

namespace ml::server::http {

struct Server::Impl {
  httplib::Server http;
  Api& api;
  const ServerConfig& config;
  Impl(Api& a, const ServerConfig& c) : api(a), config(c) {}
};

namespace {

void answer(Api& api, const httplib::Request& req, httplib::Response& res) {
  Request r;
  r.method = req.method;
  r.path = req.path;
  for (const auto& [k, v] : req.params)
    r.query.emplace(k, v);  // the first of repeated parameters counts
  r.cookie = req.get_header_value("Cookie");
  r.csrf = req.get_header_value("X-CSRF-Token");
  r.body = req.body;
  r.remote = req.remote_addr;
  Response out = api.handle(r);
  res.status = out.status;
  for (const auto& [k, v] : out.headers)
    res.set_header(k, v);
  if (!out.body.empty() || out.status != 204) res.set_content(out.body, out.content_type);
}

}  // namespace

Server::Server(Api& api, const ServerConfig& config) : impl_(std::make_unique<Impl>(api, config)) {
  auto& http = impl_->http;
  const int threads = config.http.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(kMaxBody);
  http.set_read_timeout(10);
  http.set_write_timeout(30);
  auto handler = [this](const httplib::Request& req, httplib::Response& res) {
    answer(impl_->api, req, res);
  };
  http.Get(R"(/api/.*)", handler);
  http.Post(R"(/api/.*)", handler);
  http.Put(R"(/api/.*)", handler);
  http.Delete(R"(/api/.*)", handler);
  std::error_code ec;
  has_dashboard_ =
      std::filesystem::exists(std::filesystem::path(config.http.web_dir) / "index.html", ec);
  if (has_dashboard_) {
    http.set_mount_point("/", config.http.web_dir);
  } else {
    const std::string why = "The dashboard is not installed: no index.html in " +
                            config.http.web_dir +
                            " ([http] web_dir). Build it with `npm ci && npm run build -- DIR` "
                            "in web/ (docs/server.md). The API answers under /api/.\n";
    http.Get("/", [why](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content(why, "text/plain; charset=utf-8");
    });
  }
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    if (req.path.rfind("/api/", 0) == 0) {
      res.set_content(R"({"error":"no such API"})", "application/json");
    } else {
      res.set_content("not found\n", "text/plain; charset=utf-8");
    }
  });
  http.set_post_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_header("X-Frame-Options", "DENY");
    res.set_header("Referrer-Policy", "same-origin");
    res.set_header("Content-Security-Policy",
                   "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                   "frame-ancestors 'none'");
    if (req.path.rfind("/api/", 0) == 0) {
      res.set_header("Cache-Control", "no-store");
    } else if (req.path == "/" || req.path.ends_with(".html")) {
      res.set_header("Cache-Control", "no-cache");
    }
  });
}

Server::~Server() {
  stop();
}

core::Result<int> Server::bind() {
  const auto& c = impl_->config.http;
  int port = c.port;
  if (port == 0) {
    port = impl_->http.bind_to_any_port(c.host);
    if (port <= 0) port = -1;
  } else if (!impl_->http.bind_to_port(c.host, port)) {
    port = -1;
  }
  if (port < 0) {
    return core::make_error(core::Errc::config_invalid,
                            "cannot listen on " + c.host + ":" + std::to_string(c.port) +
                                " ([http] listen): in use or not allowed");
  }
  return port;
}

void Server::run() {
  impl_->http.listen_after_bind();
}

void Server::stop() {
  if (impl_ && impl_->http.is_running()) impl_->http.stop();
}

}  // namespace ml::server::http
