// GET /api/attention (docs/api.md, "Needs attention"): a fresh SQLite store with two groups whose
// meters fill every list (an open alarm of each severity, meters offline, one running out of
// credit, a valve closed with credit left, one open with none, rejected messages, a command with
// no answer), asked straight through Api::handle by every kind of caller: each sees the meters
// it looks after and nobody else's.
#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/bytes.hpp"
#include "core/sample/sample.hpp"
#include "password/password.hpp"
#include "server/attention.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/http/api_support.hpp"
#include "server/ledger.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server/users.hpp"
#include "sim_support.hpp"

namespace ml::server::http::attention_api_unit {

using json = nlohmann::json;
namespace al = core::alarm;

constexpr std::int64_t kNow = 1'800'000'000;  // 2027-01-15 08:00 UTC

std::string token_of(const std::string& user) {
  std::string hex = core::to_hex(
      core::ByteView(reinterpret_cast<const unsigned char*>(user.data()), user.size()));
  hex.resize(64, '0');
  return hex;
}

std::string sha256_hex(const std::string& text) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(text.data()), text.size());
  return core::to_hex(core::ByteView(digest, sizeof digest));
}

IngestItem sample(const std::string& serial, std::int64_t time, const std::string& kwh) {
  IngestItem i;
  i.kind = IngestItem::Kind::sample;
  i.serial = serial;
  i.time = time;
  i.function = "sample";
  i.text = "e1=" + kwh + " kWh&";
  i.sample = core::sample::parse_sample(i.text).value();
  return i;
}

IngestItem valve(const std::string& serial, std::int64_t time, const std::string& status) {
  IngestItem i;
  i.kind = IngestItem::Kind::diagnostic;
  i.serial = serial;
  i.time = time;
  i.function = "status";
  i.text = status;
  return i;
}

