#include "server/http/server.hpp"

#include <zlib.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

#include "platform/http/bearer.hpp"
#include "platform/http/server.hpp"
#include "platform/log/log.hpp"
#include "server/metrics.hpp"

namespace ml::server::http {
namespace {

namespace fs = std::filesystem;

// Bodies smaller than this go uncompressed (the headers would cost more than is saved).
constexpr std::size_t kCompressFrom = 1024;
// The dashboard's files are few and small; a larger file in web_dir is not served.
constexpr std::uintmax_t kMaxFile = 16u * 1024 * 1024;

// gzip at a fast level: the answers are made per request, so speed matters more than the last
// percent. "" when zlib fails (the answer then goes uncompressed).
std::string gzip(const std::string& in) {
  z_stream z{};
  if (deflateInit2(&z, 5, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return "";
  std::string out(deflateBound(&z, static_cast<uLong>(in.size())), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return rc == Z_STREAM_END ? out : "";
}

using HttpResponse = platform::http::Response;

bool accepts_gzip(const platform::http::Request& req) {
  return req.header("accept-encoding").find("gzip") != std::string::npos;
}

void set_maybe_gzipped(const platform::http::Request& req, HttpResponse& res, std::string body) {
  res.headers.emplace_back("Vary", "Accept-Encoding");
  if (body.size() >= kCompressFrom && accepts_gzip(req)) {
    auto packed = gzip(body);
    if (!packed.empty()) {
      res.headers.emplace_back("Content-Encoding", "gzip");
      res.body = std::move(packed);
      return;
    }
  }
  res.body = std::move(body);
}

struct StaticFile {
  std::string type;
  std::shared_ptr<const std::string> body;
  std::shared_ptr<const std::string> gzipped;  // null when not worth it
};

std::string content_type(const fs::path& p) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".json", "application/json"},
      {".txt", "text/plain; charset=utf-8"}};
  auto it = types.find(p.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

// The built dashboard, read once at start: "/name" -> file (index.html also as "/").
std::map<std::string, StaticFile> load_dashboard(const std::string& dir) {
  std::map<std::string, StaticFile> files;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (!entry.is_regular_file(ec) || entry.file_size(ec) > kMaxFile) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    StaticFile f;
    f.type = content_type(entry.path());
    f.body = std::make_shared<const std::string>(text.str());
    if (f.type.rfind("image/png", 0) != 0 && f.body->size() >= kCompressFrom) {
      auto packed = gzip(*f.body);
      if (!packed.empty()) f.gzipped = std::make_shared<const std::string>(std::move(packed));
    }
    files["/" + entry.path().filename().string()] = f;
  }
  if (auto it = files.find("/index.html"); it != files.end()) files["/"] = it->second;
  return files;
}

}  // namespace

struct Server::Impl {
  Api& api;
  const ServerConfig& config;
  std::map<std::string, StaticFile> files;
  std::unique_ptr<platform::http::Server> http;
  std::mutex mutex;  // guards stopped
  std::condition_variable stopped_changed;
  bool stopped = false;
  metrics::HttpStats stats;
  metrics::ProcessInfo process;
  Impl(Api& a, const ServerConfig& c) : api(a), config(c) {}

  // GET /metrics (docs/metrics.md): no session; the bearer token when [http] metrics_token is set.
  HttpResponse metrics_answer(const platform::http::Request& req) {
    HttpResponse res;
    const auto& token = config.http.metrics_token;
    if (!token.empty() && !platform::http::bearer_matches(req.header("authorization"), token)) {
      res.status = 401;
      res.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"metrics\"");
      res.body = "GET /metrics needs Authorization: Bearer and the [http] metrics_token\n";
      return res;
    }
    auto store = api.store_metrics();
    if (!store) {
      stats.count_scrape_error();
      platform::log::error("metrics: " + store.error().message());
    }
    auto text = metrics::render(process, store ? &*store : nullptr, api.now(), stats);
    if (!text) {
      res.status = 500;
      res.body = text.error().message() + "\n";
      return res;
    }
    res.content_type = std::string(core::metrics::kContentType);
    set_maybe_gzipped(req, res, std::move(text).value());
    return res;
  }

