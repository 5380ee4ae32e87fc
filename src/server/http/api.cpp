#include "server/http/api.hpp"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <nlohmann/json.hpp>
#include <set>

#include "core/bytes.hpp"
#include "core/topic/names.hpp"
#include "core/topic/reset_reason.hpp"
#include "core/topic/topic.hpp"
#include "password/password.hpp"
#include "platform/http/cookie.hpp"
#include "platform/log/log.hpp"
#include "platform/qr/qr.hpp"
#include "server/audit.hpp"
#include "server/client_address.hpp"
#include "server/commands.hpp"
#include "server/event_cause.hpp"
#include "server/gaps.hpp"
#include "server/http/api_support.hpp"
#include "server/http/views.hpp"
#include "server/key_change.hpp"
#include "server/meter_page.hpp"
#include "server/metrics.hpp"
#include "server/notify/config.hpp"
#include "server/usecases/commands.hpp"
#include "server/usecases/estimates.hpp"
#include "server/usecases/meters.hpp"
#include "server/usecases/payments.hpp"
#include "server/usecases/second_factor.hpp"
#include "server/usecases/users.hpp"
#include "server/users.hpp"

namespace ml::server::http {
namespace {

// What a contact field holds: one line of text, an e-mail address or a phone number (checked as
// `meters contact` and `users contact` check them, server/notify/config.hpp).
enum class ContactKind : std::uint8_t { text, email, phone };

// A contact field of a request body: nullopt when left out (the stored value stays), else the
// text given ("" clears it), checked for its kind.
core::Result<std::optional<std::string>> contact_field(const json& body, const char* name,
                                                       ContactKind kind) {
  if (!body.contains(name) || body[name].is_null()) return std::optional<std::string>();
  auto text = string_field(body, name, 200);
  if (!text) return text.error();
  const auto bad = [&](const std::string& why) {
    return core::make_error(core::Errc::invalid_argument, std::string(name) + ": " + why);
  };
  if (text->find_first_of("\r\n") != std::string::npos) return bad("must be one line");
  if (!text->empty() && kind == ContactKind::email) {
    if (auto st = notify::check_email_address(*text); !st) return bad(st.error().text());
  }
  if (!text->empty() && kind == ContactKind::phone) {
    if (auto st = notify::check_phone_number(*text); !st) return bad(st.error().text());
  }
  return std::optional<std::string>(std::move(text).value());
}
constexpr int kAuditPage = 100;  // audit entries per page unless `limit` says otherwise
// Samples per page of a CSV export: a few milliseconds of work and well under a megabyte.
constexpr std::size_t kCsvPage = 1000;

// Sessions are stored under the SHA-256 of their token: a copy of the database opens none.
std::string token_hash(const std::string& token) {
  return password::secret_hash(token);
}

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  while (!path.empty()) {
    if (path.front() == '/') {
      path.remove_prefix(1);
      continue;
    }
    const auto slash = path.find('/');
    out.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash);
  }
  return out;
}

std::string session_cookie(const std::string& token, std::int64_t max_age, bool secure) {
  return std::string(kSessionCookie) + "=" + token +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (secure ? "; Secure" : "");
}

// A password in the argument or the reply is masked for everyone (the device has it already).
json command_json(const Command& c) {
  const auto* info = core::topic::find_command(c.command);
  const std::string_view reply_function = info != nullptr ? info->reply : c.command;
  return {{"id", c.id},
          {"command", c.command},
          {"argument", core::topic::masked_argument(c.command, c.argument)},
          {"state", std::string(state_name(c.state))},
          {"created", c.created},
          {"expires", c.expires},
          {"sent_count", c.sent_count},
          {"last_sent", c.last_sent},
          {"reply",
           c.reply ? json(core::topic::masked_reply(reply_function, *c.reply)) : json(nullptr)},
          {"reply_time", c.reply_time}};
}

// Every command an operator may queue, from the command table (core/topic/names.hpp).
Response commands_list() {
  json list = json::array();
  for (const auto& c : core::topic::kCommands) {
    if (!c.operator_may_queue()) continue;
    list.push_back({{"name", c.name},
                    {"argument", c.argument.empty() ? json(nullptr) : json(c.argument)},
                    {"feature", core::topic::feature_name(c.feature)},
                    {"reply", c.reply.empty() ? json(nullptr) : json(c.reply)},
                    {"confirmed_by", c.confirming_function()},
                    {"secret", c.secret != core::topic::Secret::none}});
  }
  return json_response(200, json{{"commands", std::move(list)}});
}

// The payment id and reason of a payment.void/payment.correct audit entry's detail
// ("#12 corrected by #13; open_until 40; reason: typo"); none for another text.
std::optional<std::pair<std::int64_t, std::string>> parse_payment_change(const std::string& d) {
  constexpr std::string_view kReason = "; reason: ";
  if (d.empty() || d[0] != '#') return std::nullopt;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(d.data() + 1, d.data() + d.size(), id);
  if (ec != std::errc()) return std::nullopt;
  const auto at = d.find(kReason);
  if (at == std::string::npos) return std::nullopt;
  return std::make_pair(id, d.substr(at + kReason.size()));
}

// A reset_reason reply in words (core/topic/reset_reason.hpp); null when it does not read.
json reset_reason_json(const std::string& reply) {
  const auto r = core::topic::describe_reset_reason(reply);
  return r.ok ? json(r.text) : json(nullptr);
}

// `setup_second_factor`: the user's role needs a second factor it has not set up; until it
// does, only /api/second-factor, /api/session and /api/logout answer.
json session_json(const User& u, const Session& s, bool setup_second_factor) {
  return {{"user", u.name},
          {"role", std::string(role_name(u.role))},
          {"groups", u.groups},
          {"csrf", s.csrf},
          {"setup_second_factor", setup_second_factor}};
}

}  // namespace

bool can_admin(const User& user, const std::string& group) {
  if (user.role != Role::admin) return false;
  return std::any_of(user.groups.begin(), user.groups.end(),
                     [&](const std::string& g) { return g == "*" || g == group; });
}

bool is_json_type(std::string_view type) {
  type = type.substr(0, type.find(';'));
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
    type.remove_suffix(1);
  constexpr std::string_view kJson = "application/json";
  return type.size() == kJson.size() &&
         std::equal(type.begin(), type.end(), kJson.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? static_cast<char>(a - 'A' + 'a') : a) == b;
         });
}

// ---- the API ----

Api::Api(ServerStore& store, const ServerConfig& config, Now now)
    : Api(std::make_shared<StorePool>(store), config, std::move(now)) {}

