// The HTTP API's pieces without a network: the login limit's clock, the Cookie header, the
// series resolution, the [http] settings, and requests straight into Api::handle.
#include <gtest/gtest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/topic/names.hpp"
#include "password/limiter.hpp"
#include "password/password.hpp"
#include "server/client_address.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/http/views.hpp"
#include "server/ledger.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "sim_support.hpp"

namespace ml::server::http::api_unit {

using password::LoginLimiter;

TEST(LoginLimiter, LocksAnAccountAfterFiveFailuresForFifteenMinutes) {
  LoginLimiter limiter;
  const std::int64_t t0 = 1'800'000'000;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + i * 60), 0) << i;
  // Five counted within the window: locked until the oldest is 900 s old, from any address.
  EXPECT_EQ(limiter.begin("anna", "10.0.0.2", t0 + 240), 900 - 240);
  EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + 899), 1);
  // Another account at the same address goes on.
  EXPECT_EQ(limiter.begin("bo", "10.0.0.1", t0 + 300), 0);
  limiter.succeeded("bo", "10.0.0.1", t0 + 300);
  // Once the first failure leaves the window, four remain: allowed again.
  EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + 900), 0);
  // A success forgets the account's failures.
  limiter.succeeded("anna", "10.0.0.1", t0 + 900);
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + 901), 0) << i;
  EXPECT_GT(limiter.begin("anna", "10.0.0.1", t0 + 901), 0);
  // An unlock forgets them as well; an unlock stored before them does not.
  EXPECT_GT(limiter.begin("anna", "10.0.0.1", t0 + 902, t0 + 900), 0);
  EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + 902, t0 + 901), 0);
  limiter.unlock("anna");
  EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + 903), 0);
}

TEST(LoginLimiter, AnAddressIsLockedAfterTwentyFailures) {
  LoginLimiter limiter;
  const std::int64_t t0 = 1'800'000'000;
  for (int i = 0; i < LoginLimiter::kPerAddress; ++i)
    EXPECT_EQ(limiter.begin("user" + std::to_string(i), "10.0.0.1", t0), 0) << i;
  EXPECT_EQ(limiter.begin("anna", "10.0.0.1", t0 + 100), 800);
  EXPECT_EQ(limiter.begin("anna", "10.0.0.2", t0 + 100), 0);  // addresses are apart
}

