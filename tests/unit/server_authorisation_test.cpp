// The authorisation matrix of the HTTP API (docs/api.md, docs/residents.md): every route asked by
// six callers, each on a fresh store, with the status each must get:
//
//   anonymous · resident of meter A · resident of meter B · viewer · admin of meter A's group ·
//   admin of every group
//
// A resident's session opens only /api/resident/..., and there only their own meters (another
// serial is 404, as a meter that does not exist); a staff session opens none of the residents'
// routes. The table must name every route docs/api.md documents, and nothing it does not: a new
// route without a row here fails TheMatrixCoversEveryDocumentedRoute.
//
// Then what the residents' routes do: a code asked for is queued for the notifier with the code in
// its body only, logs in once, rotates the session; a resident sees only the fields meant for
// them; the asking is limited.
#include <gtest/gtest.h>

#include <array>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "api_test_support.hpp"
#include "server/alarm_round.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/ledger.hpp"
#include "server/sender.hpp"
#include "server/sqlite/store.hpp"
#include "server/usecases/residents.hpp"
#include "server/users.hpp"
#include "sim_support.hpp"

namespace ml::server::http::authorisation_unit {

using json = nlohmann::json;
using api_test::sha256_hex;
using api_test::token_of;

constexpr const char* kMeterA = "6892850";  // group Loppen, with a valve and a payment
constexpr const char* kMeterB = "6892851";  // group Hald
constexpr const char* kEmailA = "anna.resident@example.org";
constexpr const char* kEmailB = "bent.resident@example.org";

enum class Who : std::uint8_t { anonymous, resident_a, resident_b, viewer, group_admin, global };
struct CallerInfo {
  Who who;
  const char* session;  // the staff user or the resident's token name; "" for none
  const char* label;
};
inline constexpr std::array<CallerInfo, 6> kWho{{
    {Who::anonymous, "", "anonymous"},
    {Who::resident_a, "resident-a", "resident of meter A"},
    {Who::resident_b, "resident-b", "resident of meter B"},
    {Who::viewer, "bo", "viewer"},
    {Who::group_admin, "anna", "admin of meter A's group"},
    {Who::global, "root", "admin of every group"},
}};
bool is_resident(Who w) {
  return w == Who::resident_a || w == Who::resident_b;
}

// The ids a world's rows got.
struct WorldIds {
  std::int64_t payment = 0;
  std::int64_t rule = 0;
  std::int64_t episode = 0;
  std::int64_t resident_a = 0;
};

constexpr std::int64_t kWorldNow = 1'800'000'000;

// Meters A and B, a payment on A, an alarm rule of group Loppen with an open alarm on A, the
// users root (every group, second factor set up), anna (admin of Loppen) and bo (viewer), a
// resident of each meter; everyone with a session.
WorldIds build_world(SqliteStore& store, std::int64_t now) {
  WorldIds ids;
  for (const auto& [serial, group] :
       {std::pair<const char*, const char*>{kMeterA, "Loppen"}, {kMeterB, "Hald"}}) {
    Meter m;
    m.serial = serial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = group;
    m.name = std::string(group) + " 1";
    m.valve_installed = true;
    EXPECT_TRUE(store.add_meter(m).ok());
  }
  // Meter A runs this project's agent (a key change may be started).
  EXPECT_TRUE(
      store.write_diagnostic_if_newer(kMeterA, "version", {"linux-1.0", now - 50}, now - 50).ok());
  Payment p;
  p.serial = kMeterA;
  p.time = now - 100;
  p.amount = core::Decimal::parse("100").value();
  p.price = core::Decimal::parse("2").value();
  p.note = "cash to anna";
  ids.payment = add_payment(store, p, "anna", now - 100).value().id;
  AlarmRule rule;
  rule.name = "leak";
  rule.text = "flow1 > 0 m3/h";
  rule.group = "Loppen";
  ids.rule = add_alarm_rule(store, rule, {}).value();
  ids.episode = store.new_alarm_episode(ids.rule, kMeterA, now - 60).value();
  core::alarm::State s;
  s.rule_id = ids.rule;
  s.serial = kMeterA;
  s.episode = ids.episode;
  s.status = core::alarm::Status::notified;
  s.raised = s.last_true = now - 60;
  EXPECT_TRUE(store.write_alarm_state(s).ok());
  api_test::add_staff(store, "root", Role::admin, {"*"}, now);
  api_test::add_staff(store, "anna", Role::admin, {"Loppen"}, now);
  api_test::add_staff(store, "bo", Role::viewer, {}, now);
  auto add_resident = [&](const char* session, const char* email, const char* serial) {
    Resident r;
    r.name = session;
    r.email = email;
    r.created = now - 1000;
    r.invited_by = "anna";
    r.serials = {serial};
    const auto id = store.add_resident(r).value();
    ResidentSession rs{id, std::string("csrf-") + session, now, now + 3600, "10.0.0.2"};
    EXPECT_TRUE(store.insert_resident_session(sha256_hex(token_of(session)), rs).ok());
    return id;
  };
  ids.resident_a = add_resident("resident-a", kEmailA, kMeterA);
  add_resident("resident-b", kEmailB, kMeterB);
  return ids;
}

// The world's database, built once and copied for each World: the matrix alone asks for about
// 240 fresh worlds, and building each (migrations, users, a dozen transactions) took most of its
// time.
struct Seed {
  test::TempDir dir;
  std::string path = dir.file("seed.db");
  WorldIds ids;
  Seed() {
    auto store = SqliteStore::open(path).value();
    ids = build_world(*store, kWorldNow);
  }  // closed: everything is in the file, its log checkpointed
};
const Seed& seed() {
  static const Seed built;
  return built;
}

// A copy of the seed world, with its own store and API.
class World {
 public:
  World() : ids_(seed().ids) {
    const std::string path = dir_.file("server.db");
    std::filesystem::copy_file(seed().path, path);
    store_ = SqliteStore::open(path).value();
    notify::ChannelConfig mail;
    mail.name = "mail";
    mail.type = notify::ChannelType::email;
    mail.email.host = "127.0.0.1";
    mail.email.from = "meterlogger@example.org";
    config_.notify.channels.push_back(mail);
    config_.residents.payment = "MobilePay 12 34 56 78, message {serial}";
    config_.residents.url = "https://heat.example.org/resident.html";
    api_ = std::make_unique<Api>(*store_, config_, [this] { return now_; });
  }

