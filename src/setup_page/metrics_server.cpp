// The agent's GET /metrics (api.hpp, docs/metrics.md "Agent") over the HTTP server of
// src/platform/http: GET /metrics answers the agent's Prometheus text, any other path 404, another
// method 405; with a token, a request without "Authorization: Bearer TOKEN" (or with another
// token) is answered 401. The token is never logged or echoed.
#include "setup_page/metrics_server.hpp"

#include <string_view>

#include "platform/http/bearer.hpp"
#include "platform/http/server.hpp"
#include "setup_page/api.hpp"

namespace ml::setup_page {
namespace {

namespace web = platform::http;

// The content type of the Prometheus text format 0.0.4.
constexpr const char* kPrometheusText = "text/plain; version=0.0.4; charset=utf-8";

web::Response plain(int status, std::string body) {
  web::Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

class MetricsHttpServer final : public Server {
 public:
  MetricsHttpServer(const MetricsOptions& options, MetricsSource& source)
      : options_(options), source_(source) {}
  ~MetricsHttpServer() override { stop(); }

  bool start(std::string* error) {
    web::Options o;
    o.host = options_.host;
    o.port = options_.port;
    o.threads = 1;
    o.max_body = 1024;
    o.max_header_bytes = 16 * 1024;
    o.max_connections = 64;
    o.max_per_address = 16;
    http_ = web::Server::start(
        o, [this](const web::Request& req) { return metrics_answer(options_.token, req, source_); },
        error);
    return http_ != nullptr;
  }

  int port() const override { return http_ ? http_->port() : -1; }
  void stop() override {
    if (http_) http_->stop();
  }

 private:
  MetricsOptions options_;
  MetricsSource& source_;
  std::unique_ptr<web::Server> http_;
};

}  // namespace

web::Response metrics_answer(const std::string& token, const web::Request& req,
                             MetricsSource& source) {
  web::Response res;
  if (req.path != "/metrics") {
    res = plain(404, "not found\n");
  } else if (req.method != "GET" && req.method != "HEAD") {
    res = plain(405, "only GET\n");
    res.headers.emplace_back("Allow", "GET, HEAD");
  } else if (!token.empty() &&
             !platform::http::bearer_matches(req.header("authorization"), token)) {
    res = plain(401, "a bearer token is needed\n");
    res.headers.emplace_back("WWW-Authenticate", "Bearer");
  } else {
    std::string text;
    if (source.metrics(&text)) {
      res = plain(200, std::move(text));
      res.content_type = kPrometheusText;
    } else {
      res = plain(503, text + "\n");
    }
  }
  res.headers.emplace_back("Cache-Control", "no-store");
  return res;
}

}  // namespace ml::setup_page

extern "C" {

__attribute__((visibility("default"))) ml::setup_page::Server* ml_setup_page_start_metrics(
    const ml::setup_page::MetricsOptions& options, ml::setup_page::MetricsSource& source,
    std::string* error) {
  try {
    auto server = std::make_unique<ml::setup_page::MetricsHttpServer>(options, source);
    if (!server->start(error)) return nullptr;
    return server.release();
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}
}
