// The dashboard's admin routes (docs/api.md): meter settings and removal, voiding and correcting
// payments, users, the audit log's filters and pages, the alarms, alarm rules and notifications,
// each asked by every kind of caller (an admin of every group, an admin of another group, an admin
// of the meter's group, a viewer, no session, a POST without its CSRF header) on a fresh SQLite
// store, straight into Api::handle.
#include <gtest/gtest.h>
#include <sodium.h>

#include <array>
#include <map>
#include <nlohmann/json.hpp>

#include "api_test_support.hpp"
#include "core/bytes.hpp"
#include "core/sample/sample.hpp"
#include "core/totp/totp.hpp"
#include "password/password.hpp"
#include "server/alarm_round.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/ledger.hpp"
#include "server/sender.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server/users.hpp"
#include "sim_support.hpp"

namespace ml::server::http::admin_api_unit {

using json = nlohmann::json;

constexpr const char* kSerial = "6892850";

// Who asks. The session's token is the user's name padded to 64 hex digits.
enum class Who : std::uint8_t { global, other_group, meter_group, viewer, nobody, no_csrf };
struct Caller {
  Who who;
  const char* user;
  const char* label;
};
inline constexpr std::array<Caller, 6> kCallers{{
    {Who::global, "root", "admin of every group"},
    {Who::other_group, "hald", "admin of another group"},
    {Who::meter_group, "anna", "admin of the meter's group"},
    {Who::viewer, "bo", "viewer"},
    {Who::nobody, "", "no session"},
    {Who::no_csrf, "anna", "no CSRF header"},
}};

using api_test::shared_hash;
using api_test::token_of;

// A store with meter 6892850 (group Loppen, with a valve and a payment), and the four users
// with a session each.
class AdminApi {
 public:
  AdminApi() {
    store_ = SqliteStore::open(dir_.file("server.db")).value();
    Meter m;
    m.serial = kSerial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = "Loppen";
    m.name = "Loppen 1";
    m.valve_installed = true;
    EXPECT_TRUE(store_->add_meter(m).ok());
    Payment p;
    p.serial = kSerial;
    p.time = now_ - 100;
    p.amount = core::Decimal::parse("100").value();
    p.price = core::Decimal::parse("2").value();
    p.note = "first";
    payment_ = add_payment(*store_, p, "anna", now_ - 100).value().id;
    add("root", Role::admin, {"*"});
    add("hald", Role::admin, {"Hald"});
    add("anna", Role::admin, {"Loppen"});
    add("bo", Role::viewer, {});
    api_ = std::make_unique<Api>(*store_, config_, [this] { return now_; });
  }

  Response ask(const Caller& c, const std::string& method, const std::string& path,
               const std::string& body = "{}", std::map<std::string, std::string> query = {}) {
    Request r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    r.remote = "10.0.0.1";
    r.content_type = "application/json";
    r.body = method == "GET" ? "" : body;
    if (c.who != Who::nobody) r.cookie = std::string(kSessionCookie) + "=" + token_of(c.user);
    if (c.who != Who::nobody && c.who != Who::no_csrf) r.csrf = std::string("csrf-") + c.user;
    return api_->handle(r);
  }
  Response as(const char* user, const std::string& method, const std::string& path,
              const std::string& body = "{}", std::map<std::string, std::string> query = {}) {
    for (const auto& c : kCallers)
      if (c.who != Who::no_csrf && std::string(c.user) == user)
        return ask(c, method, path, body, std::move(query));
    return {};
  }

  int audit_count(const std::string& action) {
    int n = 0;
    const auto entries = store_->admin_audit("", 1000).value();  // kept: the loop reads it
    for (const auto& e : entries)
      n += e.action == action ? 1 : 0;
    return n;
  }

  SqliteStore& store() { return *store_; }
  Api& api() { return *api_; }
  ServerConfig& config() { return config_; }  // the Api reads it on every request
  std::int64_t payment() const { return payment_; }
  std::int64_t now_ = 1'800'000'000;

 private:
  void add(const char* name, Role role, std::vector<std::string> groups) {
    api_test::add_staff(*store_, name, role, std::move(groups), now_);
  }

  test::TempDir dir_;
  ServerConfig config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
  std::int64_t payment_ = 0;
};

// Runs `request` once per caller, each on a fresh store, and expects the statuses in kCallers'
// order; `changed` tells whether the request did its work (checked on every caller; none for a
// GET).
using Check = std::function<bool(AdminApi&)>;
void expect_statuses(const std::function<Response(AdminApi&, const Caller&)>& request,
                     const std::array<int, 6>& statuses, const Check& changed) {
  for (std::size_t i = 0; i < kCallers.size(); ++i) {
    AdminApi a;
    const auto r = request(a, kCallers[i]);
    EXPECT_EQ(r.status, statuses[i]) << kCallers[i].label << ": " << r.body;
    const bool ok = r.status >= 200 && r.status < 300;
    if (changed) {
      EXPECT_EQ(changed(a), ok) << kCallers[i].label;
    }
  }
}

constexpr std::array<int, 6> kMeterAdmins{200, 403, 200, 403, 401, 403};
constexpr std::array<int, 6> kGlobalOnly{200, 403, 403, 403, 401, 403};

TEST(AdminApiRoles, MeterSettings) {
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/meters/6892850/settings",
                     R"({"name":"Loppen 2","setup_value":"12.5","valve_installed":false})");
      },
      kMeterAdmins,
      [](AdminApi& a) { return a.store().meter(kSerial).value()->name == "Loppen 2"; });
}

// The customer's contact: set with the settings by the meter's admins, checked, shown only to
// them, audited without the addresses.
TEST(AdminApiRoles, MeterContact) {
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/meters/6892850/settings",
                     R"({"contact_email":"kunde@example.org","contact_phone":"+4512345678"})");
      },
      kMeterAdmins,
      [](AdminApi& a) {
        const auto m = a.store().meter(kSerial).value();
        return m->contact_email == "kunde@example.org" && m->contact_phone == "+4512345678";
      });
  AdminApi a;
  const std::string path = "/api/meters/6892850/settings";
  EXPECT_EQ(a.as("anna", "POST", path, R"({"contact_email":"kunde@example.org"})").status, 200);
  EXPECT_EQ(a.as("anna", "POST", path, R"({"contact_email":"not an address"})").status, 400);
  EXPECT_EQ(a.as("anna", "POST", path, R"({"contact_phone":"12"})").status, 400);
  EXPECT_EQ(a.as("anna", "POST", path, R"({"contact_name":"a\nb"})").status, 400);
  EXPECT_EQ(a.store().meter(kSerial).value()->contact_email, "kunde@example.org")
      << "a refused request changes nothing";
  // A setting without the contact keeps it; "" clears it.
  EXPECT_EQ(a.as("anna", "POST", path, R"({"name":"Loppen 3"})").status, 200);
  EXPECT_EQ(a.store().meter(kSerial).value()->contact_email, "kunde@example.org");
  const auto shown = json::parse(a.as("anna", "GET", "/api/meters/6892850").body);
  EXPECT_EQ(shown["contact_email"], "kunde@example.org");
  const auto viewer = json::parse(a.as("bo", "GET", "/api/meters/6892850").body);
  EXPECT_FALSE(viewer.contains("contact_email")) << "a viewer does not see the customer's contact";
  EXPECT_EQ(a.as("anna", "POST", path, R"({"contact_email":""})").status, 200);
  EXPECT_EQ(a.store().meter(kSerial).value()->contact_email, "");
  bool named = false;
  const auto entries = a.store().admin_audit("", 100).value();  // kept: the loop reads it
  for (const auto& e : entries) {
    EXPECT_EQ(e.detail.find("kunde@"), std::string::npos) << e.detail;
    named = named || e.detail.find("contact changed: contact_email") != std::string::npos;
  }
  EXPECT_TRUE(named);
}