  Response ask(const CallerInfo& c, const std::string& method, const std::string& path,
               const std::string& body = "{}", std::map<std::string, std::string> query = {},
               const std::string& remote = "10.0.0.1") {
    Request r;
    r.method = method;
    r.path = path;
    r.query = std::move(query);
    r.remote = remote;
    r.content_type = "application/json";
    r.body = method == "GET" ? "" : body;
    if (c.who != Who::anonymous) {
      r.cookie = std::string(is_resident(c.who) ? kResidentCookie : kSessionCookie) + "=" +
                 token_of(c.session);
      r.csrf = std::string("csrf-") + c.session;
    }
    return api_->handle(r);
  }
  Response as(Who who, const std::string& method, const std::string& path,
              const std::string& body = "{}", std::map<std::string, std::string> query = {}) {
    return ask(kWho[static_cast<std::size_t>(who)], method, path, body, std::move(query));
  }
  // A request as a browser sends it: its own cookie header.
  Response with_cookie(const std::string& cookie, const std::string& csrf,
                       const std::string& method, const std::string& path,
                       const std::string& body = "{}") {
    Request r;
    r.method = method;
    r.path = path;
    r.remote = "10.0.0.9";
    r.content_type = "application/json";
    r.body = body;
    r.cookie = cookie;
    r.csrf = csrf;
    return api_->handle(r);
  }

  // `text` with {A}, {B}, {P} (the payment), {E} (the alarm), {R} (the rule), {RA} (resident A)
  // filled in.
  std::string filled(std::string text) const {
    const std::pair<const char*, std::string> values[] = {{"{A}", kMeterA},
                                                          {"{B}", kMeterB},
                                                          {"{P}", std::to_string(ids_.payment)},
                                                          {"{E}", std::to_string(ids_.episode)},
                                                          {"{RA}", std::to_string(ids_.resident_a)},
                                                          {"{R}", std::to_string(ids_.rule)}};
    for (const auto& [key, value] : values) {
      for (auto at = text.find(key); at != std::string::npos; at = text.find(key))
        text.replace(at, std::string_view(key).size(), value);
    }
    return text;
  }

  SqliteStore& store() { return *store_; }
  std::int64_t resident_a() const { return ids_.resident_a; }
  std::int64_t now_ = kWorldNow;

