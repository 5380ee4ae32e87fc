// The setup page over the HTTP server of src/platform/http (libmicrohttpd: slow or idle clients
// hold up nobody), and the module's entry points.
#include "platform/http/server.hpp"

#include "password/limiter.hpp"
#include "platform/http/cookie.hpp"
#include "setup_page/page.hpp"

namespace ml::setup_page {
namespace {

namespace web = platform::http;

constexpr const char* kCookie = "ml_session";
constexpr std::size_t kMaxBody = 16 * 1024;  // the forms are small
constexpr const char* kAccount = "setup";    // the page has one password

web::Response redirect(const std::string& to) {
  web::Response r;
  r.status = 303;
  r.headers.emplace_back("Location", to);
  return r;
}

web::Response content(int status, std::string body, const std::string& type) {
  web::Response r;
  r.status = status;
  r.body = std::move(body);
  r.content_type = type;
  return r;
}

constexpr const char* kHtml = "text/html; charset=utf-8";

class HttpServer final : public Server {
 public:
  HttpServer(const Options& options, Backend& backend)
      : options_(options),
        backend_(backend),
        sessions_(std::chrono::minutes(std::max(options.session_minutes, 1))) {}
  ~HttpServer() override { stop(); }

  bool start(std::string* error) {
    web::Options o;
    o.host = options_.host;
    o.port = options_.port;
    o.threads = 2;
    o.max_body = kMaxBody;
    o.max_header_bytes = 16 * 1024;
    o.max_connections = 1024;
    o.max_per_address = 16;
    http_ = web::Server::start(
        o, [this](const web::Request& req) { return answer(req); }, error);
    return http_ != nullptr;
  }

  int port() const override { return http_ ? http_->port() : -1; }

  void stop() override {
    if (http_) http_->stop();
  }

 private:
  web::Response answer(const web::Request& req) {
    web::Response res = route(req);
    res.headers.emplace_back("Cache-Control", "no-store");
    res.headers.emplace_back("X-Frame-Options", "DENY");
    res.headers.emplace_back("Referrer-Policy", "no-referrer");
    return res;
  }

  // The session token of a logged-in browser, or "" (the caller answers for it).
  std::string session_of(const web::Request& req, std::string* csrf = nullptr) {
    const std::string token = web::cookie_value(req.header("cookie"), kCookie);
    if (token.empty()) return "";
    auto s = sessions_.touch(token, Clock::now());
    if (!s) return "";
    if (csrf != nullptr) *csrf = s->csrf;
    return token;
  }

  // For the forms: a session and its CSRF token in the body, or "".
  std::string form_session(const web::Request& req, const FormValues& form) {
    std::string csrf;
    const std::string token = session_of(req, &csrf);
    if (token.empty() || form_value(form, "csrf") != csrf) return "";
    return token;
  }

  static web::Response stale() {
    return content(403, "Not logged in, or the form is stale: reload the page.\n", "text/plain");
  }

  web::Response after_change(const std::string& token, const std::string& error,
                             const std::string& done) {
    sessions_.set_message(token, error.empty() ? done : error, !error.empty());
    return redirect("/");
  }

  web::Response route(const web::Request& req) {
    const bool get = req.method == "GET";
    const bool post = req.method == "POST";
    if (get && req.path == "/login") {
      if (!session_of(req).empty()) return redirect("/");
      return content(200, render_login(""), kHtml);
    }
    if (get && req.path == "/") {
      std::string csrf;
      const std::string token = session_of(req, &csrf);
      if (token.empty()) return redirect("/login");
      const auto [message, is_error] = sessions_.take_message(token);
      return content(200, render_status(backend_.status(), csrf, message, is_error), kHtml);
    }
    if (get && req.path == "/status.json") {
      if (session_of(req).empty()) {
        return content(401, "{\"error\":\"not logged in\"}", "application/json");
      }
      return content(200, status_json(backend_.status()), "application/json");
    }
    if (!post) return content(404, "Not found\n", "text/plain");
    const FormValues form = parse_form(req.body);
    if (req.path == "/login") {
      // The server's limit (src/password/limiter.hpp): checked and counted before the password
      // is, per client address and for the page's one account.
      const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
      const std::int64_t wait = limiter_.begin(kAccount, req.remote, now);
      if (wait > 0) {
        auto res = content(
            429,
            render_login("Too many wrong passwords: try again in " + std::to_string(wait) + " s."),
            kHtml);
        res.headers.emplace_back("Retry-After", std::to_string(wait));
        return res;
      }
      if (!verify_password(options_.password_hash, form_value(form, "password"))) {
        auto res = content(401, render_login("Wrong password."), kHtml);
        res.delay = std::chrono::seconds(1);  // slows down guessing; no thread waits for it
        return res;
      }
      limiter_.succeeded(kAccount, req.remote, now);
      const std::string token = sessions_.open(Clock::now());
      auto res = redirect("/");
      res.headers.emplace_back(
          "Set-Cookie", std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
      return res;
    }
    const std::string token = form_session(req, form);
    if (req.path != "/logout" && req.path != "/wifi" && req.path != "/broker" &&
        req.path != "/pulse") {
      return content(404, "Not found\n", "text/plain");
    }
    if (token.empty()) return stale();
    if (req.path == "/logout") {
      sessions_.close(token);
      auto res = redirect("/login");
      res.headers.emplace_back("Set-Cookie", std::string(kCookie) + "=; Path=/; Max-Age=0");
      return res;
    }
    if (req.path == "/wifi") {
      const std::string ssid = form_value(form, "ssid");
      return after_change(token, backend_.set_wifi(ssid, form_value(form, "password")),
                          "Wi-Fi saved; connecting to " + ssid + ".");
    }
    if (req.path == "/broker") {
      const std::string host = form_value(form, "host");
      const std::string port = form_value(form, "port");
      std::string error = check_broker_form(host, port);
      if (error.empty()) error = backend_.set_broker(host, port);
      return after_change(token, error,
                          host.empty() ? "Broker from agent.toml again; reconnecting."
                                       : "Broker set to " + host + ":" + port + "; reconnecting.");
    }
    const std::string meter = form_value(form, "meter");
    return after_change(
        token, backend_.set_pulse(meter, form_value(form, "base"), form_value(form, "per_unit")),
        meter + ": base reading and impulses saved; the pulse count starts at 0.");
  }

  Options options_;
  Backend& backend_;
  Sessions sessions_;
  password::LoginLimiter limiter_;
  std::unique_ptr<web::Server> http_;
};

}  // namespace
}  // namespace ml::setup_page

extern "C" {

__attribute__((visibility("default"))) int ml_setup_page_api_version() {
  return ml::setup_page::kApiVersion;
}

__attribute__((visibility("default"))) ml::setup_page::Server* ml_setup_page_start(
    const ml::setup_page::Options& options, ml::setup_page::Backend& backend, std::string* error) {
  try {
    auto server = std::make_unique<ml::setup_page::HttpServer>(options, backend);
    if (!server->start(error)) return nullptr;
    return server.release();
  } catch (const std::exception& e) {
    *error = e.what();
    return nullptr;
  }
}

__attribute__((visibility("default"))) bool ml_setup_page_hash_password(const std::string& password,
                                                                        std::string* out) {
  return ml::setup_page::hash_password(password, out);
}
}