TEST(AdminApiRoles, MeterRemoval) {
  auto removed = [](AdminApi& a) { return !a.store().meter(kSerial).value().has_value(); };
  std::array<int, 6> statuses = kMeterAdmins;
  statuses[0] = statuses[2] = 204;
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/meters/6892850/remove", R"({"confirm":"6892850"})");
      },
      statuses, removed);
}

TEST(AdminApiRoles, PaymentVoidAndCorrection) {
  auto voided = [](AdminApi& a) {
    return a.store().payment(a.payment()).value()->state == PaymentState::voided;
  };
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/payments/" + std::to_string(a.payment()) + "/void",
                     R"({"reason":"paid twice"})");
      },
      kMeterAdmins, voided);
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/payments/" + std::to_string(a.payment()) + "/correct",
                     R"({"amount":"80","reason":"typo"})");
      },
      kMeterAdmins, voided);
}

TEST(AdminApiRoles, Users) {
  expect_statuses([](AdminApi& a, const Caller& c) { return a.ask(c, "GET", "/api/users"); },
                  {200, 403, 403, 403, 401, 403 /* GET needs no CSRF: anna is refused anyway */},
                  nullptr);
  std::array<int, 6> created = kGlobalOnly;
  created[0] = 201;
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/users", R"({"name":"carl","role":"viewer"})");
      },
      created, [](AdminApi& a) { return a.store().user("carl").value().has_value(); });
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/users/bo", R"({"role":"admin","groups":["Loppen"]})");
      },
      kGlobalOnly, [](AdminApi& a) { return a.store().user("bo").value()->role == Role::admin; });
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/users/bo/password", R"({"password":"another-pass"})");
      },
      kGlobalOnly,
      [](AdminApi& a) { return a.store().user("bo").value()->password_hash != shared_hash(); });
  std::array<int, 6> removed = kGlobalOnly;
  removed[0] = 204;
  expect_statuses(
      [](AdminApi& a, const Caller& c) { return a.ask(c, "POST", "/api/users/bo/remove"); },
      removed, [](AdminApi& a) { return !a.store().user("bo").value().has_value(); });
  expect_statuses(
      [](AdminApi& a, const Caller& c) { return a.ask(c, "POST", "/api/users/bo/unlock"); },
      kGlobalOnly, [](AdminApi& a) { return a.store().user("bo").value()->unlocked_at != 0; });
}

// A user's own second factor: everyone with a session reads theirs; a reset of another's is the
// global admin's.
TEST(AdminApiRoles, SecondFactor) {
  expect_statuses(
      [](AdminApi& a, const Caller& c) { return a.ask(c, "GET", "/api/second-factor"); },
      {200, 200, 200, 200, 401, 200}, nullptr);
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        EXPECT_TRUE(
            a.store().put_second_factor("bo", {"JBSWY3DPEHPK3PXPJBSWY3DP", true, 5, 0}, {}).ok());
        return a.ask(c, "POST", "/api/users/bo/second-factor-reset");
      },
      kGlobalOnly, [](AdminApi& a) { return !a.store().second_factor("bo").value().has_value(); });
  // Setting one up: anyone (the global admin has one already: 409).
  expect_statuses(
      [](AdminApi& a, const Caller& c) { return a.ask(c, "POST", "/api/second-factor/begin"); },
      {409, 200, 200, 200, 401, 403}, nullptr);
}

TEST(AdminApiRoles, AuditLog) {
  expect_statuses([](AdminApi& a, const Caller& c) { return a.ask(c, "GET", "/api/audit"); },
                  {200, 200, 200, 403, 401, 200 /* a GET needs no CSRF header */}, nullptr);
}

// The list's pages: every role reads them; can_admin follows the caller's groups.
TEST(AdminApiRoles, MeterListPages) {
  const std::array<bool, 6> admins{true, false, true, false, false, true};
  for (std::size_t i = 0; i < kCallers.size(); ++i) {
    AdminApi a;
    const auto r = a.ask(kCallers[i], "GET", "/api/meters", "", {{"limit", "10"}});
    const int want = kCallers[i].who == Who::nobody ? 401 : 200;
    ASSERT_EQ(r.status, want) << kCallers[i].label << ": " << r.body;
    if (want != 200) continue;
    const auto j = nlohmann::json::parse(r.body);
    ASSERT_EQ(j["meters"].size(), 1u) << kCallers[i].label;
    EXPECT_EQ(j["meters"][0]["can_admin"], admins[i]) << kCallers[i].label;
  }
}

// ---- what each route does ----