 private:
  test::TempDir dir_;
  WorldIds ids_;
  ServerConfig config_;
  std::unique_ptr<SqliteStore> store_;
  std::unique_ptr<Api> api_;
};

// One row of the matrix: the route as docs/api.md names it ({} for a placeholder), the request,
// and the status for each caller of kWho.
struct Row {
  const char* doc;
  const char* method;
  const char* path;  // {A}, {P}, ... as World::filled
  const char* body;
  std::array<int, 6> status;
  std::map<std::string, std::string> query = {};
};

// Shorthands: staff routes answer both residents as nobody (401).
constexpr std::array<int, 6> staff(int viewer, int group_admin, int global) {
  return {401, 401, 401, viewer, group_admin, global};
}
constexpr auto kAnyStaff = staff(200, 200, 200);
constexpr auto kAdmins = staff(403, 200, 200);
constexpr auto kGlobal = staff(403, 403, 200);

// Every documented route (docs/api.md), as the six callers get it.
const std::vector<Row>& rows() {
  static const std::vector<Row> table = {
      // Sessions (anyone may log in; the body decides)
      {"POST /api/login",
       "POST",
       "/api/login",
       R"({"username":"bo","password":"pass-word-1"})",
       {200, 200, 200, 200, 200, 200}},
      {"GET /api/session", "GET", "/api/session", "", kAnyStaff},
      {"POST /api/logout", "POST", "/api/logout", "{}", staff(204, 204, 204)},
      // Second factor: one's own
      {"GET /api/second-factor", "GET", "/api/second-factor", "", kAnyStaff},
      {"POST /api/second-factor/begin", "POST", "/api/second-factor/begin", "{}",
       staff(200, 200, 409)},
      {"POST /api/second-factor/confirm", "POST", "/api/second-factor/confirm",
       R"({"code":"000000"})", staff(400, 400, 400)},
      {"POST /api/second-factor/disable", "POST", "/api/second-factor/disable",
       R"({"password":"pass-word-1"})", staff(200, 200, 403)},
      {"POST /api/users/{}/second-factor-reset", "POST", "/api/users/bo/second-factor-reset", "{}",
       kGlobal},
      // Meters
      {"GET /api/meters", "GET", "/api/meters", "", kAnyStaff},
      {"GET /api/meters/{}", "GET", "/api/meters/{A}", "", kAnyStaff},
      {"GET /api/unknown-serials", "GET", "/api/unknown-serials", "", kAdmins},
      {"POST /api/meters", "POST", "/api/meters",
       R"({"serial":"7000001","kind":"heat","group":"Loppen","generate_key":true})",
       staff(403, 201, 201)},
      {"POST /api/meters/{}/settings", "POST", "/api/meters/{A}/settings", R"({"name":"New"})",
       kAdmins},
      {"POST /api/meters/{}/remove", "POST", "/api/meters/{A}/remove", R"({"confirm":"{A}"})",
       staff(403, 204, 204)},
      // A meter's data
      {"GET /api/meters/{}/series", "GET", "/api/meters/{A}/series", "", kAnyStaff},
      {"GET /api/meters/{}/payments", "GET", "/api/meters/{A}/payments", "", kAnyStaff},
      {"POST /api/payments/{}/void", "POST", "/api/payments/{P}/void", R"({"reason":"typo"})",
       kAdmins},
      {"POST /api/payments/{}/correct", "POST", "/api/payments/{P}/correct",
       R"({"amount":"50","price":"2","reason":"typo"})", kAdmins},
      {"POST /api/meters/{}/payments/preview", "POST", "/api/meters/{A}/payments/preview",
       R"({"amount":"50","price":"2"})", kAdmins},
      {"POST /api/meters/{}/payments", "POST", "/api/meters/{A}/payments",
       R"({"amount":"50","price":"2"})", staff(403, 201, 201)},
      {"GET /api/meters/{}/commands", "GET", "/api/meters/{A}/commands", "", kAnyStaff},
      {"POST /api/meters/{}/commands", "POST", "/api/meters/{A}/commands",
       R"({"command":"status"})", staff(403, 201, 201)},
      {"POST /api/meters/{}/key-change", "POST", "/api/meters/{A}/key-change", "{}",
       staff(403, 202, 202)},
      {"GET /api/meters/{}/gaps", "GET", "/api/meters/{A}/gaps", "", kAnyStaff},
      {"GET /api/meters/{}/events", "GET", "/api/meters/{A}/events", "", kAnyStaff},
      {"GET /api/commands", "GET", "/api/commands", "", kAnyStaff},
      {"GET /api/meters/{}/samples.csv", "GET", "/api/meters/{A}/samples.csv", "", kAnyStaff},
      {"GET /api/meters/{}/energy.csv", "GET", "/api/meters/{A}/energy.csv", "", kAnyStaff},
      // A meter's residents (personal data: the meter's admins)
      {"GET /api/meters/{}/residents", "GET", "/api/meters/{A}/residents", "", kAdmins},
      {"POST /api/meters/{}/residents", "POST", "/api/meters/{A}/residents",
       R"({"email":"carla@example.org","language":"da"})", staff(403, 201, 201)},
      {"POST /api/residents/{}/remove", "POST", "/api/residents/{RA}/remove", "{}",
       staff(403, 204, 204)},
      // Posters (nothing personal on them: any staff)
      {"GET /api/meters/{}/poster", "GET", "/api/meters/{A}/poster", "", kAnyStaff},
      {"GET /api/posters", "GET", "/api/posters", "", kAnyStaff, {{"group", "Loppen"}}},
      // Users
      {"GET /api/users", "GET", "/api/users", "", kGlobal},
      {"POST /api/users", "POST", "/api/users", R"({"name":"dora","password":"dora-pass-1"})",
       staff(403, 403, 201)},
      {"POST /api/users/{}", "POST", "/api/users/bo", R"({"role":"viewer"})", kGlobal},
      {"POST /api/users/{}/password", "POST", "/api/users/bo/password", "{}", kGlobal},
      {"POST /api/users/{}/remove", "POST", "/api/users/bo/remove", "{}", staff(403, 403, 204)},
      {"POST /api/users/{}/unlock", "POST", "/api/users/bo/unlock", "{}", kGlobal},
      // Needs attention, audit
      {"GET /api/attention", "GET", "/api/attention", "", kAnyStaff},
      {"GET /api/audit", "GET", "/api/audit", "", kAdmins},
      // Alarms
      {"GET /api/alarms", "GET", "/api/alarms", "", kAnyStaff},
      {"GET /api/alarms/{}", "GET", "/api/alarms/{E}", "", kAnyStaff},
      {"POST /api/alarms/{}/ack", "POST", "/api/alarms/{E}/ack", R"({"note":"seen"})",
       staff(403, 204, 204)},
      {"POST /api/alarms/{}/snooze", "POST", "/api/alarms/{E}/snooze", R"({"for":"2h"})",
       staff(403, 204, 204)},
      {"GET /api/alarm-rules", "GET", "/api/alarm-rules", "", kAnyStaff},
      {"POST /api/alarm-rules", "POST", "/api/alarm-rules",
       R"({"name":"hot","rule":"t1 > 95 C","group":"Loppen"})", staff(403, 201, 201)},
      {"POST /api/alarm-rules/{}", "POST", "/api/alarm-rules/{R}", R"({"name":"leak 2"})", kAdmins},
      {"POST /api/alarm-rules/test", "POST", "/api/alarm-rules/test",
       R"({"rule":"t1 > 95 C","serial":"{A}"})", kAdmins},
      {"POST /api/alarm-rules/check", "POST", "/api/alarm-rules/check", R"({"rule":"t1 > 95 C"})",
       kAnyStaff},
      {"POST /api/alarm-rules/{}/enable", "POST", "/api/alarm-rules/{R}/enable",
       R"({"enabled":false})", staff(403, 204, 204)},
      {"POST /api/alarm-rules/{}/remove", "POST", "/api/alarm-rules/{R}/remove", "{}",
       staff(403, 204, 204)},
      // Notifications
      {"GET /api/notifications", "GET", "/api/notifications", "", kAdmins},
      {"GET /api/channels", "GET", "/api/channels", "", kAdmins},
      // The residents' own routes
      {"POST /api/resident/code",
       "POST",
       "/api/resident/code",
       R"({"address":"nobody@example.org"})",
       {202, 202, 202, 202, 202, 202}},
      {"POST /api/resident/login",
       "POST",
       "/api/resident/login",
       R"({"address":"nobody@example.org","code":"12345678"})",
       {401, 401, 401, 401, 401, 401}},
      {"GET /api/resident/session",
       "GET",
       "/api/resident/session",
       "",
       {401, 200, 200, 401, 401, 401}},
      {"POST /api/resident/password",
       "POST",
       "/api/resident/password",
       R"({"password":"a long passphrase"})",
       {401, 200, 200, 401, 401, 401}},
      {"POST /api/resident/logout",
       "POST",
       "/api/resident/logout",
       "{}",
       {401, 204, 204, 401, 401, 401}},
      {"POST /api/resident/preferences",
       "POST",
       "/api/resident/preferences",
       R"({"notices":"essential"})",
       {401, 200, 200, 401, 401, 401}},
      {"GET /api/resident/export.json",
       "GET",
       "/api/resident/export.json",
       "",
       {401, 200, 200, 401, 401, 401}},
      {"GET /api/resident/readings.csv",
       "GET",
       "/api/resident/readings.csv",
       "",
       {401, 200, 200, 401, 401, 401}},
      {"GET /api/resident/payments.csv",
       "GET",
       "/api/resident/payments.csv",
       "",
       {401, 200, 200, 401, 401, 401}},
      {"GET /api/resident/meters",
       "GET",
       "/api/resident/meters",
       "",
       {401, 200, 200, 401, 401, 401}},
      {"GET /api/resident/meters/{}",
       "GET",
       "/api/resident/meters/{A}",
       "",
       {401, 200, 404, 401, 401, 401}},
      {"GET /api/resident/meters/{}/payments",
       "GET",
       "/api/resident/meters/{A}/payments",
       "",
       {401, 200, 404, 401, 401, 401}},
      {"GET /api/resident/meters/{}/series",
       "GET",
       "/api/resident/meters/{A}/series",
       "",
       {401, 200, 404, 401, 401, 401}},
      {"GET /api/resident/meters/{}/consumption",
       "GET",
       "/api/resident/meters/{A}/consumption",
       "",
       {401, 200, 404, 401, 401, 401}},
  };
  return table;
}

TEST(Authorisation, EveryRouteForEveryCaller) {
  for (const auto& row : rows()) {
    std::unique_ptr<World> read_only;  // a GET changes nothing: one world for every caller
    for (std::size_t i = 0; i < kWho.size(); ++i) {
      // A POST on a fresh world: what one caller changed does not decide another's answer.
      std::unique_ptr<World> fresh;
      auto& slot = std::string_view(row.method) == "GET" ? read_only : fresh;
      if (!slot) slot = std::make_unique<World>();
      World& w = *slot;
      const auto r = w.ask(kWho[i], row.method, w.filled(row.path), w.filled(row.body), row.query);
      EXPECT_EQ(r.status, row.status[i])
          << row.doc << " as " << kWho[i].label << ": " << r.body.substr(0, 300);
    }
  }
}

// A resident's session opens no staff route even with a staff route's CSRF header, and a staff
// session opens no resident route: the cookies are apart.
TEST(Authorisation, ACookieOfOneKindOpensNothingOfTheOther) {
  World w;
  const std::string resident_cookie = std::string(kResidentCookie) + "=" + token_of("resident-a");
  const std::string staff_cookie = std::string(kSessionCookie) + "=" + token_of("root");
  EXPECT_EQ(w.with_cookie(resident_cookie, "csrf-root", "GET", "/api/meters").status, 401);
  EXPECT_EQ(w.with_cookie(std::string(kSessionCookie) + "=" + token_of("resident-a"), "", "GET",
                          "/api/meters")
                .status,
            401);
  EXPECT_EQ(w.with_cookie(staff_cookie, "", "GET", "/api/resident/meters").status, 401);
  EXPECT_EQ(w.with_cookie(std::string(kResidentCookie) + "=" + token_of("root"), "", "GET",
                          "/api/resident/meters")
                .status,
            401);
  // A resident's POST needs the resident session's CSRF token.
  EXPECT_EQ(w.with_cookie(resident_cookie, "csrf-root", "POST", "/api/resident/logout").status,
            403);
}

// The documented routes, "METHOD /api/path" with every placeholder written {} (docs/api.md
// writes {serial}, {id}, NAME, ...).
std::set<std::string> documented_routes() {
  std::ifstream in(ML_API_DOC);
  std::stringstream text;
  text << in.rdbuf();
  const std::string doc = text.str();
  EXPECT_FALSE(doc.empty()) << ML_API_DOC;
  std::set<std::string> out;
  const std::regex route("`(GET|POST) (/api/[^` ?]*)");
  const std::regex placeholder(R"(\{[a-z_]+\}|NAME)");
  for (std::sregex_iterator it(doc.begin(), doc.end(), route), end; it != end; ++it) {
    std::string path = std::regex_replace((*it)[2].str(), placeholder, "{}");
    // "/api/payments/{}/correct|void": both.
    if (const auto bar = path.find('|'); bar != std::string::npos) {
      const auto slash = path.rfind('/', bar);
      out.insert((*it)[1].str() + " " + path.substr(0, slash + 1) + path.substr(bar + 1));
      path = path.substr(0, bar);
    }
    out.insert((*it)[1].str() + " " + path);
  }
  return out;
}

TEST(Authorisation, TheMatrixCoversEveryDocumentedRoute) {
  std::set<std::string> tested;
  for (const auto& row : rows())
    tested.insert(row.doc);
  const auto documented = documented_routes();
  EXPECT_GE(documented.size(), 50u) << "docs/api.md read";
  for (const auto& route : documented)
    EXPECT_EQ(tested.count(route), 1u) << route << " is documented but not in the matrix";
  for (const auto& route : tested)
    EXPECT_EQ(documented.count(route), 1u) << route << " is in the matrix but not documented";
}

// ---- the residents' routes at work ----

// The code's message waits in the outbox for the notifier; its body holds the code.
std::string queued_code(World& w, const std::string& address) {
  NotificationFilter f;
  f.recipient = address;
  const auto log = w.store().notification_log(f).value();
  if (log.empty()) return "";
  const std::string& body = log.front().body;
  const auto at = body.find_first_of("0123456789");
  return at == std::string::npos ? "" : body.substr(at, 8);
}

// The cookie a login or a new password answered with ("name=value").
std::string set_cookie(const Response& resp) {
  for (const auto& [name, value] : resp.headers)
    if (name == "Set-Cookie") return value.substr(0, value.find(';'));
  return "";
}

TEST(ResidentApi, ACodeByEmailLogsInOnceAndTheSessionIsRotated) {
  World w;
  const auto& anonymous = kWho[0];
  const auto asked = w.ask(anonymous, "POST", "/api/resident/code",
                           R"({"address":"  ANNA.resident@example.org "})");
  EXPECT_EQ(asked.status, 202) << asked.body;
  const std::string code = queued_code(w, kEmailA);  // to the address as stored
  ASSERT_EQ(code.size(), 8u);
  NotificationFilter f;
  const auto message = w.store().notification_log(f).value().front();
  EXPECT_EQ(message.channel, "mail");
  EXPECT_EQ(message.subject.find(code), std::string::npos) << "the subject is shown to staff";
  EXPECT_EQ(message.serial, "") << "only the admins of every group see it in the log";

  // The code, typed with a blank: a session with its cookie and CSRF token.
  const std::string typed = code.substr(0, 4) + " " + code.substr(4);
  const std::string old_cookie = std::string(kResidentCookie) + "=" + token_of("resident-a");
  const auto login =
      w.with_cookie(old_cookie, "", "POST", "/api/resident/login",
                    json{{"address", "anna.resident@example.org"}, {"code", typed}}.dump());
  ASSERT_EQ(login.status, 200) << login.body;
  const auto session = json::parse(login.body);
  EXPECT_EQ(session["id"], w.resident_a());
  EXPECT_EQ(session["email"], kEmailA);
  EXPECT_FALSE(session.contains("invited_by"));
  const std::string cookie = set_cookie(login);
  ASSERT_EQ(cookie.rfind(std::string(kResidentCookie) + "=", 0), 0u) << cookie;
  EXPECT_NE(cookie, old_cookie);
  EXPECT_EQ(w.with_cookie(cookie, "", "GET", "/api/resident/meters").status, 200);
  EXPECT_EQ(w.with_cookie(old_cookie, "", "GET", "/api/resident/meters").status, 401)
      << "the browser's old session ended at the login";

  // The same code again: refused.
  EXPECT_EQ(w.ask(anonymous, "POST", "/api/resident/login",
                  json{{"address", kEmailA}, {"code", code}}.dump())
                .status,
            401);
  // Logging out ends the session.
  EXPECT_EQ(w.with_cookie(cookie, session["csrf"], "POST", "/api/resident/logout").status, 204);
  EXPECT_EQ(w.with_cookie(cookie, "", "GET", "/api/resident/meters").status, 401);
}

TEST(ResidentApi, TheMessageHoldsALoginLinkWithTheSameCode) {
  World w;
  ASSERT_EQ(w.ask(kWho[0], "POST", "/api/resident/code", json{{"address", kEmailA}}.dump()).status,
            202);
  const std::string code = queued_code(w, kEmailA);
  NotificationFilter f;
  const std::string body = w.store().notification_log(f).value().front().body;
  // The code and the address in the fragment (never sent to a server), the address encoded.
  const std::string link = "https://heat.example.org/resident.html#login=" + code +
                           "&address=anna.resident%40example.org";
  EXPECT_NE(body.find(link + "\n"), std::string::npos) << body;
  EXPECT_EQ(usecase::login_link("https://x.example/r.html#old", "+4512345678", "12345678"),
            "https://x.example/r.html#login=12345678&address=%2B4512345678");
  // The link's code is the code: it logs in once.
  EXPECT_EQ(w.ask(kWho[0], "POST", "/api/resident/login",
                  json{{"address", kEmailA}, {"code", code}}.dump())
                .status,
            200);
}

TEST(ResidentApi, APasswordOfTheirOwnLogsInAndEndsTheOtherSessions) {
  World w;
  const auto login = [&](const json& body) {
    return w.ask(kWho[0], "POST", "/api/resident/login", body.dump());
  };
  // No password yet: a password login is refused as a wrong one, and so is an unknown address.
  const auto none = login({{"address", kEmailA}, {"password", "a long passphrase"}});
  EXPECT_EQ(none.status, 401);
  const auto nobody = login({{"address", "nobody@example.org"}, {"password", "a long passphrase"}});
  EXPECT_EQ(nobody.status, 401);
  EXPECT_EQ(nobody.body, none.body);
  EXPECT_EQ(login({{"address", kEmailA}}).status, 400);
  EXPECT_EQ(login({{"address", kEmailA}, {"code", "12345678"}, {"password", "x"}}).status, 400);

  // Too short: refused, nothing changes.
  const auto shorter =
      w.as(Who::resident_a, "POST", "/api/resident/password", R"({"password":"short"})");
  EXPECT_EQ(shorter.status, 400);
  EXPECT_NE(shorter.body.find("at least 8"), std::string::npos) << shorter.body;
  EXPECT_TRUE(w.store().resident(w.resident_a()).value()->password_hash.empty());

  // Set: the answer is a new session; the one that asked and every other one ended.
  const auto set = w.as(Who::resident_a, "POST", "/api/resident/password",
                        R"({"password":"a long passphrase"})");
  ASSERT_EQ(set.status, 200) << set.body;
  EXPECT_EQ(json::parse(set.body)["password"], true);
  const std::string fresh = set_cookie(set);
  ASSERT_FALSE(fresh.empty());
  EXPECT_EQ(w.as(Who::resident_a, "GET", "/api/resident/meters").status, 401);
  EXPECT_EQ(w.with_cookie(fresh, "", "GET", "/api/resident/meters").status, 200);
  const auto stored = w.store().resident(w.resident_a()).value()->password_hash;
  EXPECT_EQ(stored.find("a long passphrase"), std::string::npos) << "kept as a hash";

  // Logs in with it (the address typed in another case), not with a wrong one.
  const auto ok =
      login({{"address", "Anna.Resident@example.org"}, {"password", "a long passphrase"}});
  ASSERT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(json::parse(ok.body)["id"], w.resident_a());
  EXPECT_EQ(login({{"address", kEmailA}, {"password", "a long passphrasE"}}).status, 401);

  // Removed (""): codes only again.
  const auto session = json::parse(ok.body);
  const auto removed = w.with_cookie(set_cookie(ok), session["csrf"], "POST",
                                     "/api/resident/password", R"({"password":""})");
  ASSERT_EQ(removed.status, 200) << removed.body;
  EXPECT_EQ(json::parse(removed.body)["password"], false);
  EXPECT_EQ(login({{"address", kEmailA}, {"password", "a long passphrase"}}).status, 401);
}

TEST(ResidentApi, AnUnknownAddressGetsTheSameAnswerAndNoMessage) {
  World w;
  const auto known =
      w.ask(kWho[0], "POST", "/api/resident/code", json{{"address", kEmailA}}.dump());
  const auto unknown =
      w.ask(kWho[0], "POST", "/api/resident/code", R"({"address":"nobody@example.org"})");
  EXPECT_EQ(known.status, unknown.status);
  EXPECT_EQ(known.body, unknown.body);
  NotificationFilter f;
  EXPECT_EQ(w.store().notification_log(f).value().size(), 1u);
  // A phone number, with no SMS channel configured: said, whoever it belongs to.
  const auto phone = w.ask(kWho[0], "POST", "/api/resident/code", R"({"address":"+4512345678"})");
  EXPECT_EQ(phone.status, 400);
  EXPECT_NE(phone.body.find("no SMS channel"), std::string::npos) << phone.body;
}

TEST(ResidentApi, AskingAndGuessingAreLimited) {
  World w;
  // The use case sends 3 codes per resident in 15 minutes; the 4th ask is told to wait.
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(
        w.ask(kWho[0], "POST", "/api/resident/code", json{{"address", kEmailA}}.dump()).status,
        202);
  const auto fourth =
      w.ask(kWho[0], "POST", "/api/resident/code", json{{"address", kEmailA}}.dump());
  EXPECT_EQ(fourth.status, 429) << fourth.body;
  // Wrong codes: 5 per address in 15 minutes, then 429 whatever the code.
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(w.ask(kWho[0], "POST", "/api/resident/login",
                    json{{"address", kEmailA}, {"code", "00000000"}}.dump())
                  .status,
              401);
  }
  const std::string code = queued_code(w, kEmailA);
  EXPECT_EQ(w.ask(kWho[0], "POST", "/api/resident/login",
                  json{{"address", kEmailA}, {"code", code}}.dump())
                .status,
            429);
}

