// The HTTP API of `meterlogger-server serve` (docs/api.md), independent of the HTTP library:
// a request in, a response out. Sessions, CSRF, roles, the audit log and the login rate limit
// live here; server.cpp only moves bytes. Thread-safe: requests may come from several threads,
// and no lock is held around the store: each request takes a store connection of its own
// (store_pool.hpp), and a CSV export is streamed page by page.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "password/limiter.hpp"
#include "server/config.hpp"
#include "server/http/fleet_summary.hpp"
#include "server/http/store_pool.hpp"
#include "server/store.hpp"
#include "server/usecases/estimates.hpp"

namespace ml::server::http {

inline constexpr const char* kSessionCookie = "ml_session";
// The residents' sessions (resident_api.cpp) have a cookie of their own.
inline constexpr const char* kResidentCookie = "ml_resident";
inline constexpr std::size_t kMaxBody = 64 * 1024;

struct Request {
  std::string method;  // GET | POST | ...
  std::string path;    // without the query
  std::map<std::string, std::string> query;
  std::string cookie;  // the Cookie header
  std::string csrf;    // the X-CSRF-Token header
  std::string body;
  std::string remote;         // the peer's address
  std::string content_type;   // the Content-Type header: a POST must be application/json
  std::string forwarded_for;  // X-Forwarded-For (several joined by ","): see client_address.hpp
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // When set, the rest of the body after `body`: each call appends the next piece to `out` and
  // returns false after the last (an exception cuts the body short). Used for the CSV exports,
  // which are read page by page while the client downloads them (bounded memory, short work).
  std::function<bool(std::string& out)> stream;
};

// Every meter's row, for the meter list's pages (kept between requests beyond [http]
// attention_cache_above meters, renewed in the background when kMeterRowsRefreshS old: a meter
// added or renamed shows in a large fleet's list within about that).
struct MeterRows {
  std::int64_t as_of = 0;
  std::vector<Meter> meters;
  std::size_t size() const { return meters.size(); }
};
inline constexpr std::int64_t kMeterRowsRefreshS = 10;

class Api {
 public:
  using Now = std::function<std::int64_t()>;
  Api(ServerStore& store, const ServerConfig& config, Now now);  // one shared store
  Api(std::shared_ptr<StorePool> stores, const ServerConfig& config, Now now);

  Response handle(const Request& request);
  // The store's aggregates for GET /metrics (server/metrics.hpp), on a connection of its own.
  core::Result<StoreMetrics> store_metrics();
  std::int64_t now() const { return now_(); }

 private:
  struct Caller {
    User user;
    Session session;
    std::string id_hash;
  };
  struct ResidentCaller {
    Resident resident;
    ResidentSession session;
    std::string id_hash;
  };
  Response dispatch(const Request& r);
  // `answer` on one read snapshot of the store: what every GET does.
  Response on_snapshot(const std::function<Response()>& answer);
  Response login(const Request& r);
  Response route(const Request& r, const Caller& caller, const std::vector<std::string>& parts);
  Response meters_page(const Request& r, const Caller& caller);
  Response meter_get(const Request& r, const Caller& caller, const Meter& m,
                     const std::string& what);
  Response meter_post(const Request& r, const Caller& caller, const Meter& m,
                      const std::string& what);
  Response add_meter(const Request& r, const Caller& caller);
  Response meter_settings(const Request& r, const Caller& caller, const Meter& m);
  Response meter_remove(const Request& r, const Caller& caller, const Meter& m);
  Response payment_post(const Request& r, const Caller& caller, const std::string& id,
                        const std::string& what);
  // Whether `user`'s role needs a second factor ([http] second_factor) it has not set up:
  // then only /api/second-factor, /api/session and /api/logout answer it.
  core::Result<bool> needs_second_factor_setup(const User& user);
  // /api/second-factor: the caller's own second factor (docs/api.md).
  Response second_factor_route(const Request& r, const Caller& caller,
                               const std::vector<std::string>& parts);
  Response users_route(const Request& r, const Caller& caller,
                       const std::vector<std::string>& parts);
  Response audit_get(const Request& r, const Caller& caller);
  // resident_api.cpp: /api/resident/... (the residents' own), /api/meters/S/residents and
  // /api/residents/ID/remove (the staff's).
  std::optional<ResidentCaller> resident_of(const Request& r);
  Response resident_route(const Request& r, const std::vector<std::string>& parts);
  Response resident_code(const Request& r);
  Response resident_login(const Request& r);
  Response resident_session_start(const Request& r, std::int64_t id);
  core::Result<nlohmann::ordered_json> resident_meter_json(const Meter& m);
  Response consumption_get(const Request& r, const Meter& m);
  Response series_get(const Request& r, const Meter& m);
  Response posters_get(const Request& r, std::vector<Meter> meters);
  Response group_posters_get(const Request& r);
  Response meter_residents(const Request& r, const Caller& caller, const Meter& m);
  Response residents_route(const Request& r, const Caller& caller,
                           const std::vector<std::string>& parts);
  // alarms_api.cpp
  Response alarms_route(const Request& r, const Caller& caller,
                        const std::vector<std::string>& parts);
  Response alarm_rules_route(const Request& r, const Caller& caller,
                             const std::vector<std::string>& parts);
  Response alarm_rule_test(const Request& r, const Caller& caller);
  Response notifications_get(const Request& r, const Caller& caller, const std::string& what);
  // attention_api.cpp
  Response attention_get(const Request& r, const Caller& caller);
  // Every meter's facts for the page, on `store` (the request's or the background reader's).
  core::Result<FleetSnapshot> read_fleet(ServerStore& store, std::int64_t now);
  std::optional<Caller> caller_of(const Request& r);
  void audit(const std::string& actor, const Request& r, const std::string& action,
             const std::string& serial, const std::string& detail);

  // The store connection of the request this thread answers (handle() takes it).
  ServerStore& store();
  Response csv_export(const Meter& m, const std::string& what, std::int64_t from, std::int64_t to);

  std::shared_ptr<StorePool> stores_;
  const ServerConfig& config_;
  Now now_;
  password::LoginLimiter limiter_;           // thread-safe by itself; the store needs no lock
  password::LoginLimiter resident_limiter_;  // residents asking for codes and typing them
  usecase::DailyUseCache daily_use_;  // the estimates' history, read once a day (thread-safe)
  FleetSummary fleet_;                // last: their readers use the members above
  KeptReading<MeterRows> meter_rows_;
};

// Whether `user` may change meters of `group`.
bool can_admin(const User& user, const std::string& group);
// Whether a Content-Type header names JSON (application/json, parameters allowed).
bool is_json_type(std::string_view content_type);

}  // namespace ml::server::http