// A page of the list: the page's meters with their views, the total and the groups' counts of
// every match; bad parameters are named.
TEST(AdminApi, TheMeterListIsPagedSortedAndSearched) {
  AdminApi a;
  for (int i = 0; i < 30; ++i) {
    Meter m;
    m.serial = std::to_string(7000000 + i);
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = i % 3 == 0 ? "Hald" : "Loppen";
    m.name = "Vej " + std::to_string(i);
    ASSERT_TRUE(a.store().add_meter(m).ok());
  }
  auto page = [&](std::map<std::string, std::string> query) {
    const auto r = a.as("bo", "GET", "/api/meters", "", std::move(query));
    EXPECT_EQ(r.status, 200) << r.body;
    return nlohmann::json::parse(r.body);
  };
  auto j = page({{"limit", "5"}, {"offset", "8"}});
  EXPECT_EQ(j["total"], 31);
  EXPECT_EQ(j["offset"], 8);
  EXPECT_EQ(j["limit"], 5);
  EXPECT_EQ(j["groups"], nlohmann::json::parse(R"({"Hald": 10, "Loppen": 21})"));
  ASSERT_EQ(j["meters"].size(), 5u);  // Hald's last two of 10, then Loppen's first three
  EXPECT_EQ(j["meters"][0]["serial"], "7000024");
  EXPECT_EQ(j["meters"][1]["serial"], "7000027");
  EXPECT_EQ(j["meters"][2]["serial"], "6892850");
  EXPECT_EQ(j["meters"][2]["group"], "Loppen");
  j = page({{"limit", "100"}, {"offset", "10"}});
  ASSERT_EQ(j["meters"].size(), 21u);
  EXPECT_EQ(j["meters"][0]["serial"], "6892850");
  EXPECT_TRUE(j["meters"][0].contains("latest"));  // the same view as the whole list
  j = page({{"limit", "3"}, {"q", "VEJ 2"}, {"group", "Loppen"}, {"order", "desc"}});
  EXPECT_EQ(j["total"], 8);  // Vej 2, 20, 22, 23, 25, 26, 28, 29
  ASSERT_EQ(j["meters"].size(), 3u);
  EXPECT_EQ(j["meters"][0]["serial"], "7000029");
  EXPECT_EQ(j["meters"][2]["serial"], "7000026");
  const auto bad = a.as("bo", "GET", "/api/meters", "", {{"limit", "5"}, {"sort", "power"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("sort must be serial, name or last_seen"), std::string::npos);
  // Without `limit`: every meter, as before.
  EXPECT_EQ(page({})["meters"].size(), 31u);
}

TEST(AdminApi, SettingsChangeWhatIsGivenAndAKeyIsAnsweredOnce) {
  AdminApi a;
  auto r = a.as("anna", "POST", "/api/meters/6892850/settings",
                R"({"kind":"water","setup_value":"3.250","generate_key":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = json::parse(r.body);
  ASSERT_TRUE(j.contains("key"));
  const std::string key = j["key"];
  EXPECT_EQ(key.size(), 32u);
  const auto m = a.store().meter(kSerial).value();
  EXPECT_EQ(m->key_hex, key);
  EXPECT_EQ(m->name, "Loppen 1");                  // not given: kept
  EXPECT_EQ(m->setup_value.to_string(), "3.250");  // the digits as typed
  EXPECT_TRUE(m->valve_installed);
  // The key is never answered again, nor written to the audit log.
  for (const char* path : {"/api/meters/6892850", "/api/meters", "/api/audit"}) {
    const auto got = a.as("root", "GET", path);
    ASSERT_EQ(got.status, 200) << path << got.body;
    EXPECT_EQ(got.body.find(key), std::string::npos) << path;
  }
  const auto audit = a.store().admin_audit(kSerial, 10).value();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0].action, "meter.edit");
  EXPECT_NE(audit[0].detail.find("new key"), std::string::npos) << audit[0].detail;
  EXPECT_NE(audit[0].detail.find("kind"), std::string::npos) << audit[0].detail;
  // A key cannot be typed in here; a bad value is named.
  r = a.as("anna", "POST", "/api/meters/6892850/settings", R"({"key":"00"})");
  EXPECT_EQ(r.status, 400);
  r = a.as("anna", "POST", "/api/meters/6892850/settings", R"({"setup_value":"-1"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("setup_value"), std::string::npos) << r.body;
  // Moving to a group the admin does not hold is refused; the global admin may.
  r = a.as("anna", "POST", "/api/meters/6892850/settings", R"({"group":"Hald"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(a.store().meter(kSerial).value()->group, "Loppen");
  r = a.as("root", "POST", "/api/meters/6892850/settings", R"({"group":"Hald"})");
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.store().meter(kSerial).value()->group, "Hald");
}

TEST(AdminApi, RemovalNeedsTheSerialAndKeepsTheHistory) {
  AdminApi a;
  auto r = a.as("anna", "POST", "/api/meters/6892850/remove", R"({"confirm":"6892851"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_TRUE(a.store().meter(kSerial).value().has_value());
  r = a.as("anna", "POST", "/api/meters/6892850/remove", "{}");
  EXPECT_EQ(r.status, 400);
  r = a.as("anna", "POST", "/api/meters/6892850/remove", R"({"confirm":"6892850"})");
  EXPECT_EQ(r.status, 204) << r.body;
  EXPECT_FALSE(a.store().meter(kSerial).value().has_value());
  EXPECT_EQ(a.as("anna", "GET", "/api/meters/6892850").status, 404);
  // The ledger stays (and the audit entry names what was removed).
  EXPECT_EQ(a.store().payments(kSerial).value().size(), 1u);
  EXPECT_EQ(a.audit_count("meter.remove"), 1);
}

TEST(AdminApi, AVoidOrCorrectionNeedsAReasonThatIsAudited) {
  AdminApi a;
  const std::string path = "/api/payments/" + std::to_string(a.payment());
  auto r = a.as("anna", "POST", path + "/void", "{}");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("reason"), std::string::npos) << r.body;
  r = a.as("anna", "POST", path + "/void", R"({"reason":"   "})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(a.store().payment(a.payment()).value()->state, PaymentState::active);
  r = a.as("anna", "POST", path + "/correct", R"({"amount":"80","reason":"typed 100 for 80"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto fresh = json::parse(r.body)["id"].get<std::int64_t>();
  const auto entry = a.store().payment(fresh).value();
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->amount.to_string(), "80");
  EXPECT_EQ(entry->price.to_string(), "2");  // kept
  EXPECT_EQ(entry->replaces, a.payment());
  EXPECT_EQ(json::parse(r.body)["open_until"], "40");
  auto audit = a.store().admin_audit(kSerial, 10).value();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit[0].action, "payment.correct");
  EXPECT_NE(audit[0].detail.find("reason: typed 100 for 80"), std::string::npos);
  // The corrected entry is void already: a second change is a conflict.
  r = a.as("anna", "POST", path + "/void", R"({"reason":"again"})");
  EXPECT_EQ(r.status, 409) << r.body;
  r = a.as("anna", "POST", "/api/payments/" + std::to_string(fresh) + "/void",
           R"({"reason":"refunded"})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["open_until"], "0");
  EXPECT_EQ(a.store().admin_audit(kSerial, 10).value()[0].detail.find("#" + std::to_string(fresh)),
            0u);
  // The payments list shows each entry's state and the reason it was changed.
  const auto list = json::parse(a.as("bo", "GET", "/api/meters/6892850/payments").body);
  ASSERT_EQ(list["payments"].size(), 2u);
  EXPECT_EQ(list["payments"][0]["state"], "void");
  EXPECT_EQ(list["payments"][0]["change"]["reason"], "typed 100 for 80");
  EXPECT_EQ(list["payments"][0]["change"]["action"], "correct");
  EXPECT_EQ(list["payments"][0]["change"]["actor"], "anna");
  EXPECT_EQ(list["payments"][1]["change"]["reason"], "refunded");
  // A bad amount is the client's error, named.
  r = a.as("anna", "POST", "/api/payments/" + std::to_string(fresh + 1) + "/correct",
           R"({"amount":"-5","reason":"x"})");
  EXPECT_EQ(r.status, 404) << r.body;  // no such entry yet
  ASSERT_EQ(a.as("anna", "POST", "/api/meters/6892850/payments",
                 R"({"amount":"10","price":"2","note":""})")
                .status,
            201);
  r = a.as("anna", "POST", "/api/payments/" + std::to_string(fresh + 1) + "/correct",
           R"({"amount":"-5","reason":"x"})");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_NE(r.body.find("amount"), std::string::npos) << r.body;
  // No such payment.
  EXPECT_EQ(a.as("anna", "POST", "/api/payments/999/void", R"({"reason":"x"})").status, 404);
  EXPECT_EQ(a.as("anna", "POST", "/api/payments/x1/void", R"({"reason":"x"})").status, 404);
}

TEST(AdminApi, UsersAreAddedChangedAndRemovedByTheGlobalAdmin) {
  AdminApi a;
  // A password made by the server is answered once; one given is not echoed.
  auto r = a.as("root", "POST", "/api/users", R"({"name":"carl","role":"admin","groups":"Hald"})");
  ASSERT_EQ(r.status, 201) << r.body;
  const std::string made = json::parse(r.body)["password"];
  EXPECT_EQ(made.size(), 20u);
  EXPECT_TRUE(password::verify_password(a.store().user("carl").value()->password_hash, made));
  r = a.as("root", "POST", "/api/users", R"({"name":"dora","password":"dora-password"})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_FALSE(json::parse(r.body).contains("password"));
  EXPECT_EQ(a.store().user("dora").value()->role, Role::viewer);
  // Refusals name what was wrong.
  r = a.as("root", "POST", "/api/users", R"({"name":"dora","password":"dora-password"})");
  EXPECT_EQ(r.status, 409);
  r = a.as("root", "POST", "/api/users", R"({"name":"eve","role":"admin"})");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("groups"), std::string::npos) << r.body;
  r = a.as("root", "POST", "/api/users", R"({"name":"eve","password":"short"})");
  EXPECT_EQ(r.status, 400);
  r = a.as("root", "POST", "/api/users", R"({"name":"eve","groups":[1]})");
  EXPECT_EQ(r.status, 400);
  EXPECT_FALSE(a.store().user("eve").value().has_value());
  // The list holds no password hash.
  r = a.as("root", "GET", "/api/users");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body.find("argon2"), std::string::npos);
  EXPECT_EQ(json::parse(r.body)["users"].size(), 6u);
  // A new role and groups.
  r = a.as("root", "POST", "/api/users/dora", R"({"role":"admin","groups":["Loppen","Hald"]})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(a.store().user("dora").value()->groups, (std::vector<std::string>{"Loppen", "Hald"}));
  EXPECT_EQ(a.as("root", "POST", "/api/users/zed", R"({"role":"viewer"})").status, 404);
  // Nobody removes or demotes themself.
  EXPECT_EQ(a.as("root", "POST", "/api/users/root", R"({"role":"viewer"})").status, 409);
  EXPECT_EQ(a.as("root", "POST", "/api/users/root/remove").status, 409);
  // A reset password: made and answered once; the user's sessions end.
  r = a.as("root", "POST", "/api/users/anna/password");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["password"].get<std::string>().size(), 20u);
  EXPECT_EQ(a.as("anna", "GET", "/api/session").status, 401);
  EXPECT_EQ(a.as("root", "POST", "/api/users/bo/remove").status, 204);
  EXPECT_EQ(a.as("root", "POST", "/api/users/bo/remove").status, 404);
  for (const char* action : {"user.add", "user.access", "user.passwd", "user.remove"})
    EXPECT_GE(a.audit_count(action), 1) << action;
  // No password in the audit log.
  const auto entries = a.store().admin_audit("", 100).value();
  for (const auto& e : entries)
    EXPECT_EQ(e.detail.find(made), std::string::npos) << e.detail;
}

// The default [http] second_factor: an admin of every group without one set up can only set
// one up; the first code confirms it and brings ten recovery codes, and then everything answers.
TEST(AdminApi, AGlobalAdminSetsUpASecondFactorBeforeAnythingElse) {
  AdminApi a;
  ASSERT_TRUE(a.store().delete_second_factor("root").ok());
  EXPECT_EQ(a.as("root", "GET", "/api/meters").status, 403);
  auto r = a.as("root", "POST", "/api/users", R"({"name":"carl"})");
  EXPECT_EQ(r.status, 403);
  EXPECT_NE(r.body.find("second factor"), std::string::npos) << r.body;
  EXPECT_FALSE(a.store().user("carl").value().has_value());
  r = a.as("root", "GET", "/api/session");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["setup_second_factor"], true);
  EXPECT_EQ(json::parse(a.as("anna", "GET", "/api/session").body)["setup_second_factor"], false)
      << "the admin of one group needs none by default";
  r = a.as("root", "GET", "/api/second-factor");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::parse(r.body)["required"], true);
  EXPECT_EQ(json::parse(r.body)["enrolled"], false);

  r = a.as("root", "POST", "/api/second-factor/begin");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto begun = json::parse(r.body);
  const std::string secret_text = begun["secret"];
  EXPECT_EQ(begun["uri"].get<std::string>().rfind(
                "otpauth://totp/MeterLogger:root?secret=" + secret_text, 0),
            0u)
      << begun["uri"];
  EXPECT_EQ(begun["qr_svg"].get<std::string>().rfind("<svg", 0), 0u);
  EXPECT_EQ(a.as("root", "GET", "/api/meters").status, 403) << "begun is not set up";
  const auto secret = core::totp::secret_from_base32(secret_text).value();
  // A wrong code confirms nothing.
  std::string right = core::totp::totp(secret, a.now_).value();
  std::string wrong = right;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  r = a.as("root", "POST", "/api/second-factor/confirm", json{{"code", wrong}}.dump());
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(a.store().second_factor("root").value()->confirmed);
  r = a.as("root", "POST", "/api/second-factor/confirm", json{{"code", right}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto codes = json::parse(r.body)["recovery_codes"];
  ASSERT_EQ(codes.size(), 10u);
  EXPECT_EQ(codes[0].get<std::string>().size(), 11u);  // XXXXX-XXXXX
  EXPECT_EQ(a.as("root", "GET", "/api/meters").status, 200);
  EXPECT_EQ(json::parse(a.as("root", "GET", "/api/session").body)["setup_second_factor"], false);
  EXPECT_EQ(a.as("root", "POST", "/api/second-factor/begin").status, 409);
  // The global admin cannot disable its own; the secret and codes are in no audit entry.
  EXPECT_EQ(
      a.as("root", "POST", "/api/second-factor/disable", R"({"password":"pass-word-1"})").status,
      403);
  EXPECT_EQ(a.audit_count("user.totp_begin"), 1);
  EXPECT_EQ(a.audit_count("user.totp_enable"), 1);
  const auto entries = a.store().admin_audit("", 100).value();
  for (const auto& e : entries) {
    EXPECT_EQ(e.detail.find(secret_text), std::string::npos) << e.detail;
    EXPECT_EQ(e.detail.find(codes[0].get<std::string>()), std::string::npos) << e.detail;
  }
  // With the rule off nobody needs one.
  ASSERT_TRUE(a.store().delete_second_factor("root").ok());
  a.config().http.second_factor = SecondFactorRule::off;
  EXPECT_EQ(a.as("root", "GET", "/api/meters").status, 200);
}

// The login asks for the code once a second factor is set up; each code and each recovery code
// logs in once; a wrong code is a failed login.
TEST(AdminApi, TheLoginTakesEachCodeOnce) {
  AdminApi a;
  const auto login = [&](const std::string& body) {
    Request r;
    r.method = "POST";
    r.path = "/api/login";
    r.remote = "10.0.0.9";
    r.content_type = "application/json";
    r.body = body;
    return a.api().handle(r);
  };
  const auto with = [](const std::string& code) {
    return json{{"username", "anna"}, {"password", "pass-word-1"}, {"code", code}}.dump();
  };
  // Without one the password is enough.
  EXPECT_EQ(login(R"({"username":"anna","password":"pass-word-1"})").status, 200);
  auto r = a.as("anna", "POST", "/api/second-factor/begin");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto secret =
      core::totp::secret_from_base32(json::parse(r.body)["secret"].get<std::string>()).value();
  r = a.as("anna", "POST", "/api/second-factor/confirm",
           json{{"code", core::totp::totp(secret, a.now_).value()}}.dump());
  ASSERT_EQ(r.status, 200) << r.body;
  const auto codes = json::parse(r.body)["recovery_codes"];

  r = login(R"({"username":"anna","password":"pass-word-1"})");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(json::parse(r.body)["second_factor"], "totp");
  EXPECT_EQ(r.body.find("csrf"), std::string::npos);
  r = login(with(core::totp::totp(secret, a.now_).value()));
  EXPECT_EQ(r.status, 401) << "the code confirmed the secret: used";
  EXPECT_NE(r.body.find("already used"), std::string::npos) << r.body;
  a.now_ += 30;
  const std::string next = core::totp::totp(secret, a.now_).value();
  r = login(with(next));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(json::parse(r.body)["user"], "anna");
  EXPECT_EQ(login(with(next)).status, 401);
  EXPECT_EQ(
      login(R"({"username":"anna","password":"wrong-password","code":")" + next + "\"}").status,
      401);
  // A recovery code, typed in lower case without its dash: once.
  std::string typed = codes[3].get<std::string>();
  typed.erase(5, 1);
  for (auto& ch : typed)
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  EXPECT_EQ(login(with(typed)).status, 200);
  EXPECT_EQ(login(with(codes[3].get<std::string>())).status, 401);
  EXPECT_EQ(a.audit_count("login.recovery_code"), 1);
  EXPECT_EQ(json::parse(a.as("anna", "GET", "/api/second-factor").body)["recovery_codes_left"], 9);
  // Wrong codes count against the login limit (5 failures; one is counted already): then even
  // the right code waits.
  int failures = 0;
  while (login(with("000000")).status == 401)
    ASSERT_LT(++failures, 5);
  EXPECT_EQ(failures, 4);
  a.now_ += 30;
  r = login(with(core::totp::totp(secret, a.now_).value()));
  EXPECT_EQ(r.status, 429) << r.body;
  a.now_ += 1;
  ASSERT_EQ(a.as("root", "POST", "/api/users/anna/unlock").status, 200);
  a.now_ += 1;
  // Disabling one's own needs the password.
  EXPECT_EQ(a.as("anna", "POST", "/api/second-factor/disable", R"({"password":"nope"})").status,
            403);
  EXPECT_EQ(
      a.as("anna", "POST", "/api/second-factor/disable", R"({"password":"pass-word-1"})").status,
      200);
  EXPECT_FALSE(a.store().second_factor("anna").value().has_value());
  EXPECT_EQ(a.audit_count("user.totp_disable"), 1);
}

TEST(AdminApi, TheAuditLogIsFilteredAndPaged) {
  AdminApi a;
  for (int i = 0; i < 5; ++i) {
    ASSERT_EQ(a.as("anna", "POST", "/api/meters/6892850/settings",
                   R"({"name":"n)" + std::to_string(i) + R"("})")
                  .status,
              200);
  }
  ASSERT_EQ(
      a.as("root", "POST", "/api/users", R"({"name":"carl","password":"carl-password"})").status,
      201);
  // root sees everything; anna the meter's entries, not root's user.add.
  auto all = json::parse(a.as("root", "GET", "/api/audit").body);
  EXPECT_EQ(all["entries"].size(), 6u);
  auto annas = json::parse(a.as("anna", "GET", "/api/audit").body);
  EXPECT_EQ(annas["entries"].size(), 5u);
  EXPECT_EQ(json::parse(a.as("hald", "GET", "/api/audit").body)["entries"].size(), 0u);
  // By actor.
  auto by = json::parse(a.as("root", "GET", "/api/audit", "", {{"actor", "root"}}).body);
  ASSERT_EQ(by["entries"].size(), 1u);
  EXPECT_EQ(by["entries"][0]["action"], "user.add");
  // Pages of two, newest first, until next_before is null.
  std::vector<std::int64_t> ids;
  std::string before;
  for (int page = 0; page < 10; ++page) {
    std::map<std::string, std::string> q{{"limit", "2"}, {"serial", kSerial}};
    if (!before.empty()) q["before"] = before;
    auto got = a.as("anna", "GET", "/api/audit", "", q);
    ASSERT_EQ(got.status, 200) << got.body;
    auto j = json::parse(got.body);
    for (const auto& e : j["entries"])
      ids.push_back(e["id"]);
    if (j["next_before"].is_null()) break;
    before = std::to_string(j["next_before"].get<std::int64_t>());
  }
  ASSERT_EQ(ids.size(), 5u);
  EXPECT_TRUE(std::is_sorted(ids.rbegin(), ids.rend()));
  EXPECT_EQ(a.as("anna", "GET", "/api/audit", "", {{"limit", "0"}}).status, 400);
  EXPECT_EQ(a.as("anna", "GET", "/api/audit", "", {{"before", "x"}}).status, 400);
  EXPECT_EQ(a.as("hald", "GET", "/api/audit", "", {{"serial", kSerial}}).status, 403);
}

// A user's contact: set by an admin of every group (also their own), checked, listed, audited
// without the addresses.
TEST(AdminApiRoles, UserContact) {
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/users/bo", R"({"email":"bo@example.org"})");
      },
      kGlobalOnly,
      [](AdminApi& a) { return a.store().user("bo").value()->email == "bo@example.org"; });
  AdminApi a;
  EXPECT_EQ(a.as("root", "POST", "/api/users/bo", R"({"phone":"+4587654321"})").status, 200);
  EXPECT_EQ(a.store().user("bo").value()->role, Role::viewer) << "role and groups stay";
  EXPECT_EQ(a.as("root", "POST", "/api/users/root", R"({"email":"root@example.org"})").status, 200)
      << "one's own contact";
  EXPECT_EQ(a.as("root", "POST", "/api/users/root", R"({"role":"viewer"})").status, 409);
  EXPECT_EQ(a.as("root", "POST", "/api/users/bo", R"({"phone":"call me"})").status, 400);
  EXPECT_EQ(a.as("root", "POST", "/api/users/nobody", R"({"phone":"+4512345678"})").status, 404);
  EXPECT_EQ(a.as("root", "POST", "/api/users",
                 R"({"name":"carl","password":"carl-pass-1","email":"carl@example.org"})")
                .status,
            201);
  EXPECT_EQ(a.store().user("carl").value()->email, "carl@example.org");
  const auto list = json::parse(a.as("root", "GET", "/api/users").body);
  std::map<std::string, json> by_name;
  for (const auto& u : list["users"])
    by_name[u["name"]] = u;
  EXPECT_EQ(by_name["bo"]["phone"], "+4587654321");
  EXPECT_EQ(by_name["root"]["email"], "root@example.org");
  EXPECT_EQ(a.audit_count("user.contact"), 3);
  const auto entries = a.store().admin_audit("", 100).value();  // kept: the loop reads it
  for (const auto& e : entries)
    EXPECT_EQ(e.detail.find("@example.org"), std::string::npos) << e.detail;
}