TEST(ResidentApi, AResidentSeesTheirMetersCreditAndPaymentsWithoutTheStaffsFields) {
  World w;
  const auto list = json::parse(w.as(Who::resident_a, "GET", "/api/resident/meters").body);
  ASSERT_EQ(list["meters"].size(), 1u);
  const auto& m = list["meters"][0];
  EXPECT_EQ(m["serial"], kMeterA);
  EXPECT_EQ(m["price"], "2");
  EXPECT_EQ(m["payment"], std::string("MobilePay 12 34 56 78, message ") + kMeterA);
  EXPECT_TRUE(m.contains("days_left"));
  EXPECT_TRUE(m.contains("remaining_money"));
  for (const char* hidden : {"group", "version", "can_admin", "setup_value"})
    EXPECT_FALSE(m.contains(hidden)) << hidden;
  const auto b = json::parse(w.as(Who::resident_b, "GET", "/api/resident/meters").body);
  ASSERT_EQ(b["meters"].size(), 1u);
  EXPECT_EQ(b["meters"][0]["serial"], kMeterB);
  const auto payments = json::parse(
      w.as(Who::resident_a, "GET", std::string("/api/resident/meters/") + kMeterA + "/payments")
          .body);
  ASSERT_EQ(payments["payments"].size(), 1u);
  EXPECT_EQ(payments["payments"][0]["kwh"], "50");
  EXPECT_FALSE(payments["payments"][0].contains("note")) << "the staff's note";
  // A serial written another way is the same meter; one that is nobody's is 404 as B's is.
  EXPECT_EQ(w.as(Who::resident_a, "GET", "/api/resident/meters/06892850").status, 200);
  EXPECT_EQ(w.as(Who::resident_a, "GET", "/api/resident/meters/1234567").status, 404);
}

