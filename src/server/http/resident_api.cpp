// The residents' routes of the HTTP API (docs/api.md, "Residents"; docs/residents.md), and the
// staff's routes that invite and remove residents.
//
// - /api/resident/...: a resident's own session, apart from the staff's: its own cookie
//   (kResidentCookie) and its own sessions table. A staff session opens none of these routes,
//   and a resident's session opens none of the staff's (caller_of reads the staff cookie only).
// - A resident reads only its own meters: any other serial answers 404, as a meter that does not
//   exist does, so a resident cannot even learn which serials exist.
// - Asking for a code and typing one (or a resident's own password) are limited per address and
//   per client (the login limiter, password/limiter.hpp), besides the use case's own limits on
//   the codes sent (usecases/residents.hpp); the answer to asking is the same whether the address
//   is known, and so is the answer to a wrong password.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "core/topic/topic.hpp"
#include "password/password.hpp"
#include "platform/http/cookie.hpp"
#include "platform/log/log.hpp"
#include "platform/qr/qr.hpp"
#include "server/http/api.hpp"
#include "server/http/api_support.hpp"
#include "server/http/poster.hpp"
#include "server/http/resident_export.hpp"
#include "server/http/views.hpp"
#include "server/ledger.hpp"
#include "server/usecases/consumption.hpp"
#include "server/usecases/residents.hpp"
#include "server/users.hpp"