Api::Api(std::shared_ptr<StorePool> stores, const ServerConfig& config, Now now)
    : stores_(std::move(stores)),
      config_(config),
      now_(std::move(now)),
      fleet_(
          "needs attention", [this](ServerStore& s, std::int64_t at) { return read_fleet(s, at); },
          stores_, now_, static_cast<std::size_t>(config.http.attention_cache_above),
          kFleetRefreshS),
      meter_rows_(
          "the meter list",
          [](ServerStore& s, std::int64_t at) -> core::Result<MeterRows> {
            auto all = s.meters();
            if (!all) return all.error();
            return MeterRows{at, std::move(all).value()};
          },
          stores_, now_, static_cast<std::size_t>(config.http.attention_cache_above),
          kMeterRowsRefreshS) {}

namespace {
thread_local ServerStore* current_store = nullptr;

// Makes a leased connection the current thread's store for one request.
struct CurrentStore {
  explicit CurrentStore(ServerStore& s) : previous(current_store) { current_store = &s; }
  ~CurrentStore() { current_store = previous; }
  CurrentStore(const CurrentStore&) = delete;
  CurrentStore& operator=(const CurrentStore&) = delete;
  ServerStore* previous;
};
}  // namespace

ServerStore& Api::store() {
  return *current_store;
}

core::Result<StoreMetrics> Api::store_metrics() {
  auto lease = stores_->take();
  if (!lease) return lease.error();
  const std::int64_t now = now_();
  return (*lease)->store_metrics(now - config_.http.offline_after_s,
                                 now - metrics::kRoundTripWindowS);
}

Response Api::handle(const Request& r) {
  try {
    // Behind a trusted reverse proxy the client is the one X-Forwarded-For names.
    if (!r.forwarded_for.empty() && !config_.http.trusted_proxies.empty()) {
      const std::string client =
          client_address(r.remote, r.forwarded_for, config_.http.trusted_proxies);
      if (client != r.remote) {
        Request proxied = r;
        proxied.remote = client;
        return dispatch(proxied);
      }
    }
    return dispatch(r);
  } catch (const std::exception& e) {
    return error(500, std::string("internal error: ") + e.what());
  }
}

Response Api::dispatch(const Request& r) {
  const auto parts = split_path(r.path);
  if (parts.empty() || parts[0] != "api") return error(404, "no such page");
  // A cross-site form can send text/plain or a form encoding, never JSON: requiring JSON on
  // every change (the login too) keeps other sites from logging a browser in or acting for it.
  if (r.method != "GET" && r.method != "HEAD" && !is_json_type(r.content_type)) {
    return error(415, "send the body as JSON (Content-Type: application/json)");
  }
  auto lease = stores_->take();
  if (!lease) return store_error(lease.error());
  CurrentStore current(**lease);
  if (parts.size() == 2 && parts[1] == "login") {
    if (r.method != "POST") return error(405, "log in with POST");
    return login(r);
  }
  // The residents' routes have sessions of their own (resident_api.cpp).
  if (parts.size() >= 2 && parts[1] == "resident") {
    if (r.method != "GET") return resident_route(r, parts);
    return on_snapshot([&] { return resident_route(r, parts); });
  }
  auto caller = caller_of(r);
  if (!caller) return error(401, "not logged in");
  if (r.method != "GET" && !same_secret(r.csrf, caller->session.csrf)) {
    return error(403, "missing or wrong CSRF token (X-CSRF-Token)");
  }
  // A role that needs a second factor, without one yet: only what sets one up, until it is.
  const bool setting_up = parts.size() >= 2 && (parts[1] == "session" || parts[1] == "logout" ||
                                                parts[1] == "second-factor");
  if (!setting_up) {
    auto setup = needs_second_factor_setup(caller->user);
    if (!setup) return store_error(setup.error());
    if (*setup) {
      return error(403,
                   "your role needs a second factor: set up an authenticator app first "
                   "(the dashboard's \"Second factor\" page, or `meterlogger-server users totp`)");
    }
  }
  if (r.method != "GET") return route(r, *caller, parts);
  return on_snapshot([&] { return route(r, *caller, parts); });
}

// A GET reads on one snapshot of its own (a streamed export's pages take their own).
Response Api::on_snapshot(const std::function<Response()>& answer) {
  Response out;
  auto read = store().read_snapshot([&]() -> core::Status {
    out = answer();
    return core::Ok{};
  });
  if (!read) return store_error(read.error());
  return out;
}

std::optional<Api::Caller> Api::caller_of(const Request& r) {
  const std::string token = platform::http::cookie_value(r.cookie, kSessionCookie);
  if (!is_token(token)) return std::nullopt;
  const std::string id = token_hash(token);
  auto s = store().session(id);
  if (!s || !*s || (*s)->expires <= now_()) return std::nullopt;
  auto u = store().user((*s)->user);
  if (!u || !*u) return std::nullopt;
  return Caller{**u, **s, id};
}

void Api::audit(const std::string& actor, const Request& r, const std::string& action,
                const std::string& serial, const std::string& detail) {
  // The change is made already: a failing audit write goes to the log rather than failing the
  // request.
  if (auto st = store().audit_admin({0, now_(), actor, r.remote, action, serial, detail}); !st) {
    platform::log::error("audit log: cannot record " + action + " by " + actor + ": " +
                         st.error().message());
  }
}

core::Result<bool> Api::needs_second_factor_setup(const User& user) {
  if (!second_factor_required(config_.http.second_factor, user)) return false;
  auto factor = store().second_factor(user.name);
  if (!factor) return factor.error();
  return !*factor || !(*factor)->confirmed;
}