TEST(ResidentApi, TheUseTableIsAskedForByPeriodAndCount) {
  World w;
  const std::string path = std::string("/api/resident/meters/") + kMeterA + "/consumption";
  const auto months = json::parse(w.as(Who::resident_a, "GET", path).body);
  EXPECT_EQ(months["period"], "month");
  EXPECT_EQ(months["unit"], "kWh");
  EXPECT_EQ(months["buckets"].size(), 12u);
  const auto days =
      json::parse(w.as(Who::resident_a, "GET", path, "", {{"period", "day"}, {"count", "3"}}).body);
  ASSERT_EQ(days["buckets"].size(), 3u);
  EXPECT_EQ(days["buckets"][2]["end"].get<std::int64_t>() -
                days["buckets"][2]["start"].get<std::int64_t>(),
            86400);
  const auto bad_period = w.as(Who::resident_a, "GET", path, "", {{"period", "hour"}});
  EXPECT_EQ(bad_period.status, 400);
  EXPECT_NE(bad_period.body.find("period must be day, week, month or year"), std::string::npos);
  const auto bad_count =
      w.as(Who::resident_a, "GET", path, "", {{"period", "year"}, {"count", "21"}});
  EXPECT_EQ(bad_count.status, 400);
  EXPECT_NE(bad_count.body.find("count must be between 1 and 20"), std::string::npos)
      << bad_count.body;
  EXPECT_EQ(w.as(Who::resident_a, "GET", path, "", {{"count", "x"}}).status, 400);
}

