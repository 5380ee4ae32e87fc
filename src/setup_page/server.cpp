// The setup page over cpp-httplib, and the module's entry points.
#include <httplib.h>

#include <thread>

#include "password/limiter.hpp"
#include "setup_page/page.hpp"

namespace ml::setup_page {
namespace {

constexpr const char* kCookie = "ml_session";
constexpr std::size_t kMaxBody = 16 * 1024;  // the forms are small
constexpr const char* kAccount = "setup";    // the page has one password

class HttpServer final : public Server {
 public:
  HttpServer(const Options& options, Backend& backend)
      : options_(options),
        backend_(backend),
        sessions_(std::chrono::minutes(std::max(options.session_minutes, 1))) {
    http_.new_task_queue = [] { return new httplib::ThreadPool(2); };
    http_.set_payload_max_length(kMaxBody);
    http_.set_read_timeout(10);
    http_.set_write_timeout(10);
    http_.set_default_headers({{"Cache-Control", "no-store"},
                               {"X-Frame-Options", "DENY"},
                               {"Referrer-Policy", "no-referrer"}});
    routes();
  }
  ~HttpServer() override { stop(); }

  bool start(std::string* error) {
    port_ = options_.port == 0
                ? http_.bind_to_any_port(options_.host)
                : (http_.bind_to_port(options_.host, options_.port) ? options_.port : -1);
    if (port_ < 0) {
      *error = "cannot listen on " + options_.host + ":" + std::to_string(options_.port);
      return false;
    }
    thread_ = std::thread([this] { http_.listen_after_bind(); });
    return true;
  }

  int port() const override { return port_; }

  void stop() override {
    if (thread_.joinable()) {
      http_.stop();
      thread_.join();
    }
  }

 private:
  // The session token of a logged-in browser, or "" (the caller answers for it).
  std::string session_of(const httplib::Request& req, std::string* csrf = nullptr) {
    const std::string token = cookie_value(req.get_header_value("Cookie"), kCookie);
    if (token.empty()) return "";
    auto s = sessions_.touch(token, Clock::now());
    if (!s) return "";
    if (csrf != nullptr) *csrf = s->csrf;
    return token;
  }

  // For the forms: a session and its CSRF token in the body, or a 403 already written.
  std::string form_session(const httplib::Request& req, httplib::Response& res) {
    std::string csrf;
    const std::string token = session_of(req, &csrf);
    if (token.empty() || req.get_param_value("csrf") != csrf) {
      res.status = 403;
      res.set_content("Not logged in, or the form is stale: reload the page.\n", "text/plain");
      return "";
    }
    return token;
  }

  void after_change(httplib::Response& res, const std::string& token, const std::string& error,
                    const std::string& done) {
    sessions_.set_message(token, error.empty() ? done : error, !error.empty());
    res.set_redirect("/", 303);
  }

  void routes() {
    http_.Get("/login", [this](const httplib::Request& req, httplib::Response& res) {
      if (!session_of(req).empty()) return res.set_redirect("/", 303);
      res.set_content(render_login(""), "text/html; charset=utf-8");
    });
    http_.Post("/login", [this](const httplib::Request& req, httplib::Response& res) {
      // The server's limit (src/password/limiter.hpp): checked and counted before the password
      // is, per client address and for the page's one account.
      const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
      const std::int64_t wait = limiter_.begin(kAccount, req.remote_addr, now);
      if (wait > 0) {
        res.status = 429;
        res.set_header("Retry-After", std::to_string(wait));
        res.set_content(
            render_login("Too many wrong passwords: try again in " + std::to_string(wait) + " s."),
            "text/html; charset=utf-8");
        return;
      }
      if (!verify_password(options_.password_hash, req.get_param_value("password"))) {
        res.status = 401;
        res.set_content(render_login("Wrong password."), "text/html; charset=utf-8");
        return;
      }
      limiter_.succeeded(kAccount, req.remote_addr, now);
      const std::string token = sessions_.open(Clock::now());
      res.set_header("Set-Cookie",
                     std::string(kCookie) + "=" + token + "; Path=/; HttpOnly; SameSite=Strict");
      res.set_redirect("/", 303);
    });
    http_.Post("/logout", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string token = form_session(req, res);
      if (token.empty()) return;
      sessions_.close(token);
      res.set_header("Set-Cookie", std::string(kCookie) + "=; Path=/; Max-Age=0");
      res.set_redirect("/login", 303);
    });
    http_.Get("/", [this](const httplib::Request& req, httplib::Response& res) {
      std::string csrf;
      const std::string token = session_of(req, &csrf);
      if (token.empty()) return res.set_redirect("/login", 303);
      const auto [message, is_error] = sessions_.take_message(token);
      res.set_content(render_status(backend_.status(), csrf, message, is_error),
                      "text/html; charset=utf-8");
    });
    http_.Get("/status.json", [this](const httplib::Request& req, httplib::Response& res) {
      if (session_of(req).empty()) {
        res.status = 401;
        return res.set_content("{\"error\":\"not logged in\"}", "application/json");
      }
      res.set_content(status_json(backend_.status()), "application/json");
    });
    http_.Post("/wifi", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string token = form_session(req, res);
      if (token.empty()) return;
      const std::string ssid = req.get_param_value("ssid");
      after_change(res, token, backend_.set_wifi(ssid, req.get_param_value("password")),
                   "Wi-Fi saved; connecting to " + ssid + ".");
    });
    http_.Post("/broker", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string token = form_session(req, res);
      if (token.empty()) return;
      const std::string host = req.get_param_value("host");
      const std::string port = req.get_param_value("port");
      std::string error = check_broker_form(host, port);
      if (error.empty()) error = backend_.set_broker(host, port);
      after_change(res, token, error,
                   host.empty() ? "Broker from agent.toml again; reconnecting."
                                : "Broker set to " + host + ":" + port + "; reconnecting.");
    });
    http_.Post("/pulse", [this](const httplib::Request& req, httplib::Response& res) {
      const std::string token = form_session(req, res);
      if (token.empty()) return;
      const std::string meter = req.get_param_value("meter");
      after_change(
          res, token,
          backend_.set_pulse(meter, req.get_param_value("base"), req.get_param_value("per_unit")),
          meter + ": base reading and impulses saved; the pulse count starts at 0.");
    });
  }

  Options options_;
  Backend& backend_;
  Sessions sessions_;
  password::LoginLimiter limiter_;
  httplib::Server http_;
  int port_ = -1;
  std::thread thread_;
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