Response Api::login(const Request& r) {
  auto body = body_object(r);
  if (!body) return error(400, body.error().detail);
  ML_FIELD(name, string_field(*body, "username", 64));
  ML_FIELD(password, string_field(*body, "password", 1024));
  // The second factor: a code from the authenticator app, or a recovery code.
  ML_FIELD(code, string_field(*body, "code", 64));
  if (name.empty() || password.empty()) return error(400, "give username and password");
  std::optional<User> user;
  {
    auto u = store().user(name);
    if (!u) return store_error(u.error());
    user = *u;
  }
  // Checked and counted in one step before the password is looked at: parallel attempts get
  // no more checks than the limit.
  const auto attempt = now_();
  const auto wait = limiter_.begin(name, r.remote, attempt, user ? user->unlocked_at : 0);
  if (wait > 0) {
    auto resp = error(429, "too many failed logins; try again in " + std::to_string(wait) + " s");
    resp.headers.emplace_back("Retry-After", std::to_string(wait));
    return resp;
  }
  // Argon2id takes tens of milliseconds: outside the lock. An unknown name costs the same.
  static const std::string dummy = [] {
    std::string h;
    password::hash_password("no such user", &h);
    return h;
  }();
  const bool ok = password::verify_password(user ? user->password_hash : dummy, password) && user;
  if (!ok) {
    // A name that is no user may be a password typed into the wrong field: not recorded.
    audit(user ? user->name : kUnknownUser, r, "login.failed", "", "");
    return error(401, "wrong user name or password");
  }
  // With a second factor the password alone does not log in: the attempt still counts against
  // the limit (a code guessed is a failed login), until the code is right.
  auto factor = store().second_factor(user->name);
  if (!factor) return store_error(factor.error());
  if (*factor && (*factor)->confirmed) {
    if (code.empty()) {
      return json_response(401, json{{"error", "enter the code from your authenticator app"},
                                     {"second_factor", "totp"}});
    }
    auto used = usecase::check_second_factor(store(), user->name, code, now_());
    if (!used) {
      if (used.error().code != core::Errc::invalid_argument) return store_error(used.error());
      audit(user->name, r, "login.failed", "", "second factor");
      return json_response(401, json{{"error", used.error().detail}, {"second_factor", "totp"}});
    }
    if (*used == usecase::FactorUsed::recovery_code)
      audit(user->name, r, "login.recovery_code", "", "");
  }
  limiter_.succeeded(name, r.remote, attempt);
  const auto now = now_();
  const std::string token = random_token();
  const std::int64_t lifetime = std::int64_t{config_.http.session_hours} * 3600;
  Session s{user->name, random_token(), now, now + lifetime, r.remote};
  if (auto st = server::add_session(store(), token_hash(token), s); !st)
    return store_error(st.error());
  audit(user->name, r, "login", "", "");
  auto setup = needs_second_factor_setup(*user);
  if (!setup) return store_error(setup.error());
  auto resp = json_response(200, session_json(*user, s, *setup));
  resp.headers.emplace_back("Set-Cookie",
                            session_cookie(token, lifetime, config_.http.secure_cookies));
  return resp;
}

Response Api::route(const Request& r, const Caller& c, const std::vector<std::string>& parts) {
  const bool get = r.method == "GET";
  const bool post = r.method == "POST";
  if (parts.size() == 2 && parts[1] == "session" && get) {
    auto setup = needs_second_factor_setup(c.user);
    if (!setup) return store_error(setup.error());
    return json_response(200, session_json(c.user, c.session, *setup));
  }
  if (parts.size() == 2 && parts[1] == "logout" && post) {
    if (auto st = store().remove_session(c.id_hash); !st) return store_error(st.error());
    audit(c.user.name, r, "logout", "", "");
    Response resp;
    resp.status = 204;
    resp.headers.emplace_back("Set-Cookie", session_cookie("", 0, config_.http.secure_cookies));
    return resp;
  }
  if (parts.size() == 2 && parts[1] == "audit" && get) return audit_get(r, c);
  if (parts.size() == 4 && parts[1] == "payments") {
    if (!post) return error(405, "POST");
    return payment_post(r, c, parts[2], parts[3]);
  }
  if (parts.size() >= 2 && parts.size() <= 4 && parts[1] == "users")
    return users_route(r, c, parts);
  if (parts.size() >= 2 && parts.size() <= 3 && parts[1] == "second-factor")
    return second_factor_route(r, c, parts);
  if (parts.size() >= 3 && parts[1] == "residents") return residents_route(r, c, parts);
  if (parts.size() == 2 && parts[1] == "posters" && get) return group_posters_get(r);
  if (parts.size() == 2 && parts[1] == "commands" && get) return commands_list();
  if (parts.size() == 2 && parts[1] == "attention" && get) return attention_get(r, c);
  if (parts.size() >= 2 && parts.size() <= 4 && parts[1] == "alarms")
    return alarms_route(r, c, parts);
  if (parts.size() >= 2 && parts.size() <= 4 && parts[1] == "alarm-rules") {
    return alarm_rules_route(r, c, parts);
  }
  if (parts.size() == 2 && (parts[1] == "notifications" || parts[1] == "channels") && get) {
    return notifications_get(r, c, parts[1]);
  }
  if (parts.size() == 2 && parts[1] == "unknown-serials" && get) {
    // Serials whose messages were rejected as unknown: devices to adopt with `meters add`.
    if (c.user.role != Role::admin) return error(403, "unknown serials are for admins");
    auto seen = store().unknown_serials(kListLimit);
    if (!seen) return store_error(seen.error());
    json list = json::array();
    for (const auto& u : *seen) {
      list.push_back({{"serial", u.serial},
                      {"count", u.count},
                      {"first_time", u.first_time},
                      {"last_time", u.last_time}});
    }
    return json_response(200, json{{"serials", std::move(list)}});
  }
  if (parts.size() == 2 && parts[1] == "meters") {
    if (post) return add_meter(r, c);
    if (!get) return error(405, "GET or POST");
    if (r.query.count("limit") != 0) return meters_page(r, c);
    const auto now = now_();
    json list = json::array();
    auto read = store().read_snapshot([&]() -> core::Status {
      auto all = store().meters();
      if (!all) return all.error();
      for (const auto& m : *all) {
        auto v = meter_view(store(), m, now, config_.http.offline_after_s,
                            can_admin(c.user, m.group), &daily_use_);
        if (!v) return v.error();
        list.push_back(std::move(v).value());
      }
      return core::Ok{};
    });
    if (!read) return store_error(read.error());
    return json_response(200, json{{"now", now}, {"meters", std::move(list)}});
  }
  if (parts.size() >= 3 && parts.size() <= 5 && parts[1] == "meters") {
    // Serials compare as numbers: /api/meters/40 is meter 0000040.
    auto m = store().meter(core::topic::canonical_serial(parts[2]));
    if (!m) return store_error(m.error());
    if (!*m) return error(404, "no meter " + parts[2]);
    std::string what = parts.size() >= 4 ? parts[3] : "";
    if (parts.size() == 5) what += "/" + parts[4];
    if (what == "residents" && (get || post)) return meter_residents(r, c, **m);
    if (what == "poster" && get) return posters_get(r, {**m});
    if (get) return meter_get(r, c, **m, what);
    if (post) return meter_post(r, c, **m, what);
    return error(405, "GET or POST");
  }
  return error(404, "no such API: " + r.method + " " + r.path);
}