// ---- alarms, alarm rules, notifications ----

// An open alarm on meter 6892850 from a rule of group Loppen; its episode.
std::int64_t add_alarm(AdminApi& a) {
  AlarmRule rule;
  rule.name = "leak";
  rule.text = "flow1 > 0 m3/h";
  rule.group = "Loppen";
  const auto id = add_alarm_rule(a.store(), rule, {}).value();
  const auto episode = a.store().new_alarm_episode(id, kSerial, a.now_ - 60).value();
  core::alarm::State s;
  s.rule_id = id;
  s.serial = kSerial;
  s.episode = episode;
  s.status = core::alarm::Status::notified;
  s.raised = s.last_true = a.now_ - 60;
  EXPECT_TRUE(a.store().write_alarm_state(s).ok());
  return episode;
}

core::alarm::State alarm_state(AdminApi& a) {
  return a.store().open_alarms().value().at(0);
}

constexpr std::array<int, 6> kEveryone{200, 200, 200, 200, 401, 200};  // GET: no CSRF needed

TEST(AlarmApiRoles, TheAlarmsAndRulesAreSeenByEveryone) {
  for (const char* path : {"/api/alarms", "/api/alarm-rules"}) {
    expect_statuses(
        [path](AdminApi& a, const Caller& c) {
          add_alarm(a);
          return a.ask(c, "GET", path);
        },
        kEveryone, {});
  }
  AdminApi a;
  const auto episode = add_alarm(a);
  auto list = json::parse(a.as("anna", "GET", "/api/alarms").body);
  ASSERT_EQ(list["alarms"].size(), 1u);
  EXPECT_EQ(list["alarms"][0]["episode"], episode);
  EXPECT_EQ(list["alarms"][0]["rule"], "leak");
  EXPECT_EQ(list["alarms"][0]["group"], "Loppen");
  EXPECT_EQ(list["alarms"][0]["can_admin"], true);
  EXPECT_EQ(json::parse(a.as("bo", "GET", "/api/alarms").body)["alarms"][0]["can_admin"], false);
  auto rules = json::parse(a.as("bo", "GET", "/api/alarm-rules").body);
  EXPECT_EQ(rules["rules"].size(), 1u);
  EXPECT_EQ(rules["templates"].size(), kAlarmTemplates.size());
  EXPECT_EQ(a.as("bo", "GET", "/api/alarms/" + std::to_string(episode)).status, 200);
  EXPECT_EQ(a.as("bo", "GET", "/api/alarms/999").status, 404);
}