// Loppen: L1 (valve closed, credit left), L2 (never seen: offline), L3 (valve open, no credit).
// Hald: R1 (running out in about a day), H1 and H2 (never seen: offline).
class AttentionApi : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(dir_.file("server.db")).value();
    meter("1000001", "Loppen", "L1", "500");
    meter("1000002", "Loppen", "L2", "0");
    meter("1000003", "Loppen", "L3", "0");
    meter("2000001", "Hald", "R1", "1000");
    meter("2000002", "Hald", "H1", "0");
    meter("2000003", "Hald", "H2", "0");
    pay("1000001", "100");  // 50 kWh
    pay("2000001", "100");  // 50 kWh: 1050 kWh, at 10 kWh a day about 1.25 days from 1037.5
    std::vector<IngestItem> items = {
        sample("1000001", kNow - 120, "510"), valve("1000001", kNow - 100, "close"),
        sample("1000003", kNow - 120, "10"), valve("1000003", kNow - 100, "open")};
    for (int k = 15; k >= 0; --k) {
      const int tenths = 10000 + (15 - k) * 25;  // 2.5 kWh every 6 hours
      items.push_back(sample("2000001", kNow - 60 - k * 6 * 3600,
                             std::to_string(tenths / 10) + "." + std::to_string(tenths % 10)));
    }
    ASSERT_TRUE(store_items(*store_, items, kNow).ok());

    // Alarms: critical on L1 (oldest), warning on L2 (newest), info on H1.
    alarm("1000001", al::Severity::critical, kNow - 3000);
    alarm("1000002", al::Severity::warning, kNow - 1000);
    alarm("2000002", al::Severity::info, kNow - 2000);

    // Rejections: H1's wrong key now, L1's clock two days ago (too old), an unknown device.
    reject("2000002", "bad_mac", kNow - 3600);
    reject("2000002", "bad_mac", kNow - 1800);
    reject("1000001", "implausible_time", kNow - 2 * 86400);
    reject("9999999", "unknown_serial", kNow - 600);

    // Commands: H1's version an hour ago with no answer; L1's a minute ago (too recent); L2's
    // superseded long ago.
    command("2000002", CommandState::sent, kNow - 3600);
    command("1000001", CommandState::sent, kNow - 60);
    command("1000002", CommandState::superseded, kNow - 7200);

    user("root", Role::admin, {"*"});
    user("anna", Role::admin, {"Loppen"});
    user("hald", Role::admin, {"Hald"});
    user("bo", Role::viewer, {});
    api_ = std::make_unique<Api>(*store_, config_, [] { return kNow; });
  }

  Response ask(const std::string& who) {
    Request r;
    r.method = "GET";
    r.path = "/api/attention";
    r.remote = "10.0.0.1";
    if (!who.empty()) r.cookie = std::string(kSessionCookie) + "=" + token_of(who);
    return api_->handle(r);
  }
  json attention(const std::string& who) {
    const auto resp = ask(who);
    EXPECT_EQ(resp.status, 200) << resp.body;
    return json::parse(resp.body);
  }

  static std::vector<std::string> serials(const json& list) {
    std::vector<std::string> out;
    for (const auto& row : list)
      out.push_back(row.at("serial").get<std::string>());
    return out;
  }

  void meter(const char* serial, const char* group, const char* name, const char* setup) {
    Meter m;
    m.serial = serial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = group;
    m.name = name;
    m.valve_installed = true;
    m.setup_value = core::Decimal::parse(setup).value();
    ASSERT_TRUE(store_->add_meter(m).ok());
  }
  void pay(const char* serial, const char* amount) {
    Payment p;
    p.serial = serial;
    p.time = kNow - 10 * 86400;
    p.amount = core::Decimal::parse(amount).value();
    p.price = core::Decimal::parse("2").value();
    ASSERT_TRUE(record_payment(*store_, p, "root", p.time).ok());
  }
  void alarm(const char* serial, al::Severity severity, std::int64_t raised) {
    AlarmRule rule;
    rule.name = std::string(al::severity_name(severity)) + " rule";
    rule.text = "offline";
    rule.severity = severity;
    const auto id = store_->insert_alarm_rule(rule).value();
    al::State s;
    s.rule_id = id;
    s.serial = serial;
    s.episode = store_->new_alarm_episode(id, serial, raised).value();
    s.status = al::Status::raised;
    s.raised = raised;
    s.last_true = raised;
    ASSERT_TRUE(store_->write_alarm_state(s).ok());
  }
  void reject(const char* serial, const char* reason, std::int64_t time) {
    Rejection r;
    r.reason = reason;
    r.serial = serial;
    r.topic = std::string("/sample/v2/") + serial + "/" + std::to_string(time);
    r.time = time;
    ASSERT_TRUE(store_rejection(*store_, r).ok());
  }
  void command(const char* serial, CommandState state, std::int64_t sent) {
    Command c;
    c.serial = serial;
    c.command = "version";
    c.state = state;
    c.created = sent;
    c.first_sent = sent;
    c.last_sent = sent;
    c.sent_count = 1;
    ASSERT_TRUE(store_->insert_command(c).ok());
  }
  void user(const char* name, Role role, std::vector<std::string> groups) {
    static const std::string shared = [] {
      std::string h;
      EXPECT_TRUE(password::hash_password("pass-word-1", &h));
      return h;
    }();
    User u{name, shared, role, std::move(groups), 0};
    ASSERT_TRUE(store_->add_user(u).ok());
    // Set up, as the default [http] second_factor asks of an admin of every group.
    ASSERT_TRUE(
        store_->put_second_factor(name, {"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", true, -1, 0}, {})
            .ok());
    Session s{name, std::string("csrf-") + name, kNow, kNow + 3600, "10.0.0.1"};
    ASSERT_TRUE(store_->insert_session(sha256_hex(token_of(name)), s).ok());
  }

  test::TempDir dir_;
  ServerConfig config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
};

using V = std::vector<std::string>;