TEST(ResidentApi, AResidentTakesTheirOwnDataAway) {
  World w;
  Rollup day;
  day.serial = kMeterA;
  day.bucket = w.now_ - w.now_ % 86400 - 86400;
  day.samples = 2;
  day.first_time = day.bucket + 60;
  day.last_time = day.bucket + 3600;
  day.energy_first = "1000.5";
  day.energy_last = "1012.25";
  ASSERT_TRUE(w.store().write_rollups(Period::day, {day}).ok());
  const auto got = w.as(Who::resident_a, "GET", "/api/resident/export.json");
  ASSERT_EQ(got.status, 200) << got.body;
  bool attachment = false;
  for (const auto& [name, value] : got.headers)
    attachment |= name == "Content-Disposition" && value.find("attachment") != std::string::npos;
  EXPECT_TRUE(attachment);
  const auto data = json::parse(got.body);
  EXPECT_EQ(data["resident"]["email"], kEmailA);
  ASSERT_EQ(data["meters"].size(), 1u);
  EXPECT_EQ(data["meters"][0]["serial"], kMeterA);
  ASSERT_EQ(data["meters"][0]["days"].size(), 1u);
  EXPECT_EQ(data["meters"][0]["days"][0]["reading"], "1012.25");
  EXPECT_EQ(data["meters"][0]["days"][0]["day"], "2027-01-14");  // the day before 1.8e9 s
  EXPECT_EQ(data["meters"][0]["payments"][0]["credited"], "50");
  EXPECT_EQ(got.body.find("cash to anna"), std::string::npos) << "the staff's note";
  const auto readings = w.as(Who::resident_a, "GET", "/api/resident/readings.csv");
  EXPECT_EQ(readings.body,
            std::string("serial,day,reading,unit\n") + kMeterA + ",2027-01-14,1012.25,kWh\n");
  EXPECT_EQ(readings.content_type.rfind("text/csv", 0), 0u);
  const auto payments = w.as(Who::resident_a, "GET", "/api/resident/payments.csv");
  EXPECT_NE(payments.body.find(std::string(kMeterA) + ",1799999900,100,2,50,kWh,active\n"),
            std::string::npos)
      << payments.body;
  // B's export holds nothing of A's.
  const auto b = w.as(Who::resident_b, "GET", "/api/resident/export.json");
  EXPECT_EQ(b.body.find(kMeterA), std::string::npos);
  EXPECT_EQ(b.body.find(kEmailA), std::string::npos);
}