TEST(LoginLimiter, ParallelAttemptsGetNoMoreChecksThanTheLimit) {
  LoginLimiter limiter;
  std::atomic<int> allowed{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 40; ++i) {
    threads.emplace_back([&] {
      if (limiter.begin("anna", "10.0.0.1", 1'800'000'000) == 0) ++allowed;
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(allowed.load(), LoginLimiter::kPerAccount);
}

TEST(LoginLimiter, MemoryIsBounded) {
  LoginLimiter limiter;
  for (std::size_t i = 0; i < LoginLimiter::kMaxKeys + 100; ++i) {
    const auto key = std::to_string(i);
    limiter.begin(key, key, static_cast<std::int64_t>(i));
  }
  // The newest key is still counted; the oldest made room.
  for (int i = 0; i < 5; ++i)
    limiter.begin("new", "10.0.0.1", 20000);
  EXPECT_GT(limiter.begin("new", "10.0.0.2", 20000), 0);
}

TEST(ContentType, OnlyJsonCounts) {
  EXPECT_TRUE(is_json_type("application/json"));
  EXPECT_TRUE(is_json_type("Application/JSON; charset=utf-8"));
  EXPECT_FALSE(is_json_type("text/plain"));
  EXPECT_FALSE(is_json_type("application/x-www-form-urlencoded"));
  EXPECT_FALSE(is_json_type("multipart/form-data; boundary=x"));
  EXPECT_FALSE(is_json_type("application/jsonx"));
  EXPECT_FALSE(is_json_type(""));
}

TEST(ClientAddress, XForwardedForOnlyFromATrustedPeer) {
  const std::vector<Network> trusted = {parse_network("10.0.0.0/8").value(),
                                        parse_network("::1").value()};
  // An untrusted peer is the client, whatever it claims.
  EXPECT_EQ(client_address("192.0.2.7", "203.0.113.9", trusted), "192.0.2.7");
  EXPECT_EQ(client_address("10.1.2.3", "", trusted), "10.1.2.3");
  // A trusted proxy: the right-most address that is not a trusted proxy.
  EXPECT_EQ(client_address("10.1.2.3", "203.0.113.9", trusted), "203.0.113.9");
  EXPECT_EQ(client_address("::1", "198.51.100.1, 203.0.113.9, 10.9.9.9", trusted), "203.0.113.9");
  EXPECT_EQ(client_address("::ffff:10.1.2.3", "203.0.113.9", trusted), "203.0.113.9");
  // Every hop trusted: the left-most; a bad entry stops the reading at the last good hop.
  EXPECT_EQ(client_address("10.1.2.3", "10.0.0.5,10.0.0.6", trusted), "10.0.0.5");
  EXPECT_EQ(client_address("10.1.2.3", "203.0.113.9, junk", trusted), "10.1.2.3");
  EXPECT_EQ(client_address("10.1.2.3", "junk, 10.0.0.6", trusted), "10.0.0.6");
  // Bounded: a huge header is read from its end only.
  EXPECT_EQ(client_address("10.1.2.3", std::string(100000, ',') + "203.0.113.9", trusted),
            "203.0.113.9");
  EXPECT_EQ(client_address("10.1.2.3", std::string(100000, '1'), trusted), "10.1.2.3");
  // Networks as configured.
  EXPECT_TRUE(is_inside("10.255.0.1", trusted));
  EXPECT_FALSE(is_inside("11.0.0.1", trusted));
  EXPECT_TRUE(is_inside("192.168.1.77", {parse_network("192.168.1.64/26").value()}));
  EXPECT_FALSE(is_inside("192.168.1.128", {parse_network("192.168.1.64/26").value()}));
  EXPECT_TRUE(is_inside("fd00::1", {parse_network("fd00::/8").value()}));
  EXPECT_FALSE(parse_network("10.0.0.0/33").ok());
  EXPECT_FALSE(parse_network("example.org").ok());
  EXPECT_FALSE(parse_network("10.0.0.0/").ok());
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
attention_cache_above = 5000
secure_cookies = true
trusted_proxies = ["127.0.0.1", "fd00::/8"]
request_timeout = 5
idle_timeout = 20
max_connections = 500
max_connections_per_address = 0
second_factor = "admins"
)",
                               "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->http.second_factor, SecondFactorRule::admins);
  EXPECT_EQ(ServerConfig{}.http.second_factor, SecondFactorRule::global_admin);
  auto factor = parse_server_config(
      "[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[http]\nsecond_factor = \"all\"\n",
      "/x.toml");
  ASSERT_FALSE(factor.ok());
  EXPECT_NE(factor.error().detail.find("http.second_factor"), std::string::npos)
      << factor.error().detail;
  // [residents]: the login page's address, the session's days, how to pay.
  EXPECT_EQ(ServerConfig{}.residents.session_days, 30);
  auto residents = parse_server_config(
      "[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[residents]\n"
      "url = \"https://heat.example.org/resident.html\"\nsession_days = 7\n"
      "payment = \"MobilePay 12 34 56 78, message {serial}\"\n",
      "/x.toml");
  ASSERT_TRUE(residents.ok()) << residents.error().message();
  EXPECT_EQ(residents->residents.url, "https://heat.example.org/resident.html");
  EXPECT_EQ(residents->residents.session_days, 7);
  EXPECT_EQ(residents->residents.payment, "MobilePay 12 34 56 78, message {serial}");
  for (const char* bad : {"url = \"heat.example.org\"", "session_days = 0", "colour = 1"}) {
    auto refused = parse_server_config(
        std::string("[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[residents]\n") + bad + "\n",
        "/x.toml");
    ASSERT_FALSE(refused.ok()) << bad;
    EXPECT_NE(refused.error().detail.find("residents."), std::string::npos)
        << refused.error().detail;
  }
  EXPECT_EQ(c->http.port, 8443);
  EXPECT_EQ(c->http.web_dir, "/etc/meterlogger/web");  // relative to the file
  EXPECT_EQ(c->http.session_hours, 8);
  EXPECT_EQ(c->http.offline_after_s, 600);
  EXPECT_EQ(c->http.attention_cache_above, 5000);
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
  auto negative = parse_server_config(
      "[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[http]\nattention_cache_above = -1\n",
      "/x.toml");
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.error().detail.find("http.attention_cache_above"), std::string::npos)
      << negative.error().detail;
  auto bad = parse_server_config(
      "[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[http]\n"
      "session_hours = 0\n",
      "/x.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("http.session_hours"), std::string::npos) << bad.error().detail;
  EXPECT_EQ(c->http.trusted_proxies.size(), 2u);
  EXPECT_TRUE(is_inside("fd00::7", c->http.trusted_proxies));
  for (const char* proxies : {"[\"10.0.0.0/33\"]", "[\"proxy.local\"]", "\"127.0.0.1\"", "[1]"}) {
    auto wrong = parse_server_config(
        std::string("[database]\npath = \"db\"\n[mqtt]\nhost = \"b\"\n[http]\ntrusted_proxies = ") +
            proxies + "\n",
        "/x.toml");
    ASSERT_FALSE(wrong.ok()) << proxies;
    EXPECT_NE(wrong.error().detail.find("http.trusted_proxies"), std::string::npos)
        << wrong.error().detail;
  }
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
    User u{"anna", "", Role::admin, {"Loppen"}, 0};
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
                         "10.0.0.1",
                         "application/json",
                         ""});
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
  EXPECT_EQ(api_->handle({"GET", "/api/session", {}, cookie, "", "", "10.0.0.1", "", ""}).status,
            200);
  now_ += 12 * 3600;  // [http] session_hours
  EXPECT_EQ(api_->handle({"GET", "/api/session", {}, cookie, "", "", "10.0.0.1", "", ""}).status,
            401);
}

TEST_F(ApiTest, BadRequestsAreNamedAndChangeNothing) {
  auto r = api_->handle(
      {"POST", "/api/login", {}, "", "", "{\"username\":5}", "10.0.0.1", "application/json", ""});
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("username must be a string"), std::string::npos) << r.body;
  r = api_->handle(
      {"POST", "/api/login", {}, "", "", "not json", "10.0.0.1", "application/json", ""});
  EXPECT_EQ(r.status, 400);
  r = api_->handle({"GET", "/api/login", {}, "", "", "", "10.0.0.1", "", ""});
  EXPECT_EQ(r.status, 405);
  r = api_->handle({"GET", "/elsewhere", {}, "", "", "", "10.0.0.1", "", ""});
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(store_->admin_audit("", 10).value().size(), 0u);
}

// A meter's rejected messages (a wrong key shows as bad_mac) and the serials that are no meter.
TEST_F(ApiTest, RejectionsByMeterAndUnknownSerials) {
  Rejection r;
  r.reason = "bad_mac";
  r.serial = "6892850";
  r.topic = "/sample/v2/6892850/1";
  r.time = now_ - 60;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.time = now_ - 30;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.reason = "unknown_serial";
  r.serial = "7654321";
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  const auto l = login();
  std::string cookie;
  for (const auto& [k, v] : l.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  auto got = api_->handle({"GET", "/api/meters/6892850", {}, cookie, "", "", "10.0.0.1", "", ""});
  ASSERT_EQ(got.status, 200) << got.body;
  const auto meter = nlohmann::json::parse(got.body);
  EXPECT_EQ(meter["rejected"]["bad_mac"]["count"], 2);
  EXPECT_EQ(meter["rejected"]["bad_mac"]["first_time"], now_ - 60);
  EXPECT_EQ(meter["rejected"]["bad_mac"]["last_time"], now_ - 30);
  EXPECT_TRUE(meter["offline_since"].is_null());
  got = api_->handle({"GET", "/api/unknown-serials", {}, cookie, "", "", "10.0.0.1", "", ""});
  ASSERT_EQ(got.status, 200) << got.body;
  const auto unknown = nlohmann::json::parse(got.body);
  ASSERT_EQ(unknown["serials"].size(), 1u) << got.body;
  EXPECT_EQ(unknown["serials"][0]["serial"], "7654321");
  EXPECT_EQ(unknown["serials"][0]["count"], 1);
}

// The estimate's fields in the meter list and page (docs/api.md): from the daily history, only
// for a meter with a valve.
TEST_F(ApiTest, MetersShowTheEstimate) {
  const auto l = login();
  std::string cookie;
  for (const auto& [k, v] : l.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  auto get = [&](const std::string& path) {
    auto got = api_->handle({"GET", path, {}, cookie, "", "", "10.0.0.1", "", ""});
    EXPECT_EQ(got.status, 200) << got.body;
    return nlohmann::json::parse(got.body);
  };
  // No valve: not prepaid, no estimate.
  auto meter = get("/api/meters/6892850");
  EXPECT_TRUE(meter["days_left"].is_null());
  EXPECT_TRUE(meter["closes_at"].is_null());
  EXPECT_EQ(meter["method"], "none");
  EXPECT_TRUE(meter["rate_kw"].is_null());
  EXPECT_EQ(meter["beyond_horizon"], false);
  // A valve, ten days of 1 kWh an hour up to now (a midnight), 48 kWh left: 2 days at 1 kW.
  Meter m = store_->meter("6892850").value().value();
  m.valve_installed = true;
  m.setup_value = core::Decimal::parse("1192").value();
  ASSERT_TRUE(store_->update_meter(m).ok());
  const std::int64_t midnight = now_ / 86400 * 86400;
  now_ = midnight;
  std::vector<IngestItem> items;
  for (int h = 0; h <= 240; ++h) {
    IngestItem i;
    i.kind = IngestItem::Kind::sample;
    i.serial = "6892850";
    i.time = midnight - (240 - h) * 3600;
    i.function = "sample";
    i.text = "t1=60 C&e1=" + std::to_string(1000 + h) + " kWh&";
    i.sample = core::sample::parse_sample(i.text).value();
    items.push_back(std::move(i));
  }
  ASSERT_TRUE(store_items(*store_, items, now_).ok());
  Payment p;
  p.serial = "6892850";
  p.amount = core::Decimal::parse("96").value();
  p.price = core::Decimal::parse("1").value();
  ASSERT_TRUE(record_payment(*store_, p, "anna", now_).ok());
  meter = get("/api/meters/6892850");
  EXPECT_EQ(meter["remaining"], "48");
  EXPECT_EQ(meter["days_left"], "2.00");
  EXPECT_EQ(meter["closes_at"], now_ + 2 * 86400);
  EXPECT_EQ(meter["method"], "recent");
  EXPECT_EQ(meter["rate_kw"], "1.000");
  // The existing fields keep their meaning: the last 24 hours of samples.
  EXPECT_EQ(meter["rate_per_hour"], "1.000");
  EXPECT_DOUBLE_EQ(meter["hours_remaining"].get<double>(), 48.0);
  const auto list = get("/api/meters")["meters"];
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["days_left"], "2.00");
  EXPECT_EQ(list[0]["method"], "recent");
  // A payment's preview: 24 kWh more lasts a day longer.
  const auto csrf = nlohmann::json::parse(l.body)["csrf"].get<std::string>();
  const auto preview = api_->handle({"POST",
                                     "/api/meters/6892850/payments/preview",
                                     {},
                                     cookie,
                                     csrf,
                                     R"({"amount":"24","price":"1"})",
                                     "10.0.0.1",
                                     "application/json",
                                     ""});
  ASSERT_EQ(preview.status, 200) << preview.body;
  const auto after = nlohmann::json::parse(preview.body);
  EXPECT_EQ(after["remaining_after"], "72");
  EXPECT_EQ(after["days_left_after"], "3.00");
  EXPECT_EQ(after["closes_at_after"], now_ + 3 * 86400);
  EXPECT_EQ(after["beyond_horizon_after"], false);
  EXPECT_EQ(after["method"], "recent");
}

// GET /api/meters/{serial}/gaps: the meter's interval and its gaps with their state, for a
// logged-in session only.
TEST_F(ApiTest, AMetersGapsAreListedWithTheirState) {
  const std::string path = "/api/meters/6892850/gaps";
  EXPECT_EQ(api_->handle({"GET", path, {}, "", "", "", "10.0.0.1", "", ""}).status, 401);
  const auto l = login();
  std::string cookie;
  for (const auto& [k, v] : l.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  std::vector<IngestItem> items;
  for (int i = 0; i < 20; ++i) {
    if (i >= 5 && i < 8) continue;  // three missing
    IngestItem x;
    x.kind = IngestItem::Kind::sample;
    x.serial = "6892850";
    x.time = now_ - 7200 + 300 * i;
    x.function = "sample";
    x.text = "e1=" + std::to_string(1000 + i) + " kWh&";
    x.sample = core::sample::parse_sample(x.text).value();
    items.push_back(std::move(x));
  }
  ASSERT_TRUE(store_items(*store_, items, now_).ok());
  const auto got = api_->handle({"GET", path, {}, cookie, "", "", "10.0.0.1", "", ""});
  ASSERT_EQ(got.status, 200) << got.body;
  const auto j = nlohmann::json::parse(got.body);
  EXPECT_EQ(j["interval"], 300);
  EXPECT_EQ(j["takes_resend"], false);  // no version reply yet
  ASSERT_EQ(j["gaps"].size(), 1u) << got.body;
  EXPECT_EQ(j["gaps"][0]["from"], now_ - 7200 + 1200 + 1);
  EXPECT_EQ(j["gaps"][0]["to"], now_ - 7200 + 2400 - 1);
  EXPECT_EQ(j["gaps"][0]["expected"], 3);
  EXPECT_EQ(j["gaps"][0]["state"], "open");
  EXPECT_TRUE(j["gaps"][0]["command"].is_null());
  EXPECT_EQ(
      api_->handle({"GET", "/api/meters/1234567/gaps", {}, cookie, "", "", "10.0.0.1", "", ""})
          .status,
      404);
}

// GET /api/commands: every command the server may queue, as the command table has it; only for a
// logged-in session.
TEST_F(ApiTest, TheCommandListIsTheTable) {
  EXPECT_EQ(api_->handle({"GET", "/api/commands", {}, "", "", "", "10.0.0.1", "", ""}).status, 401);
  const auto l = login();
  std::string cookie;
  for (const auto& [k, v] : l.headers)
    if (k == "Set-Cookie") cookie = v.substr(0, v.find(';'));
  const auto got = api_->handle({"GET", "/api/commands", {}, cookie, "", "", "10.0.0.1", "", ""});
  ASSERT_EQ(got.status, 200) << got.body;
  const auto list = nlohmann::json::parse(got.body)["commands"];
  std::size_t i = 0;
  for (const auto& c : core::topic::kCommands) {
    if (!c.operator_may_queue()) continue;  // cron's own `off` and `test`, set_key
    ASSERT_LT(i, list.size());
    const auto& row = list[i++];
    EXPECT_EQ(row["name"], c.name);
    EXPECT_EQ(row["argument"].is_null(), c.argument.empty()) << c.name;
    if (!c.argument.empty()) {
      EXPECT_EQ(row["argument"], c.argument);
    }
    EXPECT_EQ(row["feature"], core::topic::feature_name(c.feature));
    EXPECT_EQ(row["reply"].is_null(), c.reply.empty()) << c.name;
    EXPECT_EQ(row["confirmed_by"], c.confirming_function());
    EXPECT_EQ(row["secret"], c.secret != core::topic::Secret::none);
  }
  EXPECT_EQ(i, list.size());
  const auto named = [&](std::string_view name) {
    for (const auto& row : list)
      if (row["name"] == name) return row;
    return nlohmann::json();
  };
  EXPECT_TRUE(named("save").is_null());
  EXPECT_TRUE(named("off").is_null());
  EXPECT_EQ(named("open")["feature"], "valve");
  EXPECT_TRUE(named("open")["reply"].is_null());
  EXPECT_EQ(named("open")["confirmed_by"], "status");
  EXPECT_EQ(named("set_pwd")["secret"], true);
  EXPECT_EQ(named("start_ap")["feature"], "access_point");
  EXPECT_TRUE(named("version")["argument"].is_null());
  EXPECT_FALSE(named("open_until")["argument"].is_null());
  // Only GET.
  EXPECT_EQ(
      api_->handle(
              {"POST", "/api/commands", {}, cookie, "", "{}", "10.0.0.1", "application/json", ""})
          .status,
      403);  // no CSRF token: refused before the route
}

}  // namespace ml::server::http::api_unit