// GET /api/meters?limit=N: one page of the list (server/meter_page.hpp) picked from the meters'
// rows (kept between requests beyond [http] attention_cache_above meters: kept_reading.hpp);
// only the page's meters are read beyond their rows, afresh.
Response Api::meters_page(const Request& r, const Caller& c) {
  ML_FIELD(query, parse_meter_query(r.query));
  const auto now = now_();
  json out;
  auto read = store().read_snapshot([&]() -> core::Status {
    auto rows = meter_rows_.get(store());
    if (!rows) return rows.error();
    const MeterPage page = meter_page((*rows)->meters, query);
    json list = json::array();
    for (const Meter* kept : page.meters) {
      // The page's rows afresh (the kept ones may be seconds old): a meter removed since is left
      // out of the page.
      auto fresh = store().meter(kept->serial);
      if (!fresh) return fresh.error();
      if (!*fresh) continue;
      const Meter* m = &**fresh;
      auto v = meter_view(store(), *m, now, config_.http.offline_after_s,
                          can_admin(c.user, m->group), &daily_use_);
      if (!v) return v.error();
      list.push_back(std::move(v).value());
    }
    json groups = json::object();
    for (const auto& [name, count] : page.groups)
      groups[name] = count;
    out = {{"now", now},
           {"as_of", (*rows)->as_of},
           {"total", page.total},
           {"offset", query.offset},
           {"limit", query.limit},
           {"groups", std::move(groups)},
           {"meters", std::move(list)}};
    return core::Ok{};
  });
  if (!read) return store_error(read.error());
  return json_response(200, out);
}

// GET .../series?from=T&to=T&resolution=auto: the chart columns (the staff's and the residents').
Response Api::series_get(const Request& r, const Meter& m) {
  ML_FIELD(to, time_param(r, "to", now_()));
  ML_FIELD(from, time_param(r, "from", std::max<std::int64_t>(0, to - 86400)));
  if (from > to) return error(400, "from must not be after to");
  auto it = r.query.find("resolution");
  ML_FIELD(res, pick_resolution(it == r.query.end() ? "" : it->second, from, to));
  auto body = series_json(store(), m, from, to, res);
  if (!body) return store_error(body.error());
  Response resp;
  resp.body = std::move(body).value();
  return resp;
}

Response Api::meter_get(const Request& r, const Caller& c, const Meter& m,
                        const std::string& what) {
  const auto now = now_();
  if (what.empty()) {
    auto v = meter_view(store(), m, now, config_.http.offline_after_s, can_admin(c.user, m.group),
                        &daily_use_);
    if (!v) return store_error(v.error());
    // Diagnostics (masked) and rejected messages as `meters show` reads them.
    auto report = usecase::show_meter(store(), m.serial);
    if (!report) return store_error(report.error());
    json d = json::object();
    for (const auto& [fn, value] : report->diagnostics) {
      d[fn] = {{"value", value.text}, {"time", value.time}};
      if (fn == "reset_reason") d[fn]["text"] = reset_reason_json(value.text);
    }
    (*v)["diagnostics"] = std::move(d);
    // Messages naming this meter that were rejected (a wrong key shows here as bad_mac).
    json rj = json::object();
    for (const auto& x : report->rejected) {
      rj[x.reason] = {{"count", x.count}, {"first_time", x.first_time}, {"last_time", x.last_time}};
    }
    (*v)["rejected"] = std::move(rj);
    (*v)["offline_since"] = m.offline_since == 0 ? json(nullptr) : json(m.offline_since);
    // A key change under way: since when (the key itself is never shown).
    (*v)["key_change_since"] = m.next_key_hex.empty() ? json(nullptr) : json(m.next_key_since);
    // The customer's contact (personal data) only for those who may change the meter.
    if (can_admin(c.user, m.group)) {
      (*v)["contact_name"] = m.contact_name;
      (*v)["contact_email"] = m.contact_email;
      (*v)["contact_phone"] = m.contact_phone;
    }
    return json_response(200, *v);
  }
  if (what == "series") return series_get(r, m);
  if (what == "samples.csv" || what == "energy.csv") {
    ML_FIELD(to, time_param(r, "to", INT64_MAX));
    ML_FIELD(from, time_param(r, "from", 0));
    if (from > to) return error(400, "from must not be after to");
    return csv_export(m, what, from, to);
  }
  if (what == "payments") {
    auto v = payments_view(store(), m);
    if (!v) return store_error(v.error());
    // Who voided or corrected an entry, when and why: the admin audit log has it (among the
    // meter's newest entries).
    auto log = store().admin_audit(m.serial, 10 * kListLimit);
    if (!log) return store_error(log.error());
    std::map<std::int64_t, json> changes;
    for (const auto& e : *log) {
      if (e.action != "payment.void" && e.action != "payment.correct") continue;
      const auto change = parse_payment_change(e.detail);
      if (!change || changes.count(change->first) != 0) continue;
      changes[change->first] = {{"action", e.action.substr(e.action.find('.') + 1)},
                                {"actor", e.actor},
                                {"time", e.time},
                                {"reason", change->second}};
    }
    for (auto& p : (*v)["payments"]) {
      auto it = changes.find(p["id"].get<std::int64_t>());
      p["change"] = it == changes.end() ? json(nullptr) : it->second;
    }
    return json_response(200, *v);
  }
  if (what == "commands") {
    auto all = store().commands(m.serial);
    if (!all) return store_error(all.error());
    json list = json::array();
    for (auto it = all->rbegin(); it != all->rend() && list.size() < kListLimit; ++it) {
      list.push_back(command_json(*it));
    }
    return json_response(200, json{{"commands", std::move(list)}});
  }
  if (what == "gaps") {
    auto g = meter_gaps(store(), m.serial, now, config_.gaps);
    if (!g) return store_error(g.error());
    json list = json::array();
    for (const auto& x : g->gaps) {
      list.push_back({{"from", x.gap.missing.from},
                      {"to", x.gap.missing.to},
                      {"expected", x.gap.expected},
                      {"state", std::string(gap_state_name(x.state))},
                      {"tries", x.tries},
                      {"command", x.command_id == 0 ? json(nullptr) : json(x.command_id)}});
    }
    return json_response(200, json{{"interval", g->interval ? json(*g->interval) : json(nullptr)},
                                   {"takes_resend", g->takes_resend},
                                   {"window_s", config_.gaps.window_s},
                                   {"gaps", std::move(list)}});
  }
  if (what == "events") {
    auto all = store().events(m.serial);
    if (!all) return store_error(all.error());
    // What explains the events: the meter's commands, its audit entries, its payments.
    CauseSources sources;
    auto commands = store().commands(m.serial);
    if (!commands) return store_error(commands.error());
    sources.commands = std::move(commands).value();
    auto log = store().admin_audit(m.serial, 10 * kListLimit);
    if (!log) return store_error(log.error());
    sources.audit = std::move(log).value();
    auto payments = store().payments(m.serial);
    if (!payments) return store_error(payments.error());
    sources.payments = std::move(payments).value();
    json list = json::array();
    for (auto it = all->rbegin(); it != all->rend() && list.size() < kListLimit; ++it) {
      json e = {{"time", it->time}, {"kind", it->kind}, {"detail", it->detail}};
      if (it->kind == "reset_reason") e["text"] = reset_reason_json(it->detail);
      const EventCause cause = cause_of(*it, sources);
      e["cause"] = {{"kind", std::string(cause_kind_name(cause.kind))},
                    {"actor", cause.actor.empty() ? json(nullptr) : json(cause.actor)},
                    {"id", cause.id == 0 ? json(nullptr) : json(cause.id)},
                    {"text", cause.text}};
      list.push_back(std::move(e));
    }
    return json_response(200, json{{"events", std::move(list)}});
  }
  return error(404, "no such API: GET " + r.path);
}

