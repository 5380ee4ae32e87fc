#include "server/http/server.hpp"

#include <httplib.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "platform/log/log.hpp"

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

bool accepts_gzip(const httplib::Request& req) {
  return req.get_header_value("Accept-Encoding").find("gzip") != std::string::npos;
}

// Hands the body over as a provider of known length: cpp-httplib then sends it as it is (it
// would otherwise compress text with Brotli at its slowest setting on every request).
void send(httplib::Response& res, std::shared_ptr<const std::string> body,
          const std::string& type) {
  res.set_content_provider(body->size(), type,
                           [body](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                             return sink.write(body->data() + offset, length);
                           });
}

void send_maybe_gzipped(const httplib::Request& req, httplib::Response& res, std::string body,
                        const std::string& type) {
  res.set_header("Vary", "Accept-Encoding");
  if (body.size() >= kCompressFrom && accepts_gzip(req)) {
    auto packed = gzip(body);
    if (!packed.empty()) {
      res.set_header("Content-Encoding", "gzip");
      send(res, std::make_shared<const std::string>(std::move(packed)), type);
      return;
    }
  }
  send(res, std::make_shared<const std::string>(std::move(body)), type);
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
  httplib::Server http;
  Api& api;
  const ServerConfig& config;
  std::map<std::string, StaticFile> files;
  Impl(Api& a, const ServerConfig& c) : api(a), config(c) {}

  void answer(const httplib::Request& req, httplib::Response& res) {
    Request r;
    r.method = req.method;
    r.path = req.path;
    for (const auto& [k, v] : req.params)
      r.query.emplace(k, v);  // the first of repeated parameters counts
    r.cookie = req.get_header_value("Cookie");
    r.csrf = req.get_header_value("X-CSRF-Token");
    r.body = req.body;
    r.remote = req.remote_addr;
    r.content_type = req.get_header_value("Content-Type");
    for (std::size_t i = 0; i < req.get_header_value_count("X-Forwarded-For"); ++i)
      r.forwarded_for += (i == 0 ? "" : ",") + req.get_header_value("X-Forwarded-For", i);
    Response out = api.handle(r);
    res.status = out.status;
    for (const auto& [k, v] : out.headers)
      res.set_header(k, v);
    if (out.status != 204) send_maybe_gzipped(req, res, std::move(out.body), out.content_type);
  }

  void serve_file(const httplib::Request& req, httplib::Response& res) {
    auto it = files.find(req.path);
    if (it == files.end()) {
      res.status = 404;
      res.set_content("not found\n", "text/plain; charset=utf-8");
      return;
    }
    const StaticFile& f = it->second;
    res.set_header("Vary", "Accept-Encoding");
    if (f.gzipped && accepts_gzip(req)) {
      res.set_header("Content-Encoding", "gzip");
      send(res, f.gzipped, f.type);
    } else {
      send(res, f.body, f.type);
    }
  }
};

Server::Server(Api& api, const ServerConfig& config) : impl_(std::make_unique<Impl>(api, config)) {
  auto& http = impl_->http;
  const int threads = config.http.threads;
  http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  http.set_payload_max_length(kMaxBody);
  http.set_read_timeout(10);
  http.set_write_timeout(30);
  // Small answers go out at once instead of waiting for the client's delayed ACK (40 ms).
  http.set_tcp_nodelay(true);
  auto api_handler = [this](const httplib::Request& req, httplib::Response& res) {
    impl_->answer(req, res);
  };
  http.Get(R"(/api/.*)", api_handler);
  http.Post(R"(/api/.*)", api_handler);
  http.Put(R"(/api/.*)", api_handler);
  http.Delete(R"(/api/.*)", api_handler);
  impl_->files = load_dashboard(config.http.web_dir);
  has_dashboard_ = impl_->files.count("/") != 0;
  if (has_dashboard_) {
    http.Get(R"(/[^/]*)", [this](const httplib::Request& req, httplib::Response& res) {
      impl_->serve_file(req, res);
    });
  } else {
    const std::string why = "The dashboard is not installed: no index.html in " +
                            config.http.web_dir +
                            " ([http] web_dir). Build it with `npm ci && node build.mjs DIR` "
                            "in web/ (docs/server.md). The API answers under /api/.\n";
    http.Get("/", [why](const httplib::Request&, httplib::Response& res) {
      res.status = 503;
      res.set_content(why, "text/plain; charset=utf-8");
    });
  }
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    // Only for what no handler answered (an answer's body may be in a content provider).
    if (!res.body.empty() || res.has_header("Content-Type")) return;
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