TEST_F(AttentionApi, AnAdminOfEveryGroupSeesEveryList) {
  const json a = attention("root");
  EXPECT_EQ(a["now"], kNow);
  EXPECT_EQ(a["as_of"], kNow) << "a small fleet is read for the page";
  ASSERT_EQ(a["alarms"].size(), 3u);
  EXPECT_EQ(serials(a["alarms"]), (V{"1000001", "1000002", "2000002"})) << "critical first";
  EXPECT_EQ(a["alarms"][0]["severity"], "critical");
  EXPECT_EQ(a["alarms"][0]["name"], "L1");
  EXPECT_EQ(a["alarms"][0]["group"], "Loppen");
  EXPECT_EQ(a["alarms"][0]["status"], "raised");
  EXPECT_EQ(a["alarms"][0]["raised"], kNow - 3000);
  EXPECT_EQ(a["alarms"][1]["severity"], "warning");
  EXPECT_EQ(a["alarms"][2]["severity"], "info");
  auto off = serials(a["offline"]);
  std::sort(off.begin(), off.end());
  EXPECT_EQ(off, (V{"1000002", "2000002", "2000003"}));
  ASSERT_EQ(serials(a["running_out"]), V{"2000001"});
  const auto& r1 = a["running_out"][0];
  ASSERT_TRUE(r1["days_left"].is_string()) << r1.dump();
  const auto days = core::Decimal::parse(r1["days_left"].get<std::string>()).value();
  EXPECT_GT(core::compare(days, core::Decimal{}), 0);
  EXPECT_LT(core::compare(days, core::Decimal{false, 7, 0}), 0);
  EXPECT_TRUE(r1["method"].is_string());
  EXPECT_EQ(r1["remaining"], "12.5");
  EXPECT_EQ(serials(a["closed_with_credit"]), V{"1000001"});
  EXPECT_EQ(a["closed_with_credit"][0]["remaining"], "40");
  EXPECT_EQ(a["closed_with_credit"][0]["valve"], "close");
  EXPECT_EQ(serials(a["used_up"]), V{"1000003"});
  EXPECT_EQ(serials(a["rejected"]), (V{"9999999", "2000002"})) << "the most recent first";
  EXPECT_EQ(a["rejected"][0]["meter"], false);
  EXPECT_EQ(a["rejected"][1]["reason"], "bad_mac");
  EXPECT_EQ(a["rejected"][1]["count"], 2);
  EXPECT_EQ(a["rejected"][1]["last_time"], kNow - 1800);
  ASSERT_EQ(serials(a["unanswered"]), V{"2000002"});
  EXPECT_EQ(a["unanswered"][0]["command"], "version");
  EXPECT_EQ(a["unanswered"][0]["sent"], kNow - 3600);
  EXPECT_EQ(a["counts"]["alarms"], 3);
  EXPECT_EQ(a["counts"]["offline"], 3);
  EXPECT_EQ(a["counts"]["rejected"], 2);
  EXPECT_EQ(a["counts"]["unanswered"], 1);
  EXPECT_EQ(a["limit"], kListLimit);

  ASSERT_EQ(a["groups"].size(), 2u);
  const auto& hald = a["groups"][0];
  const auto& loppen = a["groups"][1];
  EXPECT_EQ(hald["group"], "Hald");
  EXPECT_EQ(hald["meters"], 3);
  EXPECT_EQ(hald["online"], 1);
  EXPECT_EQ(hald["offline"], 2);
  EXPECT_EQ(loppen["group"], "Loppen");
  EXPECT_EQ(loppen["meters"], 3);
  EXPECT_EQ(loppen["online"], 2);
  EXPECT_EQ(loppen["offline"], 1);
  EXPECT_EQ(loppen["today"], "0");
  const auto today = core::Decimal::parse(hald["today"].get<std::string>()).value();
  const auto month = core::Decimal::parse(hald["month"].get<std::string>()).value();
  EXPECT_GT(core::compare(today, core::Decimal{}), 0) << hald.dump();
  EXPECT_GT(core::compare(month, today), 0) << "three more days this month";
  ASSERT_EQ(hald["daily"].size(), static_cast<std::size_t>(kSummaryDays));
  EXPECT_EQ(hald["daily"].back()[0], kNow / 86400 * 86400) << "today's start, last";
  EXPECT_EQ(hald["daily"].back()[1], hald["today"]);
}