// The CSV body is read page by page as the client takes it, each page with a connection of its
// own for a moment: memory stays bounded and no connection is held while the client is slow.
// Each page is its own snapshot; pages follow each other in time, so no sample is given twice.
Response Api::csv_export(const Meter& m, const std::string& what, std::int64_t from,
                         std::int64_t to) {
  Response resp;
  resp.content_type = "text/csv; charset=utf-8";
  resp.headers.emplace_back("Content-Disposition",
                            "attachment; filename=\"" + m.serial + "-" + what + "\"");
  std::shared_ptr<EnergyCsv> energy;
  if (what == "energy.csv") {
    auto entries = store().payments(m.serial);
    if (!entries) return store_error(entries.error());
    auto writer = EnergyCsv::make(m, std::move(entries).value());
    if (!writer) return store_error(writer.error());
    energy = std::make_shared<EnergyCsv>(std::move(writer).value());
    resp.body = energy->header();
  } else {
    resp.body = samples_csv_header();
  }
  resp.stream = [stores = stores_, serial = m.serial, next = from, to,
                 energy](std::string& out) mutable {
    if (next > to) return false;
    std::vector<StoredSample> rows;
    {
      auto lease = stores->take();
      if (!lease) throw std::runtime_error(lease.error().message());
      auto page = (*lease)->samples_page(serial, next, to, kCsvPage);
      if (!page) throw std::runtime_error(page.error().message());
      rows = std::move(page).value();
    }
    if (energy) {
      if (auto st = energy->append(rows, out); !st) throw std::runtime_error(st.error().message());
    } else {
      append_samples_csv(rows, out);
    }
    if (rows.size() < kCsvPage || rows.back().time >= to) return false;
    next = rows.back().time + 1;
    return true;
  };
  return resp;
}

Response Api::meter_post(const Request& r, const Caller& c, const Meter& m,
                         const std::string& what) {
  if (what != "payments" && what != "payments/preview" && what != "commands" &&
      what != "settings" && what != "remove" && what != "key-change") {
    return error(404, "no such API: POST " + r.path);
  }
  if (!can_admin(c.user, m.group)) {
    return error(403, "only an admin of group \"" + m.group + "\" may change meter " + m.serial);
  }
  if (what == "settings") return meter_settings(r, c, m);
  if (what == "remove") return meter_remove(r, c, m);
  if (what == "key-change") {
    // (No body: the new key is made here and never shown; docs/security.md.)
    auto started = start_key_change(store(), m.serial, c.user.name, r.remote, now_());
    if (!started) {
      if (started.error().code == core::Errc::invalid_argument) {
        return error(400, started.error().detail);
      }
      return store_error(started.error());
    }
    return json_response(202, json{{"command", started->command},
                                   {"since", started->since},
                                   {"resumed", started->resumed}});
  }
  auto body_r = body_object(r);
  if (!body_r) return error(400, body_r.error().detail);
  const json& body = *body_r;
  const auto now = now_();

  if (what == "commands") {
    ML_FIELD(command, string_field(body, "command", 64));
    ML_FIELD(argument, string_field(body, "argument", 1024));
    usecase::QueueCommand q{m.serial, command, argument, std::nullopt, usecase::Spelling::json};
    if (auto t = body.find("timeout_s"); t != body.end() && !t->is_null()) {
      if (!t->is_number_integer()) {
        return error(400, "timeout_s must be whole seconds from 0 to " +
                              std::to_string(usecase::kMaxCommandTimeout));
      }
      q.timeout_s = t->get<std::int64_t>();
    }
    auto queued = usecase::queue_command(store(), q, config_.commands.default_timeout_s, now);
    if (!queued) {
      if (queued.error().code != core::Errc::invalid_argument) return store_error(queued.error());
      return error(400, queued.error().detail);
    }
    audit(c.user.name, r, "command", m.serial, command_audit_detail(queued->id, command, argument));
    return json_response(201, json{{"id", queued->id}});
  }

  ML_FIELD(amount_text, string_field(body, "amount", 40));
  ML_FIELD(price_text, string_field(body, "price", 40));
  ML_FIELD(note, string_field(body, "note", 500));
  const usecase::PaymentRequest request{m.serial, amount_text, price_text, note,
                                        usecase::Spelling::json};
  if (what == "payments/preview") {
    ML_FIELD(p, usecase::build_payment(request, now));
    auto preview = usecase::preview_payment(store(), m, p);
    if (!preview) {
      if (preview.error().code != core::Errc::invalid_argument) {
        return store_error(preview.error());
      }
      return error(400, preview.error().detail);
    }
    const auto& rest = preview->remaining_after;
    json j = {{"kwh", preview->credited.to_string()},
              {"paid_before", preview->paid_before.to_string()},
              {"paid_after", preview->paid_after.to_string()},
              {"open_until_before", preview->open_until_before.to_string()},
              {"open_until_after", preview->open_until_after.to_string()}};
    j["remaining_after"] = rest.units ? json(rest.units->to_string()) : json(nullptr);
    j["hours_remaining_after"] = rest.hours ? json(*rest.hours) : json(nullptr);
    // How long the limit after the payment lasts, as the meter list estimates it.
    auto latest = store().latest_sample(m.serial);
    if (!latest) return store_error(latest.error());
    auto after = usecase::estimate_for(store(), m, preview->open_until_after,
                                       *latest ? &**latest : nullptr, now);
    if (!after) return store_error(after.error());
    const auto& e = after->estimate;
    j["days_left_after"] = e.days_left ? json(e.days_left->to_string()) : json(nullptr);
    j["closes_at_after"] = e.closes_at ? json(*e.closes_at) : json(nullptr);
    j["beyond_horizon_after"] = e.beyond_horizon;
    j["method"] = std::string(estimate::method_name(e.method));
    return json_response(200, j);
  }

  auto paid = usecase::pay(store(), request, c.user.name, now);
  if (!paid) {
    if (paid.error().code != core::Errc::invalid_argument) return store_error(paid.error());
    return error(400, paid.error().detail);
  }
  const auto& change = paid->change;
  audit(c.user.name, r, "payment.add", m.serial,
        "#" + std::to_string(change.id) + " " + paid->payment.amount.to_string() + " at " +
            paid->payment.price.to_string() + "; open_until " + change.open_until);
  return json_response(201, json{{"id", change.id}, {"open_until", change.open_until}});
}