TEST(ResidentApi, AResidentChoosesTheirNoticesChannelAndLanguage) {
  World w;
  const auto set = w.as(Who::resident_a, "POST", "/api/resident/preferences",
                        R"({"notices":"essential","notice_channel":"email","language":"da"})");
  ASSERT_EQ(set.status, 200) << set.body;
  const auto r = w.store().resident(w.resident_a()).value();
  EXPECT_EQ(r->notices, ResidentNotices::essential);
  EXPECT_EQ(r->notice_channel, "email");
  EXPECT_EQ(r->language, "da");
  EXPECT_EQ(json::parse(w.as(Who::resident_a, "GET", "/api/resident/session").body)["notices"],
            "essential");
  // A threshold of one's own, in days.
  EXPECT_EQ(w.as(Who::resident_a, "POST", "/api/resident/preferences", R"({"low_days":7})").status,
            200);
  EXPECT_EQ(w.store().resident(w.resident_a()).value()->low_days, 7);
  for (const char* bad : {R"({"low_days":61})", R"({"low_days":-1})", R"({"low_days":"7"})"}) {
    EXPECT_EQ(w.as(Who::resident_a, "POST", "/api/resident/preferences", bad).status, 400) << bad;
  }
  EXPECT_EQ(w.store().resident(w.resident_a()).value()->low_days, 7);
  // No phone number is known: SMS is refused, and nothing changes.
  const auto sms = w.as(Who::resident_a, "POST", "/api/resident/preferences",
                        R"({"notice_channel":"sms","notices":"none"})");
  EXPECT_EQ(sms.status, 400);
  EXPECT_NE(sms.body.find("no phone number"), std::string::npos) << sms.body;
  EXPECT_EQ(w.store().resident(w.resident_a()).value()->notices, ResidentNotices::essential);
  EXPECT_EQ(
      w.as(Who::resident_a, "POST", "/api/resident/preferences", R"({"notices":"some"})").status,
      400);
  // Resident B's choices are B's own.
  EXPECT_EQ(w.store().resident(2).value()->notices, ResidentNotices::all);
}