TEST_F(AttentionApi, AnAdminOfOneGroupSeesOnlyItsMeters) {
  const json a = attention("anna");
  EXPECT_EQ(serials(a["alarms"]), (V{"1000001", "1000002"}));
  EXPECT_EQ(serials(a["offline"]), V{"1000002"});
  EXPECT_TRUE(a["running_out"].empty());
  EXPECT_EQ(serials(a["closed_with_credit"]), V{"1000001"});
  EXPECT_EQ(serials(a["used_up"]), V{"1000003"});
  EXPECT_TRUE(a["rejected"].empty()) << "L1's is two days old; the unknown device is not theirs";
  EXPECT_TRUE(a["unanswered"].empty()) << "L1's command is a minute old";
  ASSERT_EQ(a["groups"].size(), 1u);
  EXPECT_EQ(a["groups"][0]["group"], "Loppen");
  EXPECT_EQ(a["counts"]["alarms"], 2);
}

TEST_F(AttentionApi, AnAdminOfTheOtherGroupSeesOnlyItsMeters) {
  const json a = attention("hald");
  EXPECT_EQ(serials(a["alarms"]), V{"2000002"});
  auto off = serials(a["offline"]);
  std::sort(off.begin(), off.end());
  EXPECT_EQ(off, (V{"2000002", "2000003"}));
  EXPECT_EQ(serials(a["running_out"]), V{"2000001"});
  EXPECT_TRUE(a["closed_with_credit"].empty());
  EXPECT_TRUE(a["used_up"].empty());
  EXPECT_EQ(serials(a["rejected"]), V{"2000002"});
  EXPECT_EQ(serials(a["unanswered"]), V{"2000002"});
  ASSERT_EQ(a["groups"].size(), 1u);
  EXPECT_EQ(a["groups"][0]["group"], "Hald");
}

// A viewer has no groups and sees every meter (docs/api.md, "Roles"), not the unknown devices.
TEST_F(AttentionApi, AViewerSeesEveryMeterButNoUnknownDevice) {
  const json a = attention("bo");
  EXPECT_EQ(a["alarms"].size(), 3u);
  EXPECT_EQ(a["offline"].size(), 3u);
  EXPECT_EQ(serials(a["rejected"]), V{"2000002"});
  EXPECT_EQ(serials(a["unanswered"]), V{"2000002"});
  EXPECT_EQ(a["groups"].size(), 2u);
}

// A viewer given groups (kept by an older store; `users` gives a viewer none) sees those only.
TEST_F(AttentionApi, AViewerOfOneGroupSeesOnlyIt) {
  user("vera", Role::viewer, {"Hald"});
  const json a = attention("vera");
  EXPECT_EQ(serials(a["alarms"]), V{"2000002"});
  EXPECT_EQ(serials(a["running_out"]), V{"2000001"});
  EXPECT_TRUE(a["used_up"].empty());
  ASSERT_EQ(a["groups"].size(), 1u);
  EXPECT_EQ(a["groups"][0]["group"], "Hald");
}

// A list holds at most kListLimit rows; its count says how many there are.
TEST_F(AttentionApi, ListsAreCappedAndCounted) {
  for (int i = 0; i < kListLimit; ++i)
    meter(std::to_string(3000000 + i).c_str(), "Big", "", "0");
  const json a = attention("root");
  EXPECT_EQ(a["offline"].size(), static_cast<std::size_t>(kListLimit));
  EXPECT_EQ(a["counts"]["offline"], kListLimit + 3);
  EXPECT_EQ(a["groups"][0]["group"], "Big");
  EXPECT_EQ(a["groups"][0]["offline"], kListLimit);
}

