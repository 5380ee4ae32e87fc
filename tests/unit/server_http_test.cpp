// The HTTP API's pieces without a network: the login limit's clock, the Cookie header, the
// series resolution, the [http] settings, and requests straight into Api::handle.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "password/password.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/http/views.hpp"
#include "server/sqlite_store.hpp"
#include "sim_support.hpp"

namespace ml::server::http::api_unit {

TEST(LoginLimiter, LocksAKeyAfterFiveFailuresForFifteenMinutes) {
  LoginLimiter limiter;
  const std::int64_t t0 = 1'800'000'000;
  for (int i = 0; i < 4; ++i)
    limiter.failed("user:anna", t0 + i * 60);
  EXPECT_EQ(limiter.retry_after("user:anna", t0 + 240), 0);
  limiter.failed("user:anna", t0 + 240);
  // Five within the window: locked until the oldest is 900 s old.
  EXPECT_EQ(limiter.retry_after("user:anna", t0 + 240), 900 - 240);
  EXPECT_EQ(limiter.retry_after("user:anna", t0 + 899), 1);
  EXPECT_EQ(limiter.retry_after("user:bo", t0 + 240), 0);  // keys are apart
  // Once the first failure leaves the window, four remain: allowed again.
  EXPECT_EQ(limiter.retry_after("user:anna", t0 + 900), 0);
  // A success clears the key.
  limiter.failed("user:anna", t0 + 901);
  limiter.succeeded("user:anna");
  EXPECT_EQ(limiter.retry_after("user:anna", t0 + 902), 0);
}

TEST(LoginLimiter, MemoryIsBounded) {
  LoginLimiter limiter;
  for (std::size_t i = 0; i < LoginLimiter::kMaxKeys + 100; ++i) {
    limiter.failed("addr:" + std::to_string(i), static_cast<std::int64_t>(i));
  }
  // The newest key is still counted; the oldest made room.
  for (int i = 0; i < 4; ++i)
    limiter.failed("addr:new", 20000);
  limiter.failed("addr:new", 20000);
  EXPECT_GT(limiter.retry_after("addr:new", 20000), 0);
}

TEST(CookieHeader, FindsTheSessionAmongOthers) {
  EXPECT_EQ(cookie_value("ml_session=abc", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("theme=dark; ml_session=abc ; x=1", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("xml_session=abc", "ml_session"), "");
  EXPECT_EQ(cookie_value("", "ml_session"), "");
  EXPECT_EQ(cookie_value(";;;=;ml_session", "ml_session"), "");
  // Bounded: a cookie beyond the first 8 KiB is not read.
  EXPECT_EQ(cookie_value(std::string(9000, ' ') + "; ml_session=abc", "ml_session"), "");
}

TEST(SeriesResolution, AutoFollowsTheSpan) {
  const std::int64_t day = 86400;
  EXPECT_EQ(pick_resolution("auto", 0, 3 * day).value(), Resolution::raw);
  EXPECT_EQ(pick_resolution("", 0, 3 * day + 1).value(), Resolution::hour);
  EXPECT_EQ(pick_resolution("auto", 0, 400 * day).value(), Resolution::hour);
  EXPECT_EQ(pick_resolution("auto", 0, 400 * day + 1).value(), Resolution::day);
  EXPECT_EQ(pick_resolution("raw", 0, 4000 * day).value(), Resolution::raw);
  auto bad = pick_resolution("minute", 0, 1);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("auto, raw, hour or day"), std::string::npos);
}

TEST(ServerConfig, HttpSettings) {
  auto c = parse_server_config(R"([database]
path = "db"
[mqtt]
host = "broker"
[http]
listen = "0.0.0.0:8443"
web_dir = "web"
session_hours = 8
offline_after = 600
secure_cookies = true
request_timeout = 5
idle_timeout = 20
max_connections = 500
max_connections_per_address = 0
)",
                               "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->http.port, 8443);
  EXPECT_EQ(c->http.web_dir, "/etc/meterlogger/web");  // relative to the file
  EXPECT_EQ(c->http.session_hours, 8);
  EXPECT_EQ(c->http.offline_after_s, 600);
  EXPECT_TRUE(c->http.secure_cookies);
  EXPECT_EQ(c->http.request_timeout_s, 5);
  EXPECT_EQ(c->http.idle_timeout_s, 20);
  EXPECT_EQ(c->http.max_connections, 500);
  EXPECT_EQ(c->http.max_connections_per_address, 0);
  auto zero = parse_server_config(
      "[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[http]\nrequest_timeout = 0\n", "/x.toml");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().detail.find("http.request_timeout"), std::string::npos)
      << zero.error().detail;
  auto bad = parse_server_config(
      "[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[http]\n"
      "session_hours = 0\n",
      "/x.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("http.session_hours"), std::string::npos) << bad.error().detail;
}

// Requests straight into the API, on a real SQLite file.
class ApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(dir_.file("server.db")).value();
    config_.http.offline_after_s = 900;
    Meter m;
    m.serial = "6892850";
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = "Loppen";
    ASSERT_TRUE(store_->add_meter(m).ok());
    User u{"anna", "", "admin", {"Loppen"}, 0};
    ASSERT_TRUE(password::hash_password("anna-secret", &u.password_hash));
    ASSERT_TRUE(store_->add_user(u).ok());
    api_ = std::make_unique<Api>(*store_, config_, [this] { return now_; });
  }

  Response login() {
    return api_->handle({"POST",
                         "/api/login",
                         {},
                         "",
                         "",
                         R"({"username":"anna","password":"anna-secret"})",
                         "10.0.0.1"});
  }

  test::TempDir dir_;
  ServerConfig config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
  std::int64_t now_ = 1'800'000'000;
};

TEST_F(ApiTest, SessionsExpire) {
  const auto r = login();
  ASSERT_EQ(r.status, 200) << r.body;
  std::string cookie;
  for (const auto& [k, v] : r.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  ASSERT_FALSE(cookie.empty());
  EXPECT_EQ(api_->handle({"GET", "/api/session", {}, cookie, "", "", "10.0.0.1"}).status, 200);
  now_ += 12 * 3600;  // [http] session_hours
  EXPECT_EQ(api_->handle({"GET", "/api/session", {}, cookie, "", "", "10.0.0.1"}).status, 401);
}

TEST_F(ApiTest, BadRequestsAreNamedAndChangeNothing) {
  auto r = api_->handle({"POST", "/api/login", {}, "", "", "{\"username\":5}", "10.0.0.1"});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("username must be a string"), std::string::npos) << r.body;
  r = api_->handle({"POST", "/api/login", {}, "", "", "not json", "10.0.0.1"});
  EXPECT_EQ(r.status, 400);
  r = api_->handle({"GET", "/api/login", {}, "", "", "", "10.0.0.1"});
  EXPECT_EQ(r.status, 405);
  r = api_->handle({"GET", "/elsewhere", {}, "", "", "", "10.0.0.1"});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(store_->admin_audit("", 10).value().size(), 0u);
}

}  // namespace ml::server::http::api_unit