// ?serial=: one meter's open alarms and history, and whether a rule applies to it.
TEST(AlarmApiRoles, AMetersAlarmsAndHistory) {
  AdminApi a;
  const auto episode = add_alarm(a);
  Meter other;
  other.serial = "5555555";
  other.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  other.group = "Hald";
  ASSERT_TRUE(a.store().add_meter(other).ok());
  core::alarm::State s;
  s.rule_id = a.store().alarm_rules().value().at(0).id;
  s.serial = "5555555";
  s.episode = a.store().new_alarm_episode(s.rule_id, s.serial, a.now_ - 30).value();
  s.status = core::alarm::Status::raised;
  s.raised = s.last_true = a.now_ - 30;
  ASSERT_TRUE(a.store().write_alarm_state(s).ok());
  for (const auto& [serial, e] : {std::pair<std::string, std::int64_t>{kSerial, episode},
                                  std::pair<std::string, std::int64_t>{"5555555", s.episode}}) {
    core::alarm::Transition t;
    t.episode = e;
    t.rule_id = s.rule_id;
    t.serial = serial;
    t.time = a.now_ - 30;
    ASSERT_TRUE(a.store().append_alarm_transition(t).ok());
  }
  EXPECT_EQ(json::parse(a.as("bo", "GET", "/api/alarms").body)["alarms"].size(), 2u);
  const auto one = json::parse(a.as("bo", "GET", "/api/alarms", "", {{"serial", kSerial}}).body);
  ASSERT_EQ(one["alarms"].size(), 1u);
  EXPECT_EQ(one["alarms"][0]["episode"], episode);
  ASSERT_EQ(one["transitions"].size(), 1u);
  EXPECT_EQ(one["transitions"][0]["serial"], kSerial);
  EXPECT_EQ(one["rules_apply"], 1) << "the Loppen rule";
  const auto other_meter =
      json::parse(a.as("bo", "GET", "/api/alarms", "", {{"serial", "5555555"}}).body);
  EXPECT_EQ(other_meter["rules_apply"], 0) << "a Loppen rule does not apply in Hald";
  EXPECT_EQ(other_meter["alarms"].size(), 1u);
  EXPECT_EQ(a.as("bo", "GET", "/api/alarms", "", {{"serial", "1234"}}).status, 404);
}