Response Api::add_meter(const Request& r, const Caller& c) {
  auto body_r = body_object(r);
  if (!body_r) return error(400, body_r.error().detail);
  const json& body = *body_r;
  ML_FIELD(serial_text, string_field(body, "serial", 32));
  ML_FIELD(kind, string_field(body, "kind", 16));
  ML_FIELD(name, string_field(body, "name", 200));
  ML_FIELD(group, string_field(body, "group", 100));
  ML_FIELD(setup_value, string_field(body, "setup_value", 40));
  ML_FIELD(key, string_field(body, "key", 64));
  ML_FIELD(valve, bool_field(body, "valve_installed"));
  ML_FIELD(generate, bool_field(body, "generate_key"));
  if (!can_admin(c.user, group)) {
    return error(403, "only an admin of group \"" + group + "\" may add meters to it");
  }
  ML_FIELD(built, usecase::build_meter({serial_text,
                                        {key, generate, kind, name, group, setup_value, valve},
                                        usecase::Spelling::json},
                                       now_()));
  const Meter& m = built.meter;
  const std::string& generated = built.generated_key;
  if (auto st = usecase::add_meter(store(), built); !st) {
    if (st.error().code == core::Errc::invalid_argument) return error(409, st.error().detail);
    return store_error(st.error());
  }
  audit(c.user.name, r, "meter.add", m.serial,
        std::string(core::meter::info(m.kind).name) + " \"" + m.name + "\" group \"" + m.group +
            "\"");
  json j = {{"serial", m.serial}};
  if (!generated.empty()) j["key"] = generated;
  return json_response(201, j);
}

Response Api::audit_get(const Request& r, const Caller& c) {
  if (c.user.role != Role::admin) return error(403, "the audit log is for admins");
  AuditScope scope;
  if (auto it = r.query.find("serial"); it != r.query.end())
    scope.serial = core::topic::canonical_serial(it->second);
  if (auto it = r.query.find("actor"); it != r.query.end()) {
    if (it->second.size() > 64) return error(400, "actor is longer than 64 characters");
    scope.by = it->second;
  }
  ML_FIELD(before, count_param(r, "before", 0));
  ML_FIELD(limit, count_param(r, "limit", kAuditPage));
  if (limit < 1 || limit > kListLimit) {
    return error(400, "limit must be 1 to " + std::to_string(kListLimit));
  }
  scope.before = before;
  scope.every_group = is_global_admin(c.user);
  scope.groups = c.user.groups;
  scope.actor = c.user.name;
  if (!scope.serial.empty() && !scope.every_group) {
    auto m = store().meter(scope.serial);
    if (!m) return store_error(m.error());
    if (*m && !can_admin(c.user, (*m)->group)) {
      return error(403, "meter " + scope.serial + " is not in your groups");
    }
  }
  // One more than asked: whether there is a next page.
  auto entries = store().admin_audit_scoped(scope, static_cast<int>(limit) + 1);
  if (!entries) return store_error(entries.error());
  const bool more = entries->size() > static_cast<std::size_t>(limit);
  if (more) entries->pop_back();
  auto users = store().users();
  if (!users) return store_error(users.error());
  std::set<std::string> names;
  for (const auto& u : *users)
    names.insert(u.name);
  json list = json::array();
  for (const auto& entry : *entries) {
    const AdminAuditEntry e = shown(entry, names);
    list.push_back({{"id", e.id},
                    {"time", e.time},
                    {"actor", e.actor},
                    {"remote", e.remote},
                    {"action", e.action},
                    {"serial", e.serial},
                    {"detail", e.detail}});
  }
  const json next = more ? json(entries->back().id) : json(nullptr);
  return json_response(200, json{{"entries", std::move(list)}, {"next_before", next}});
}

// Settings of a meter: the caller is an admin of its group (meter_post checked), and of the new
// group when it moves. A key made here is answered once and never again (docs/api.md).
Response Api::meter_settings(const Request& r, const Caller& c, const Meter& m) {
  auto body_r = body_object(r);
  if (!body_r) return error(400, body_r.error().detail);
  const json& body = *body_r;
  ML_FIELD(kind, string_field(body, "kind", 16));
  ML_FIELD(name, string_field(body, "name", 200));
  ML_FIELD(group, string_field(body, "group", 100));
  ML_FIELD(setup_value, string_field(body, "setup_value", 40));
  ML_FIELD(generate, bool_field(body, "generate_key"));
  if (body.contains("key")) {
    return error(
        400, "key cannot be set here: ask generate_key for a new one (or use `meters set --key`)");
  }
  std::optional<bool> valve;
  if (auto v = body.find("valve_installed"); v != body.end() && !v->is_null()) {
    if (!v->is_boolean()) return error(400, "valve_installed must be true or false");
    valve = v->get<bool>();
  }
  ML_FIELD(contact_name, contact_field(body, "contact_name", ContactKind::text));
  ML_FIELD(contact_email, contact_field(body, "contact_email", ContactKind::email));
  ML_FIELD(contact_phone, contact_field(body, "contact_phone", ContactKind::phone));
  if (!group.empty() && group != m.group && !can_admin(c.user, group)) {
    return error(403, "only an admin of group \"" + group + "\" may move meters into it");
  }
  auto updated = usecase::update_meter(
      store(),
      {m.serial, {"", generate, kind, name, group, setup_value, valve}, usecase::Spelling::json});
  if (!updated) {
    if (updated.error().code == core::Errc::invalid_argument) {
      return error(400, updated.error().detail);
    }
    return store_error(updated.error());
  }
  const Meter& n = updated->meter;
  std::string changes;
  const auto note = [&](const std::string& what, const std::string& before,
                        const std::string& after) {
    if (before != after)
      changes += (changes.empty() ? "" : "; ") + what + " \"" + before + "\" -> \"" + after + "\"";
  };
  note("name", m.name, n.name);
  note("group", m.group, n.group);
  note("kind", std::string(core::meter::info(m.kind).name),
       std::string(core::meter::info(n.kind).name));
  note("setup_value", m.setup_value.to_string(), n.setup_value.to_string());
  note("valve_installed", m.valve_installed ? "yes" : "no", n.valve_installed ? "yes" : "no");
  if (!updated->generated_key.empty())
    changes += (changes.empty() ? "" : "; ") + std::string("new key");
  // The contact: the fields given replace the stored ones; the audit names what changed, never
  // the addresses (as `meters contact`).
  MeterContact contact{n.contact_name, n.contact_email, n.contact_phone};
  std::string contact_changes;
  for (auto [given, stored, label] :
       {std::tuple{&contact_name, &contact.name, "contact_name"},
        std::tuple{&contact_email, &contact.email, "contact_email"},
        std::tuple{&contact_phone, &contact.phone, "contact_phone"}}) {
    if (!given->has_value() || **given == *stored) continue;
    *stored = **given;
    contact_changes += (contact_changes.empty() ? "" : " ") + std::string(label);
  }
  if (!contact_changes.empty()) {
    if (auto st = store().set_meter_contact(n.serial, contact); !st) return store_error(st.error());
    changes += (changes.empty() ? "" : "; ") + ("contact changed: " + contact_changes);
  }
  audit(c.user.name, r, "meter.edit", m.serial, changes.empty() ? "no change" : changes);
  json j = {{"serial", n.serial}};
  if (!updated->generated_key.empty()) j["key"] = updated->generated_key;
  return json_response(200, j);
}