// Beyond [http] attention_cache_above meters the page answers from the kept reading (renewed in
// the background: fleet_summary_test.cpp); each caller still sees only its groups.
TEST_F(AttentionApi, ALargeFleetsPageComesFromTheKeptReadingFilteredByGroup) {
  config_.http.attention_cache_above = 3;
  api_ = std::make_unique<Api>(*store_, config_, [] { return kNow; });
  const json before = attention("root");
  EXPECT_EQ(before["as_of"], kNow);
  EXPECT_EQ(before["counts"]["offline"], 3);
  meter("3000001", "Big", "B1", "0");  // never seen: offline, once the fleet is read again
  const json kept = attention("root");
  EXPECT_EQ(kept["counts"]["offline"], 3) << "the kept reading";
  EXPECT_EQ(kept["groups"].size(), 2u);
  const json anna = attention("anna");
  EXPECT_EQ(serials(anna["offline"]), V{"1000002"});
  ASSERT_EQ(anna["groups"].size(), 1u);
  EXPECT_EQ(anna["groups"][0]["group"], "Loppen");
  EXPECT_EQ(attention("bo")["counts"]["offline"], 3);
}

// The meter list of a large fleet picks its page from the meters' rows kept between requests
// (a meter added since is not listed yet), and reads the page's meters afresh.
TEST_F(AttentionApi, ALargeFleetsMeterListPicksFromKeptRowsAndReadsThePageAfresh) {
  config_.http.attention_cache_above = 3;
  api_ = std::make_unique<Api>(*store_, config_, [] { return kNow; });
  auto list = [&] {
    Request r;
    r.method = "GET";
    r.path = "/api/meters";
    r.query = {{"limit", "100"}};
    r.remote = "10.0.0.1";
    r.cookie = std::string(kSessionCookie) + "=" + token_of("root");
    const auto resp = api_->handle(r);
    EXPECT_EQ(resp.status, 200) << resp.body;
    return json::parse(resp.body);
  };
  const json before = list();
  EXPECT_EQ(before["as_of"], kNow);
  EXPECT_EQ(before["total"], 6);
  meter("3000001", "Big", "B1", "0");
  ASSERT_TRUE(store_items(*store_, {sample("1000002", kNow - 10, "7")}, kNow).ok());
  const json kept = list();
  EXPECT_EQ(kept["total"], 6) << "the kept rows";
  EXPECT_FALSE(kept["groups"].contains("Big"));
  bool seen = false;
  for (const auto& m : kept["meters"]) {
    if (m["serial"] != "1000002") continue;
    seen = true;
    EXPECT_EQ(m["last_seen"], kNow - 10) << "the page's meters are read afresh";
    EXPECT_EQ(m["latest"]["time"], kNow - 10) << m.dump();
  }
  EXPECT_TRUE(seen);
}

// The broker's dropped messages ($SYS, recorded by `run`): shown for a day after the count last
// grew, to an admin of every group only.
TEST_F(AttentionApi, TheBrokerDroppingMessagesIsShownToFleetAdminsForADay) {
  EXPECT_TRUE(attention("root")["broker"].is_null());  // never heard
  ASSERT_TRUE(store_->record_broker_health({15, kNow - 60, kNow - 3600}).ok());
  const json a = attention("root");
  ASSERT_TRUE(a["broker"].is_object()) << a.dump();
  EXPECT_EQ(a["broker"]["dropped"], 15);
  EXPECT_EQ(a["broker"]["increased"], kNow - 3600);
  EXPECT_EQ(a["broker"]["heard"], kNow - 60);
  EXPECT_TRUE(attention("anna")["broker"].is_null());  // one group's admin
  EXPECT_TRUE(attention("bo")["broker"].is_null());    // a viewer
  ASSERT_TRUE(store_->record_broker_health({15, kNow - 60, kNow - 2 * 86400}).ok());
  EXPECT_TRUE(attention("root")["broker"].is_null());  // the last drop is two days old
}

TEST_F(AttentionApi, NoSessionIsRefused) {
  EXPECT_EQ(ask("").status, 401);
  Request post;
  post.method = "POST";
  post.path = "/api/attention";
  post.content_type = "application/json";
  post.body = "{}";
  post.cookie = std::string(kSessionCookie) + "=" + token_of("root");
  post.csrf = "csrf-root";
  EXPECT_EQ(api_->handle(post).status, 404) << "GET only";
}

}  // namespace ml::server::http::attention_api_unit