TEST(AlarmApiRoles, AcknowledgeAndSnoozeAreForTheMetersAdmins) {
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        const auto e = add_alarm(a);
        return a.ask(c, "POST", "/api/alarms/" + std::to_string(e) + "/ack",
                     R"({"note":"plumber called"})");
      },
      {204, 403, 204, 403, 401, 403},
      [](AdminApi& a) {
        return alarm_state(a).status == core::alarm::Status::acknowledged &&
               alarm_state(a).ack_note == "plumber called";
      });
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        const auto e = add_alarm(a);
        return a.ask(c, "POST", "/api/alarms/" + std::to_string(e) + "/snooze", R"({"for":"2h"})");
      },
      {204, 403, 204, 403, 401, 403},
      [](AdminApi& a) { return alarm_state(a).snoozed_until == a.now_ + 7200; });
  AdminApi a;
  const auto e = std::to_string(add_alarm(a));
  EXPECT_EQ(a.as("anna", "POST", "/api/alarms/" + e + "/ack").status, 204);
  EXPECT_EQ(a.as("anna", "POST", "/api/alarms/" + e + "/ack").status, 409)
      << "acknowledged already";
  EXPECT_EQ(a.as("anna", "POST", "/api/alarms/" + e + "/snooze", R"({"for":"forever"})").status,
            400);
  EXPECT_EQ(a.audit_count("alarm.ack"), 1);
}