  HttpResponse answer(const platform::http::Request& req) {
    Request r;
    r.method = req.method;
    r.path = req.path;
    r.query = req.query;
    r.cookie = req.header("cookie");
    r.csrf = req.header("x-csrf-token");
    r.body = req.body;
    r.remote = req.remote;
    r.content_type = req.header("content-type");
    r.forwarded_for = req.header("x-forwarded-for");
    auto out = api.handle(r);
    HttpResponse res;
    res.status = out.status;
    res.content_type = out.content_type;
    res.headers = std::move(out.headers);
    if (out.stream) {
      res.stream = std::move(out.stream);
      res.body = std::move(out.body);
      // The first piece is what the API made at once (the CSV's header line).
      if (!res.body.empty()) {
        res.stream = [first = std::move(res.body), next = std::move(res.stream),
                      sent = false](std::string& piece) mutable {
          if (!sent) {
            sent = true;
            piece = std::move(first);
            return true;
          }
          return next(piece);
        };
        res.body.clear();
      }
    } else if (out.status != 204) {
      set_maybe_gzipped(req, res, std::move(out.body));
    }
    return res;
  }

  HttpResponse serve_file(const platform::http::Request& req) {
    HttpResponse res;
    auto it = files.find(req.path);
    if (it == files.end()) {
      res.status = 404;
      res.body = "not found\n";
      return res;
    }
    const StaticFile& f = it->second;
    res.content_type = f.type;
    res.headers.emplace_back("Vary", "Accept-Encoding");
    if (f.gzipped && accepts_gzip(req)) {
      res.headers.emplace_back("Content-Encoding", "gzip");
      res.shared_body = f.gzipped;
    } else {
      res.shared_body = f.body;
    }
    return res;
  }

  HttpResponse handle(const platform::http::Request& req, bool has_dashboard,
                      const std::string& why) {
    const auto started = std::chrono::steady_clock::now();
    const bool api_path = req.path.rfind("/api/", 0) == 0;
    const bool metrics_path = req.path == "/metrics" && config.http.metrics;
    HttpResponse res;
    if (api_path) {
      res = answer(req);
    } else if (metrics_path && req.method == "GET") {
      res = metrics_answer(req);
    } else if (req.method != "GET") {
      res.status = 404;
      res.body = "not found\n";
    } else if (has_dashboard) {
      res = serve_file(req);
    } else if (req.path == "/") {
      res.status = 503;
      res.body = why;
      res.content_type = "text/html; charset=utf-8";
    } else {
      res.status = 404;
      res.body = "not found\n";
    }
    res.headers.emplace_back("X-Content-Type-Options", "nosniff");
    res.headers.emplace_back("X-Frame-Options", "DENY");
    res.headers.emplace_back("Referrer-Policy", "same-origin");
    res.headers.emplace_back(
        "Content-Security-Policy",
        "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "frame-ancestors 'none'");
    if (api_path || metrics_path) {
      res.headers.emplace_back("Cache-Control", "no-store");
    } else if (req.path == "/" || req.path.ends_with(".html")) {
      res.headers.emplace_back("Cache-Control", "no-cache");
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    stats.record(metrics::route_class(req.path, has_dashboard), res.status, took.count());
    return res;
  }
};

Server::Server(Api& api, const ServerConfig& config, std::string version)
    : impl_(std::make_unique<Impl>(api, config)) {
  impl_->process.version = std::move(version);
  impl_->process.start_time = std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  impl_->files = load_dashboard(config.http.web_dir);
  has_dashboard_ = impl_->files.count("/") != 0;
}

Server::~Server() {
  stop();
}

core::Result<int> Server::bind() {
  const auto& c = impl_->config.http;
  platform::http::Options o;
  o.host = c.host;
  o.port = c.port;
  o.threads = c.threads;
  o.max_body = kMaxBody;
  o.request_timeout_s = c.request_timeout_s;
  o.idle_timeout_s = c.idle_timeout_s;
  o.max_connections = c.max_connections;
  o.max_per_address = c.max_connections_per_address;
  const std::string why =
      !missing_page_.empty()
          ? missing_page_
          : "<!doctype html>\n<title>MeterLogger: no dashboard</title>\n<p>The dashboard is not "
            "installed: no index.html in the folder [http] web_dir names. The API answers under "
            "/api/ (docs/server.md).</p>\n";
  Impl* impl = impl_.get();
  const bool has_dashboard = has_dashboard_;
  std::string error;
  impl_->http = platform::http::Server::start(
      o,
      [impl, has_dashboard, why](const platform::http::Request& req) {
        return impl->handle(req, has_dashboard, why);
      },
      &error);
  if (!impl_->http) return core::make_error(core::Errc::config_invalid, error + " ([http] listen)");
  return impl_->http->port();
}

void Server::run() {
  std::unique_lock lock(impl_->mutex);
  impl_->stopped_changed.wait(lock, [this] { return impl_->stopped; });
}

void Server::stop() {
  if (!impl_) return;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopped = true;
  }
  impl_->stopped_changed.notify_all();
  if (impl_->http) impl_->http->stop();
}

}  // namespace ml::server::http