TEST(ResidentApi, StaffInviteAndRemoveResidentsOfTheirGroupsMeters) {
  World w;
  const auto invited =
      w.as(Who::group_admin, "POST", std::string("/api/meters/") + kMeterA + "/residents",
           R"({"name":"Carla","phone":"+45 11 22 33 44","language":"en"})");
  ASSERT_EQ(invited.status, 201) << invited.body;
  EXPECT_EQ(json::parse(invited.body)["phone"], "+4511223344");
  const auto list = json::parse(
      w.as(Who::group_admin, "GET", std::string("/api/meters/") + kMeterA + "/residents").body);
  EXPECT_EQ(list["residents"].size(), 2u);
  EXPECT_EQ(w.as(Who::group_admin, "POST", std::string("/api/meters/") + kMeterA + "/residents",
                 json{{"email", kEmailB}}.dump())
                .status,
            400)
      << "an address is one resident's";
  // anna is not an admin of meter B's group: B's resident is not hers to remove.
  EXPECT_EQ(w.as(Who::group_admin, "POST", "/api/residents/2/remove").status, 403);
  EXPECT_EQ(w.as(Who::group_admin, "POST", "/api/residents/99/remove").status, 404);
  EXPECT_EQ(w.as(Who::group_admin, "POST", "/api/residents/1/remove").status, 204);
  EXPECT_FALSE(w.store().resident(1).value());
  EXPECT_EQ(w.as(Who::resident_a, "GET", "/api/resident/meters").status, 401)
      << "their sessions went with them";
  const auto audit = w.store().admin_audit("", 100).value();
  std::set<std::string> actions;
  for (const auto& e : audit) {
    actions.insert(e.action);
    EXPECT_EQ(e.detail.find("example.org"), std::string::npos) << e.detail;
    EXPECT_EQ(e.detail.find("4511223344"), std::string::npos) << e.detail;
  }
  EXPECT_EQ(actions.count("resident.invite"), 1u);
  EXPECT_EQ(actions.count("resident.remove"), 1u);
}

}  // namespace ml::server::http::authorisation_unit