TEST(AlarmApiRoles, RulesAreChangedByTheAdminsOfTheirGroup) {
  auto rules = [](AdminApi& a) { return a.store().alarm_rules().value().size(); };
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(
            c, "POST", "/api/alarm-rules",
            R"({"name":"hot","rule":"t1 > 95 C for 10 min","group":"Loppen","settle":"5min"})");
      },
      {201, 403, 201, 403, 401, 403}, [&](AdminApi& a) { return rules(a) == 1; });
  // A rule for every group is for an admin of every group.
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/alarm-rules", R"({"template":"offline"})");
      },
      {201, 403, 403, 403, 401, 403}, [&](AdminApi& a) { return rules(a) == 1; });
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        add_alarm(a);
        const auto id = a.store().alarm_rules().value().at(0).id;
        return a.ask(c, "POST", "/api/alarm-rules/" + std::to_string(id) + "/enable",
                     R"({"enabled":false})");
      },
      {204, 403, 204, 403, 401, 403},
      [](AdminApi& a) { return !a.store().alarm_rules().value().at(0).enabled; });
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        add_alarm(a);
        const auto id = a.store().alarm_rules().value().at(0).id;
        return a.ask(c, "POST", "/api/alarm-rules/" + std::to_string(id) + "/remove");
      },
      {204, 403, 204, 403, 401, 403}, [&](AdminApi& a) { return rules(a) == 0; });
  // Checking a rule changes nothing: everyone with a session may.
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/alarm-rules/check", R"({"rule":"t1>95 C"})");
      },
      {200, 200, 200, 200, 401, 403}, {});
}

TEST(AlarmApiRoles, RuleErrorsSayWhere) {
  AdminApi a;
  auto ok = a.as("anna", "POST", "/api/alarm-rules/check", R"({"rule":"t1>95 C"})");
  ASSERT_EQ(ok.status, 200);
  EXPECT_EQ(json::parse(ok.body)["rule"], "t1 > 95 C");
  auto bad = a.as("anna", "POST", "/api/alarm-rules/check", R"({"rule":"t1 > 95 kWh"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("column"), std::string::npos) << bad.body;
  auto add =
      a.as("anna", "POST", "/api/alarm-rules", R"({"name":"x","rule":"t1 >","group":"Loppen"})");
  EXPECT_EQ(add.status, 400) << add.body;
  EXPECT_EQ(a.as("anna", "POST", "/api/alarm-rules",
                 R"({"name":"x","rule":"age > 1 h","group":"Loppen","severity":"loud"})")
                .status,
            400);
}

TEST(AlarmApiRoles, RulesAreEditedByTheAdminsOfTheirGroup) {
  auto rule = [](AdminApi& a) { return a.store().alarm_rules().value().at(0); };
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        add_alarm(a);
        const auto id = a.store().alarm_rules().value().at(0).id;
        return a.ask(c, "POST", "/api/alarm-rules/" + std::to_string(id),
                     R"({"severity":"critical","to":["customer","operators"]})");
      },
      {200, 403, 200, 403, 401, 403},
      [&](AdminApi& a) { return rule(a).severity == core::alarm::Severity::critical; });
  // Moving a rule to another group: an admin of both groups.
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        add_alarm(a);
        const auto id = a.store().alarm_rules().value().at(0).id;
        return a.ask(c, "POST", "/api/alarm-rules/" + std::to_string(id), R"({"group":"Hald"})");
      },
      {200, 403, 403, 403, 401, 403}, [&](AdminApi& a) { return rule(a).group == "Hald"; });
  // The backtest writes nothing; it is for the admins of the meter's group.
  expect_statuses(
      [](AdminApi& a, const Caller& c) {
        return a.ask(c, "POST", "/api/alarm-rules/test",
                     R"({"rule":"age > 30 min","serial":"6892850","from":1799990000,)"
                     R"("until":1800000000})");
      },
      {200, 403, 200, 403, 401, 403}, {});
}