namespace ml::server::http {
namespace {

std::string resident_cookie(const std::string& token, std::int64_t max_age, bool secure) {
  return std::string(kResidentCookie) + "=" + token +
         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + std::to_string(max_age) +
         (secure ? "; Secure" : "");
}

// The fields of meter_view a resident sees: the meter's own state, nothing of the staff's (no
// group, no firmware, no admin flags).
constexpr const char* kResidentMeterFields[] = {
    "serial",    "name",      "kind",           "valve_installed", "valve",     "last_seen",
    "online",    "latest",    "paid",           "open_until",      "remaining", "rate_per_hour",
    "days_left", "closes_at", "beyond_horizon", "method",          "rate_kw"};

// The price a resident's credit is counted in: the newest active payment's, else the meter's
// default price; none when neither is known.
core::Result<std::optional<core::Decimal>> current_price(ServerStore& store, const Meter& m,
                                                         const std::vector<Payment>& entries) {
  for (auto it = entries.rbegin(); it != entries.rend(); ++it) {
    if (it->state == PaymentState::active && compare(it->price, core::Decimal{}) > 0)
      return std::optional<core::Decimal>(it->price);
  }
  return store.default_price(m.serial);
}

json resident_json(const Resident& r) {
  return {{"id", r.id},
          {"name", r.name},
          {"email", r.email},
          {"phone", r.phone},
          {"language", r.language},
          {"created", r.created},
          {"invited_by", r.invited_by},
          {"serials", r.serials},
          {"notices", std::string(resident_notices_name(r.notices))},
          {"notice_channel", r.notice_channel},
          {"low_days", r.low_days}};
}

// What the login, the session and the preferences answer: the resident without who invited
// them, with the session's CSRF token.
json resident_session_json(const Resident& r, const std::string& csrf) {
  json j = resident_json(r);
  j.erase("invited_by");
  j["password"] = !r.password_hash.empty();
  j["csrf"] = csrf;
  return j;
}

}  // namespace

std::optional<Api::ResidentCaller> Api::resident_of(const Request& r) {
  const std::string token = platform::http::cookie_value(r.cookie, kResidentCookie);
  if (!is_token(token)) return std::nullopt;
  const std::string id = password::secret_hash(token);
  auto s = store().resident_session(id);
  if (!s || !*s || (*s)->expires <= now_()) return std::nullopt;
  auto who = store().resident((*s)->resident_id);
  if (!who || !*who) return std::nullopt;
  return ResidentCaller{**who, **s, id};
}

Response Api::resident_route(const Request& r, const std::vector<std::string>& parts) {
  const bool get = r.method == "GET";
  const bool post = r.method == "POST";
  if (parts.size() == 3 && parts[2] == "code") {
    if (!post) return error(405, "ask for a code with POST");
    return resident_code(r);
  }
  if (parts.size() == 3 && parts[2] == "login") {
    if (!post) return error(405, "log in with POST");
    return resident_login(r);
  }
  auto caller = resident_of(r);
  if (!caller) return error(401, "not logged in");
  if (!get && !same_secret(r.csrf, caller->session.csrf)) {
    return error(403, "missing or wrong CSRF token (X-CSRF-Token)");
  }
  const Resident& me = caller->resident;
  if (parts.size() == 3 && parts[2] == "session" && get) {
    return json_response(200, resident_session_json(me, caller->session.csrf));
  }
  if (parts.size() == 3 && parts[2] == "preferences" && post) {
    auto body = body_object(r);
    if (!body) return error(400, body.error().detail);
    usecase::Preferences p;
    for (auto [name, field] :
         {std::pair<const char*, std::optional<std::string>*>{"notices", &p.notices},
          {"notice_channel", &p.channel},
          {"language", &p.language}}) {
      if (!has_field(*body, name)) continue;
      ML_FIELD(value, string_field(*body, name, 16));
      *field = std::move(value);
    }
    if (has_field(*body, "low_days")) {
      // A whole number here; its range is the use case's to refuse.
      const auto& days = (*body)["low_days"];
      if (!days.is_number_integer()) return error(400, "low_days must be a whole number of days");
      p.low_days = static_cast<int>(
          std::clamp<std::int64_t>(days.get<std::int64_t>(), -1, kMaxResidentLowDays + 1));
    }
    auto changed = usecase::set_resident_preferences(store(), me.id, p);
    if (!changed) {
      if (changed.error().code != core::Errc::invalid_argument) return store_error(changed.error());
      return error(400, changed.error().detail);
    }
    return json_response(200, resident_session_json(*changed, caller->session.csrf));
  }
  if (parts.size() == 3 && parts[2] == "password" && post) {
    // A new password ("": none) ends every session of the resident, this one too; this browser
    // goes on in a new one.
    auto body = body_object(r);
    if (!body) return error(400, body.error().detail);
    ML_FIELD(secret, string_field(*body, "password", 1024));
    if (auto st = usecase::set_resident_password(store(), me.id, secret); !st) {
      if (st.error().code != core::Errc::invalid_argument) return store_error(st.error());
      return error(400, st.error().detail);
    }
    if (auto st = store().remove_resident_sessions_of(me.id); !st) return store_error(st.error());
    return resident_session_start(r, me.id);
  }
  if (parts.size() == 3 && parts[2] == "logout" && post) {
    if (auto st = store().remove_resident_session(caller->id_hash); !st)
      return store_error(st.error());
    Response resp;
    resp.status = 204;
    resp.headers.emplace_back("Set-Cookie", resident_cookie("", 0, config_.http.secure_cookies));
    return resp;
  }
  if (parts.size() == 3 && get &&
      (parts[2] == "export.json" || parts[2] == "readings.csv" || parts[2] == "payments.csv")) {
    // The resident's own data to take away (resident_export.hpp), as a download.
    auto body = parts[2] == "export.json"    ? resident_export_json(store(), me, now_())
                : parts[2] == "readings.csv" ? resident_readings_csv(store(), me, now_())
                                             : resident_payments_csv(store(), me);
    if (!body) return store_error(body.error());
    Response resp;
    resp.content_type = parts[2] == "export.json" ? "application/json" : "text/csv; charset=utf-8";
    resp.body = std::move(body).value();
    resp.headers.emplace_back("Content-Disposition",
                              "attachment; filename=\"meterlogger-" + parts[2] + "\"");
    return resp;
  }
  if (parts.size() == 3 && parts[2] == "meters" && get) {
    json list = json::array();
    for (const auto& serial : me.serials) {
      auto m = store().meter(serial);
      if (!m) return store_error(m.error());
      if (!*m) continue;
      auto v = resident_meter_json(**m);
      if (!v) return store_error(v.error());
      list.push_back(std::move(v).value());
    }
    return json_response(200, json{{"now", now_()}, {"meters", std::move(list)}});
  }
  if (parts.size() >= 4 && parts.size() <= 5 && parts[2] == "meters") {
    // Only the resident's own meters; another serial is "no meter", whether it exists or not.
    const std::string serial = core::topic::canonical_serial(parts[3]);
    if (std::find(me.serials.begin(), me.serials.end(), serial) == me.serials.end())
      return error(404, "no meter " + parts[3]);
    auto m = store().meter(serial);
    if (!m) return store_error(m.error());
    if (!*m) return error(404, "no meter " + parts[3]);
    if (!get) return error(405, "GET");
    const std::string what = parts.size() == 5 ? parts[4] : "";
    if (what.empty()) {
      auto v = resident_meter_json(**m);
      if (!v) return store_error(v.error());
      return json_response(200, *v);
    }
    if (what == "payments") {
      auto v = payments_view(store(), **m);
      if (!v) return store_error(v.error());
      // The notes are the staff's (who took the money, why a correction): not shown.
      for (auto& p : (*v)["payments"])
        p.erase("note");
      return json_response(200, *v);
    }
    if (what == "series") return series_get(r, **m);
    if (what == "consumption") return consumption_get(r, **m);
    return error(404, "no such API: " + r.method + " " + r.path);
  }
  return error(404, "no such API: " + r.method + " " + r.path);
}

// GET .../consumption?period=month&count=12 (usecases/consumption.hpp).
Response Api::consumption_get(const Request& r, const Meter& m) {
  const auto p = r.query.find("period");
  const std::string name = p == r.query.end() ? "month" : p->second;
  const auto period = usecase::consumption_period_from_name(name);
  if (!period) return error(400, "period must be day, week, month or year, not \"" + name + "\"");
  const auto& info = usecase::consumption_period_info(*period);
  ML_FIELD(count, count_param(r, "count", info.default_count));
  // (Out of range is the use case's refusal; the clamp only keeps the number an int.)
  auto use = usecase::consumption(store(), m, *period,
                                  static_cast<int>(std::clamp<std::int64_t>(count, 0, 1000000)),
                                  now_(), config_.residents.weather_correction);
  if (!use) {
    if (use.error().code == core::Errc::invalid_argument) return error(400, use.error().detail);
    return store_error(use.error());
  }
  const auto text = [](const std::optional<core::Decimal>& d) {
    return d ? json(d->to_string()) : json(nullptr);
  };
  json buckets = json::array();
  for (const auto& b : use->buckets) {
    buckets.push_back({{"start", b.start},
                       {"end", b.end},
                       {"use", text(b.use)},
                       {"last_year", text(b.last_year)},
                       {"group_median", text(b.group_median)},
                       {"group_meters", b.group_meters},
                       {"degree_days", text(b.degree_days)},
                       {"last_year_degree_days", text(b.last_year_degree_days)},
                       {"last_year_corrected", text(b.last_year_corrected)}});
  }
  return json_response(200, json{{"serial", m.serial},
                                 {"period", std::string(info.name)},
                                 {"unit", use->unit},
                                 {"weather_correction", use->weather_corrected},
                                 {"min_group", usecase::kMinGroupForMedian},
                                 {"buckets", std::move(buckets)}});
}

core::Result<nlohmann::ordered_json> Api::resident_meter_json(const Meter& m) {
  auto full = meter_view(store(), m, now_(), config_.http.offline_after_s, false, &daily_use_);
  if (!full) return full.error();
  json j = json::object();
  for (const char* key : kResidentMeterFields) {
    if (full->contains(key)) j[key] = (*full)[key];
  }
  auto entries = store().payments(m.serial);
  if (!entries) return entries.error();
  auto price = current_price(store(), m, *entries);
  if (!price) return price.error();
  j["price"] = *price ? json(price->value().to_string()) : json(nullptr);
  // The credit in money at the current price, to the cent.
  json money = nullptr;
  if (*price && j["remaining"].is_string()) {
    auto units = core::Decimal::parse(j["remaining"].get<std::string>());
    if (!units) return units.error();
    auto value = core::product(*units, price->value());
    if (!value) return value.error();
    auto cents = value->multiplied(1, 1, 2);
    if (!cents) return cents.error();
    money = cents->to_string();
  }
  j["remaining_money"] = money;
  // How to pay, as text and as a QR code of that text (a phone's camera reads it off the page or
  // a poster).
  j["payment"] = nullptr;
  j["payment_qr_svg"] = nullptr;
  if (!config_.residents.payment.empty()) {
    const std::string text = usecase::payment_instructions(config_.residents.payment, m);
    j["payment"] = text;
    if (auto qr = platform::qr::svg(text); qr) j["payment_qr_svg"] = std::move(qr).value();
  }
  return j;
}

// POST /api/resident/code {"address"}: a code to the address when it is a resident's; the same
// answer when it is not.
Response Api::resident_code(const Request& r) {
  auto body = body_object(r);
  if (!body) return error(400, body.error().detail);
  ML_FIELD(typed, string_field(*body, "address", 254));
  const std::string address = usecase::login_address(typed);
  if (address.empty()) return error(400, "give your e-mail address or phone number");
  const auto now = now_();
  // Every request counts (none is a "success"): 5 per address and 20 per client in 15 min.
  const auto wait = resident_limiter_.begin("code:" + address, r.remote, now);
  if (wait > 0) {
    auto resp = error(429, "too many codes asked for; try again in " + std::to_string(wait) + " s");
    resp.headers.emplace_back("Retry-After", std::to_string(wait));
    return resp;
  }
  auto sent = usecase::send_login_code(store(), config_.notify, address, r.remote,
                                       config_.residents.url, now);
  if (!sent) {
    if (sent.error().code != core::Errc::invalid_argument) return store_error(sent.error());
    const auto& why = sent.error().detail;
    if (why.rfind("wait ", 0) == 0) {
      const std::string seconds = why.substr(5, why.find(' ', 5) - 5);
      auto resp = error(429, "too many codes asked for; try again in " + seconds + " s");
      resp.headers.emplace_back("Retry-After", seconds);
      return resp;
    }
    return error(400, why);
  }
  return json_response(
      202, json{{"message", "if this address belongs to a resident, a code is on its way"}});
}

// POST /api/resident/login {"address", "code"} or {"address", "password"}: a new session (any
// old one of this browser ends: the session is rotated at login). Wrong codes and passwords
// count against the same limit per address and per client.
Response Api::resident_login(const Request& r) {
  auto body = body_object(r);
  if (!body) return error(400, body.error().detail);
  ML_FIELD(typed, string_field(*body, "address", 254));
  ML_FIELD(code, string_field(*body, "code", 64));
  ML_FIELD(secret, string_field(*body, "password", 1024));
  const std::string address = usecase::login_address(typed);
  if (address.empty() || code.empty() == secret.empty())
    return error(400, "give the address and either the code or your password");
  const std::string wrong = code.empty() ? "wrong address or password" : "wrong or expired code";
  const auto attempt = now_();
  const auto wait = resident_limiter_.begin("login:" + address, r.remote, attempt);
  if (wait > 0) {
    auto resp = error(429, "too many wrong tries; try again in " + std::to_string(wait) + " s");
    resp.headers.emplace_back("Retry-After", std::to_string(wait));
    return resp;
  }
  auto id = code.empty() ? usecase::redeem_login_password(store(), address, secret)
                         : usecase::redeem_login_code(store(), address, code, attempt);
  if (!id) {
    if (id.error().code != core::Errc::invalid_argument) return store_error(id.error());
    return error(401, wrong);
  }
  resident_limiter_.succeeded("login:" + address, r.remote, attempt);
  if (auto old = resident_of(r)) {
    if (auto st = store().remove_resident_session(old->id_hash); !st)
      return store_error(st.error());
  }
  return resident_session_start(r, *id);
}

// A new session for resident `id`: the answer with its cookie and the resident.
Response Api::resident_session_start(const Request& r, std::int64_t id) {
  auto who = store().resident(id);
  if (!who) return store_error(who.error());
  if (!*who) return error(401, "not logged in");
  const auto now = now_();
  const std::string token = random_token();
  const std::int64_t lifetime = std::int64_t{config_.residents.session_days} * 86400;
  ResidentSession s{id, random_token(), now, now + lifetime, r.remote};
  if (auto st = store().insert_resident_session(password::secret_hash(token), s); !st)
    return store_error(st.error());
  auto resp = json_response(200, resident_session_json(**who, s.csrf));
  resp.headers.emplace_back("Set-Cookie",
                            resident_cookie(token, lifetime, config_.http.secure_cookies));
  return resp;
}

// GET and POST /api/meters/SERIAL/residents: the meter's residents (personal data: the
// meter's admins only), and inviting one.
Response Api::meter_residents(const Request& r, const Caller& c, const Meter& m) {
  if (!can_admin(c.user, m.group))
    return error(403, "the residents of a meter are for the admins of its group");
  if (r.method == "GET") {
    auto list = store().residents_of(m.serial);
    if (!list) return store_error(list.error());
    json out = json::array();
    for (const auto& x : *list)
      out.push_back(resident_json(x));
    return json_response(200, json{{"residents", std::move(out)}});
  }
  auto body = body_object(r);
  if (!body) return error(400, body.error().detail);
  usecase::Invite invite;
  ML_FIELD(name, string_field(*body, "name", 200));
  ML_FIELD(email, string_field(*body, "email", 254));
  ML_FIELD(phone, string_field(*body, "phone", 32));
  ML_FIELD(language, string_field(*body, "language", 8));
  invite.name = std::move(name);
  invite.email = std::move(email);
  invite.phone = usecase::login_address(phone);
  invite.language = std::move(language);
  invite.serials = {m.serial};
  auto id = usecase::invite_resident(store(), invite, {c.user.name, r.remote}, now_());
  if (!id) {
    if (id.error().code != core::Errc::invalid_argument) return store_error(id.error());
    return error(400, id.error().detail);
  }
  auto added = store().resident(*id);
  if (!added) return store_error(added.error());
  if (!*added) return error(500, "the new resident is gone");
  return json_response(201, resident_json(**added));
}

// POST /api/residents/ID/remove: the resident's personal data deleted (their meters' history
// stays), by an admin of every group the resident's meters are in.
Response Api::residents_route(const Request& r, const Caller& c,
                              const std::vector<std::string>& parts) {
  if (parts.size() != 4 || parts[3] != "remove")
    return error(404, "no such API: " + r.method + " " + r.path);
  if (r.method != "POST") return error(405, "POST");
  const auto id = path_id(parts[2]);
  if (!id) return error(404, "no resident " + parts[2]);
  auto who = store().resident(*id);
  if (!who) return store_error(who.error());
  if (!*who) return error(404, "no resident " + parts[2]);
  if ((*who)->serials.empty() && !is_global_admin(c.user))
    return error(403, "a resident without meters is removed by an admin of every group");
  for (const auto& serial : (*who)->serials) {
    auto m = store().meter(serial);
    if (!m) return store_error(m.error());
    if (*m && !can_admin(c.user, (*m)->group))
      return error(403, "a resident is removed by the admins of their meters' groups");
  }
  if (c.user.role != Role::admin) return error(403, "residents are removed by admins");
  auto done = usecase::remove_resident(store(), *id, {c.user.name, r.remote}, now_());
  if (!done) return store_error(done.error());
  Response resp;
  resp.status = 204;
  return resp;
}

// GET /api/meters/SERIAL/poster and GET /api/posters?group=G: the residents' posters as one
// printable HTML page (poster.hpp), for any staff member (nothing on them is personal).
Response Api::posters_get(const Request& r, std::vector<Meter> meters) {
  const auto lang = r.query.find("language");
  auto html = posters_html(meters, config_.residents, lang == r.query.end() ? "da" : lang->second);
  if (!html) {
    if (html.error().code == core::Errc::invalid_argument) return error(400, html.error().detail);
    return store_error(html.error());
  }
  Response resp;
  resp.content_type = "text/html; charset=utf-8";
  resp.body = std::move(html).value();
  return resp;
}

Response Api::group_posters_get(const Request& r) {
  const auto group = r.query.find("group");
  if (group == r.query.end() || group->second.empty())
    return error(400, "give the group: /api/posters?group=NAME");
  auto all = store().meters();
  if (!all) return store_error(all.error());
  std::vector<Meter> meters;
  for (auto& m : *all) {
    if (m.group == group->second) meters.push_back(std::move(m));
  }
  if (meters.empty()) return error(404, "no meters in group \"" + group->second + "\"");
  return posters_get(r, std::move(meters));
}

}  // namespace ml::server::http