// Removing a meter: the body repeats its serial ("confirm"), so a stray click removes nothing.
// The meter leaves the registry (its messages are rejected as unknown from then on); its
// samples, events, payments and audit entries stay in the database (docs/api.md).
Response Api::meter_remove(const Request& r, const Caller& c, const Meter& m) {
  auto body_r = body_object(r);
  if (!body_r) return error(400, body_r.error().detail);
  ML_FIELD(confirm, string_field(*body_r, "confirm", 32));
  if (core::topic::canonical_serial(confirm) != m.serial) {
    return error(400, "confirm must repeat the serial " + m.serial);
  }
  auto removed = usecase::remove_meter(store(), m.serial);
  if (!removed) return store_error(removed.error());
  audit(c.user.name, r, "meter.remove", m.serial,
        std::string(core::meter::info(m.kind).name) + " \"" + m.name + "\" group \"" + m.group +
            "\"; samples and payments kept; " + std::to_string(*removed) +
            " pending commands given up");
  Response resp;
  resp.status = 204;
  return resp;
}

// Voiding or correcting a ledger entry (POST /api/payments/{id}/void|correct): an admin of the
// meter's group, with a reason that goes to the admin audit log.
Response Api::payment_post(const Request& r, const Caller& c, const std::string& id_text,
                           const std::string& what) {
  if (what != "void" && what != "correct") return error(404, "no such API: POST " + r.path);
  const auto parsed = path_id(id_text);
  if (!parsed) return error(404, "no payment " + id_text);
  const std::int64_t id = *parsed;
  auto old = store().payment(id);
  if (!old) return store_error(old.error());
  if (!*old) return error(404, "no payment #" + id_text);
  auto m = store().meter((*old)->serial);
  if (!m) return store_error(m.error());
  const std::string group = *m ? (*m)->group : "";
  if (!*m || !can_admin(c.user, group)) {
    return error(403, "only an admin of group \"" + group + "\" may change the payments of meter " +
                          (*old)->serial);
  }
  if ((*old)->state != PaymentState::active) {
    return error(409, "payment #" + id_text + " is void already");
  }
  auto body_r = body_object(r);
  if (!body_r) return error(400, body_r.error().detail);
  const json& body = *body_r;
  ML_FIELD(reason, string_field(body, "reason", 500));
  if (reason.find_first_not_of(" \t\r\n") == std::string::npos) {
    return error(400, "reason is required: say why the payment is changed");
  }
  ML_FIELD(amount, string_field(body, "amount", 40));
  ML_FIELD(price, string_field(body, "price", 40));
  ML_FIELD(note, string_field(body, "note", 500));
  const auto now = now_();
  auto changed = what == "void" ? usecase::withdraw_payment(store(), id, c.user.name, now)
                                : usecase::correct_payment(
                                      store(), {id, amount, price, note, usecase::Spelling::json},
                                      c.user.name, now);
  if (!changed) {
    if (changed.error().code != core::Errc::invalid_argument) return store_error(changed.error());
    return error(400, changed.error().detail);
  }
  const auto& change = changed->change;
  std::string detail = "#" + id_text;
  if (what == "correct") detail += " corrected by #" + std::to_string(change.id);
  detail += "; open_until " + change.open_until + "; reason: " + reason;
  audit(c.user.name, r, "payment." + what, changed->serial, detail);
  json j = {{"open_until", change.open_until}};
  if (what == "correct") j["id"] = change.id;
  return json_response(200, j);
}