TEST(AlarmApiRoles, RulesNameTheirRecipientsAndChannels) {
  AdminApi a;
  notify::ChannelConfig mail;
  mail.name = "mail";
  mail.email.host = "smtp.example.org";
  mail.email.password = "s3cret-smtp";
  notify::ChannelConfig sms;
  sms.name = "sms";
  sms.type = notify::ChannelType::sms;
  sms.sms.token = "tok-123";
  a.config().notify.channels = {mail, sms};
  auto added = a.as("anna", "POST", "/api/alarm-rules",
                    R"({"name":"leak","rule":"flow1>0 m3/h","group":"Loppen",)"
                    R"("to":["customer"],"channels":["sms"]})");
  ASSERT_EQ(added.status, 201) << added.body;
  const auto rule = json::parse(added.body);
  EXPECT_EQ(rule["to"], json::array({"customer"}));
  EXPECT_EQ(rule["channels"], json::array({"sms"}));
  EXPECT_EQ(rule["rule"], "flow1 > 0 m3/h");
  const std::string path = "/api/alarm-rules/" + std::to_string(rule["id"].get<std::int64_t>());
  auto list = a.as("bo", "GET", "/api/alarm-rules");
  ASSERT_EQ(list.status, 200);
  const auto j = json::parse(list.body);
  EXPECT_EQ(j["channel_names"], json::array({"mail", "sms"}));
  EXPECT_EQ(j["rules"][0]["to"], json::array({"customer"}));
  EXPECT_EQ(list.body.find("s3cret"), std::string::npos) << "never a secret";
  EXPECT_EQ(list.body.find("tok-123"), std::string::npos) << "never a secret";
  // The defaults: the operators, every channel.
  auto plain = a.as("anna", "POST", "/api/alarm-rules",
                    R"({"name":"hot","rule":"t1 > 95 C","group":"Loppen"})");
  ASSERT_EQ(plain.status, 201) << plain.body;
  EXPECT_EQ(json::parse(plain.body)["to"], json::array({"operators"}));
  EXPECT_EQ(json::parse(plain.body)["channels"], json::array());
  // Unknown names are refused, named.
  auto bad_to = a.as("anna", "POST", "/api/alarm-rules",
                     R"({"name":"x","rule":"t1 > 95 C","group":"Loppen","to":["janitor"]})");
  EXPECT_EQ(bad_to.status, 400);
  EXPECT_NE(bad_to.body.find("janitor"), std::string::npos) << bad_to.body;
  auto bad_channel =
      a.as("anna", "POST", "/api/alarm-rules",
           R"({"name":"x","rule":"t1 > 95 C","group":"Loppen","channels":["pager"]})");
  EXPECT_EQ(bad_channel.status, 400);
  EXPECT_NE(bad_channel.body.find("pager"), std::string::npos) << bad_channel.body;
  EXPECT_NE(bad_channel.body.find("mail, sms"), std::string::npos) << bad_channel.body;
  EXPECT_EQ(a.as("anna", "POST", "/api/alarm-rules",
                 R"({"name":"x","rule":"t1 > 95 C","group":"Loppen","to":"customer"})")
                .status,
            400)
      << "an array";
  // Edit: only the fields given change.
  auto edited = a.as("anna", "POST", path, R"({"to":["operators","customer"],"channels":[]})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  const auto e = json::parse(edited.body);
  EXPECT_EQ(e["to"], json::array({"operators", "customer"}));
  EXPECT_EQ(e["channels"], json::array());
  EXPECT_EQ(e["name"], "leak");
  EXPECT_EQ(e["rule"], "flow1 > 0 m3/h");
  EXPECT_EQ(e["group"], "Loppen");
  auto renamed = a.as("anna", "POST", path, R"({"name":"leak 2","quiet":"22:00-07:00"})");
  ASSERT_EQ(renamed.status, 200) << renamed.body;
  EXPECT_EQ(json::parse(renamed.body)["to"], json::array({"operators", "customer"}));
  EXPECT_EQ(json::parse(renamed.body)["quiet"], "22:00-07:00");
  auto broken = a.as("anna", "POST", path, R"({"rule":"t1 > 95 kWh"})");
  EXPECT_EQ(broken.status, 400);
  EXPECT_NE(broken.body.find("column"), std::string::npos) << broken.body;
  EXPECT_EQ(a.as("anna", "POST", path, R"({"channels":["pager"]})").status, 400);
  EXPECT_EQ(a.as("anna", "POST", path, R"({"to":[]})").status, 400);
  EXPECT_EQ(a.store().alarm_rules().value().at(0).name, "leak 2") << "the errors changed nothing";
  EXPECT_EQ(a.as("anna", "POST", "/api/alarm-rules/999", R"({"name":"x"})").status, 404);
  EXPECT_EQ(a.audit_count("rule.edit"), 2);
}

TEST(AlarmApiRoles, TheBacktestReplaysAMetersSamples) {
  AdminApi a;
  IngestItem i;
  i.kind = IngestItem::Kind::sample;
  i.serial = kSerial;
  i.time = a.now_ - 3600;
  i.function = "sample";
  i.text = "heap=1&t1=50.00 C";
  i.sample = core::sample::parse_sample(i.text).value();
  ASSERT_TRUE(store_items(a.store(), {i}, i.time).ok());
  const auto before = a.store().alarm_transitions_of_meter(kSerial, 100).value().size();
  auto r =
      a.as("anna", "POST", "/api/alarm-rules/test",
           R"({"rule":"age>30 min","serial":"6892850","from":)" + std::to_string(a.now_ - 3600) +
               R"(,"until":)" + std::to_string(a.now_) + R"(,"settle":"5min"})");
  ASSERT_EQ(r.status, 200) << r.body;
  const auto j = json::parse(r.body);
  EXPECT_EQ(j["rule"], "age > 30 min");
  EXPECT_EQ(j["serial"], kSerial);
  EXPECT_EQ(j["from"], a.now_ - 3600);
  EXPECT_EQ(j["until"], a.now_);
  ASSERT_FALSE(j["events"].empty()) << r.body;
  const auto& first = j["events"][0];
  EXPECT_EQ(first["time"], a.now_ - 3600 + 31 * 60) << "raised once 30 min have passed";
  EXPECT_EQ(first["transitions"][0]["to"], "raised");
  EXPECT_TRUE(first["transitions"][0]["from"].is_null());
  EXPECT_EQ(first["notify"], "raised");
  EXPECT_EQ(a.store().alarm_transitions_of_meter(kSerial, 100).value().size(), before)
      << "nothing written";
  const auto ask = [&](const std::string& body) {
    return a.as("anna", "POST", "/api/alarm-rules/test", body);
  };
  EXPECT_EQ(ask(R"({"rule":"age > 30 min","serial":"999"})").status, 404);
  auto bad = ask(R"({"rule":"age > 30 kWh","serial":"6892850"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find("column"), std::string::npos) << bad.body;
  auto long_span = ask(R"({"rule":"age > 30 min","serial":"6892850","from":0,"until":86400000})");
  EXPECT_EQ(long_span.status, 400);
  EXPECT_NE(long_span.body.find("93 days"), std::string::npos) << long_span.body;
  EXPECT_EQ(ask(R"({"rule":"age > 30 min","serial":"6892850","from":10,"until":5})").status, 400);
  EXPECT_EQ(ask(R"({"rule":"age > 30 min"})").status, 400) << "a serial is required";
}

TEST(AlarmApiRoles, NotificationsAreForAdminsOfTheirMeters) {
  auto queue = [](AdminApi& a) {
    StoredNotification n;
    n.dedupe_key = "k1";
    n.channel = "mail";
    n.recipient = "anna@example.org";
    n.serial = kSerial;
    n.subject = "leak";
    n.body = "b";
    n.created = n.queued_at = n.next_attempt = a.now_;
    EXPECT_TRUE(a.store().insert_notification(n).ok());
  };
  for (const char* path : {"/api/notifications", "/api/channels"}) {
    expect_statuses(
        [&](AdminApi& a, const Caller& c) {
          queue(a);
          return a.ask(c, "GET", path);
        },
        {200, 200, 200, 403, 401, 200}, {});
  }
  AdminApi a;
  queue(a);
  EXPECT_EQ(json::parse(a.as("anna", "GET", "/api/notifications").body)["notifications"].size(),
            1u);
  EXPECT_EQ(json::parse(a.as("hald", "GET", "/api/notifications").body)["notifications"].size(), 0u)
      << "another group's messages (and their recipients) are not shown";
}

}  // namespace ml::server::http::admin_api_unit