// Users (GET/POST /api/users...): only a global admin (groups "*") manages them, since a user's
// groups decide which meters it may change. Nobody removes or demotes their own account.
Response Api::users_route(const Request& r, const Caller& c,
                          const std::vector<std::string>& parts) {
  if (!is_global_admin(c.user))
    return error(403, "only an admin of every group (\"*\") manages users");
  const bool get = r.method == "GET";
  const usecase::Actor actor{c.user.name, r.remote};
  const auto now = now_();
  const auto fail = [](const core::Error& e) {
    if (e.code == core::Errc::invalid_argument) {
      return error(e.detail.rfind("no user ", 0) == 0 ? 404 : 400, e.detail);
    }
    return store_error(e);
  };
  if (parts.size() == 2 && get) {
    auto all = store().users();
    if (!all) return store_error(all.error());
    json list = json::array();
    for (const auto& u : *all) {
      list.push_back({{"name", u.name},
                      {"role", std::string(role_name(u.role))},
                      {"groups", u.groups},
                      {"created", u.created},
                      {"unlocked_at", u.unlocked_at},
                      {"email", u.email},
                      {"phone", u.phone}});
      auto factor = usecase::second_factor_state(store(), u.name);
      if (!factor) return store_error(factor.error());
      list.back()["second_factor"] = factor->enrolled;
    }
    return json_response(200, json{{"users", std::move(list)}});
  }
  if (get) return error(405, "POST");
  auto body_r = body_object(r);
  if (!body_r) return error(400, body_r.error().detail);
  const json& body = *body_r;
  // groups: a list of names or one comma-separated text.
  const auto groups_of = [&](std::string& out) -> std::optional<Response> {
    auto g = body.find("groups");
    if (g == body.end() || g->is_null()) return std::nullopt;
    if (g->is_string()) {
      out = g->get<std::string>();
    } else if (g->is_array() && g->size() <= 100) {
      for (const auto& x : *g) {
        if (!x.is_string()) return error(400, "groups must be a list of names");
        out += (out.empty() ? "" : ",") + x.get<std::string>();
      }
    } else {
      return error(400, "groups must be a list of names");
    }
    if (out.size() > 4096) return error(400, "groups is too long");
    return std::nullopt;
  };
  // The new password: the one given, or one made here and answered once.
  std::string made;
  const auto password_of = [&](const std::string& given) -> usecase::PasswordSource {
    return [&made, given]() -> core::Result<std::string> {
      if (!given.empty()) return given;
      auto p = usecase::generate_password();
      if (!p) return p.error();
      made = *p;
      return made;
    };
  };
  ML_FIELD(email, contact_field(body, "email", ContactKind::email));
  ML_FIELD(phone, contact_field(body, "phone", ContactKind::phone));
  // The user's e-mail and phone (where the group's operator messages go): those given replace
  // the stored ones; audited as `user.contact` naming the fields, never the addresses.
  const auto set_contact = [&](const std::string& user) -> std::optional<Response> {
    if (!email && !phone) return std::nullopt;
    auto u = store().user(user);
    if (!u) return store_error(u.error());
    if (!*u) return error(404, "no user " + user);
    UserContact contact{(*u)->email, (*u)->phone};
    std::string fields;
    if (email && *email != contact.email) {
      contact.email = *email;
      fields += "email";
    }
    if (phone && *phone != contact.phone) {
      contact.phone = *phone;
      fields += fields.empty() ? "phone" : " phone";
    }
    if (fields.empty()) return std::nullopt;
    if (auto st = store().set_user_contact(user, contact); !st) return store_error(st.error());
    audit(c.user.name, r, "user.contact", "", user + ": " + fields);
    return std::nullopt;
  };
  if (parts.size() == 2) {
    ML_FIELD(name, string_field(body, "name", 64));
    ML_FIELD(role, string_field(body, "role", 16));
    ML_FIELD(password, string_field(body, "password", 1024));
    std::string groups;
    if (auto bad = groups_of(groups)) return *bad;
    if (auto st = usecase::add_user(store(), {name, role.empty() ? "viewer" : role, groups},
                                    password_of(password), actor, now);
        !st) {
      if (st.error().detail.find("exists already") != std::string::npos) {
        return error(409, st.error().detail);
      }
      return fail(st.error());
    }
    if (auto bad = set_contact(name)) return *bad;
    json j = {{"name", name}};
    if (!made.empty()) j["password"] = made;
    return json_response(201, j);
  }
  const std::string& name = parts[2];
  const std::string what = parts.size() == 4 ? parts[3] : "";
  const bool self = name == c.user.name;
  if (what.empty()) {
    ML_FIELD(role, string_field(body, "role", 16));
    std::string groups;
    if (auto bad = groups_of(groups)) return *bad;
    // Only a contact given: role and groups stay (and one's own contact may change).
    const bool access = !role.empty() || body.contains("groups") || (!email && !phone);
    if (access) {
      if (self) return error(409, "you cannot change your own role or groups");
      if (auto st = usecase::change_access(store(), {name, role, groups}, actor, now); !st) {
        return fail(st.error());
      }
    }
    if (auto bad = set_contact(name)) return *bad;
    return json_response(200, json{{"name", name}});
  }
  if (what == "password") {
    ML_FIELD(password, string_field(body, "password", 1024));
    if (auto st = usecase::set_password(store(), name, password_of(password), actor, now); !st) {
      return fail(st.error());
    }
    json j = {{"name", name}};
    if (!made.empty()) j["password"] = made;
    return json_response(200, j);
  }
  if (what == "remove") {
    if (self) return error(409, "you cannot remove your own account");
    if (auto st = usecase::remove_user(store(), name, actor, now); !st) return fail(st.error());
    Response resp;
    resp.status = 204;
    return resp;
  }
  if (what == "unlock") {
    if (auto st = usecase::unlock_user(store(), name, actor, now); !st) return fail(st.error());
    limiter_.unlock(name);
    return json_response(200, json{{"name", name}});
  }
  if (what == "second-factor-reset") {
    // The user lost the phone and the recovery codes: it sets one up again at the next login.
    if (auto st = usecase::disable_totp(store(), name, actor, now); !st) return fail(st.error());
    return json_response(200, json{{"name", name}});
  }
  return error(404, "no such API: POST " + r.path);
}

Response Api::second_factor_route(const Request& r, const Caller& c,
                                  const std::vector<std::string>& parts) {
  const usecase::Actor actor{c.user.name, r.remote};
  const auto now = now_();
  const bool required = second_factor_required(config_.http.second_factor, c.user);
  const auto fail = [](const core::Error& e) {
    if (e.code == core::Errc::invalid_argument) return error(400, e.detail);
    return store_error(e);
  };
  if (parts.size() == 2) {
    if (r.method != "GET") return error(405, "GET");
    auto state = usecase::second_factor_state(store(), c.user.name);
    if (!state) return store_error(state.error());
    return json_response(200, json{{"enrolled", state->enrolled},
                                   {"pending", state->pending},
                                   {"recovery_codes_left", state->recovery_codes_left},
                                   {"required", required}});
  }
  if (r.method != "POST") return error(405, "POST");
  auto body = body_object(r);
  if (!body) return error(400, body.error().detail);
  const std::string& what = parts[2];
  if (what == "begin") {
    auto state = usecase::second_factor_state(store(), c.user.name);
    if (!state) return store_error(state.error());
    // Replacing a confirmed one takes a code from it: a session left open is not enough.
    if (state->enrolled) {
      return error(409, "you have a second factor already; disable it first (with your password)");
    }
    auto enrolment = usecase::begin_totp(store(), c.user.name, actor, now);
    if (!enrolment) return fail(enrolment.error());
    auto qr = platform::qr::svg(enrolment->uri);
    if (!qr) return error(500, qr.error().detail);
    return json_response(
        200, json{{"secret", enrolment->secret}, {"uri", enrolment->uri}, {"qr_svg", *qr}});
  }
  if (what == "confirm") {
    ML_FIELD(code, string_field(*body, "code", 64));
    auto codes = usecase::confirm_totp(store(), c.user.name, code, actor, now);
    if (!codes) return fail(codes.error());
    return json_response(200, json{{"recovery_codes", *codes}});
  }
  if (what == "disable") {
    if (required) return error(403, "your role needs a second factor: it cannot be disabled");
    ML_FIELD(password, string_field(*body, "password", 1024));
    // The password again, under the login limit: a session left open is not enough.
    const auto wait = limiter_.begin(c.user.name, r.remote, now, c.user.unlocked_at);
    if (wait > 0)
      return error(429, "too many failed logins; try again in " + std::to_string(wait) + " s");
    if (!password::verify_password(c.user.password_hash, password)) {
      audit(c.user.name, r, "login.failed", "", "second factor disable");
      return error(403, "wrong password");
    }
    limiter_.succeeded(c.user.name, r.remote, now);
    if (auto st = usecase::disable_totp(store(), c.user.name, actor, now); !st) {
      return fail(st.error());
    }
    return json_response(200, json{{"enrolled", false}});
  }
  return error(404, "no such API: POST " + r.path);
}

}  // namespace ml::server::http
