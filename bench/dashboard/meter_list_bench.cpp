// bench/dashboard/meter_list_bench: the meter list and the meter page of the server's HTTP API
// (docs/api.md) when every prepaid meter's time left is estimated from years of daily use
// (usecases/estimates.hpp). Goal: GET /api/meters answers in <= 1 s for 10 000 meters with a warm
// estimate cache; the first call after a start or a day change (a cold cache: every prepaid
// meter's history read) is reported.
//
//   1. a fresh database through SqliteStore: the fleet of bench/prepaid_fleet.hpp (N meters,
//      default 10 000, half prepaid with two payments and H days, default 730, of daily rollups,
//      every 10th of them 60 days), each meter with three samples continuing its history (about
//      24 h and 12 h ago, and now) and version/status/uptime/rssi replies; an admin user;
//   2. the API (Api + Server, as `serve` runs them) on 127.0.0.1 in this process, on a clock
//      the benchmark moves;
//   3. timed, as Api::handle calls (the server's work, no HTTP) and through HTTP with gzip (as
//      browsers ask): the list with a cold cache (the first call of a fresh Api; then the first
//      call after the clock moved to the next day), the list warm, and the meter page's data
//      call (GET /api/meters/<serial>) and its two-year chart (series, resolution auto = daily)
//      for meter 1000000, which has two years of history. Every list is checked (N meters; each
//      prepaid one with an estimate, seasonal or recent; none for the others).
//
// Usage: meter_list_bench WORK_DIR [METERS=10000] [RUNS=10] [HISTORY_DAYS=730]
// Exit status 0 when the goal is met, 3 when not, 1 when something failed.
#include <httplib.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../prepaid_fleet.hpp"
#include "core/sample/sample.hpp"
#include "password/password.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/http/server.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

constexpr const char* kUser = "bench";
constexpr const char* kPassword = "bench-password-7";
constexpr const char* kBigSerial = "1000000";  // prepaid, two years of daily history

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "meter_list_bench: FAILED: " << message << std::endl;
  std::exit(1);
}

template <class T>
T must(core::Result<T> r, const std::string& what) {
  if (!r) fail(what + ": " + r.error().text());
  return std::move(r).value();
}

void must(const core::Status& s, const std::string& what) {
  if (!s) fail(what + ": " + s.error().text());
}

// CPU milliseconds of this process: the work, whatever else the machine runs (the HTTP thread is
// idle during an Api-only call).
double cpu_ms() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

struct Timed {
  double ms = 0, cpu = 0;
  std::string body;
};

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

struct Stats {
  double median = 0, max = 0;
  std::size_t n = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.n = v.size();
  s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
  s.max = v.back();
  return s;
}

server::IngestItem sample_item(const std::string& serial, std::int64_t time, std::int64_t wh) {
  server::IngestItem i;
  i.kind = server::IngestItem::Kind::sample;
  i.serial = serial;
  i.time = time;
  i.function = "sample";
  i.text = "heap=20000&t1=60.00 C&t2=40.00 C&tdif=20.00 K&flow1=512 l/h&effect1=11.9 kW&hr=" +
           std::to_string(10000 + time % 1000) + " h&v1=" + bench::fleet_m3(wh) +
           " m3&e1=" + bench::fleet_kwh(wh) + " kWh&";
  i.sample = must(core::sample::parse_sample(i.text), "sample text");
  return i;
}

server::IngestItem reply_item(const std::string& serial, std::int64_t time, const char* function,
                              std::string text) {
  server::IngestItem i;
  i.kind = server::IngestItem::Kind::diagnostic;
  i.serial = serial;
  i.time = time;
  i.function = function;
  i.text = std::move(text);
  return i;
}

void generate(const std::string& path, const bench::FleetOptions& fleet) {
  auto store = must(server::SqliteStore::open(path), "open " + path);
  must(store->db().exec("PRAGMA synchronous=OFF"), "synchronous=OFF");
  auto t = Clock::now();
  const char* streets[10] = {"Loppen", "Fristaden",   "Mælkebøtten", "Sunshine",   "Dyssen",
                             "Fabrik", "Nordområdet", "Psyak",       "Mælkevejen", "Bådeplads"};
  auto counts = must(bench::fill_prepaid_fleet(*store, fleet,
                                               [&](int i, server::Meter& m) {
                                                 m.name = std::string(streets[i % 10]) + " " +
                                                          std::to_string(i / 10 + 1);
                                               }),
                     "fill");
  const double fleet_ms = ms_since(t);
  t = Clock::now();
  const std::int64_t now = fleet.now;
  must(store->write_transaction([&]() -> core::Status {
    std::vector<server::IngestItem> items;
    for (int i = 0; i < fleet.meters; ++i) {
      const std::string serial = bench::fleet_serial(i);
      for (const std::int64_t at : {now - 86400 + 600, now - 43200, now}) {
        items.push_back(sample_item(serial, at, bench::fleet_energy_wh_at(fleet, i, at)));
      }
      items.push_back(reply_item(serial, now - 300, "version", "1.0.1-HEAD"));
      items.push_back(reply_item(serial, now - 300, "status", "open"));
      items.push_back(reply_item(serial, now - 303, "uptime", "86400"));
      items.push_back(reply_item(serial, now - 303, "rssi", "-67"));
      auto r = server::store_items(*store, items, now);
      if (!r) return r.error();
      items.clear();
    }
    return core::Ok{};
  }),
       "samples");
  std::string hash;
  if (!password::hash_password(kPassword, &hash)) fail("hash_password: " + hash);
  server::User u;
  u.name = kUser;
  u.password_hash = hash;
  u.role = server::Role::admin;
  u.groups = {"*"};
  u.created = now;
  must(store->add_user(u), "add_user");
  must(store->db().exec("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
  std::error_code ec;
  std::printf(
      "Generated %lld meters (%lld prepaid: %lld daily rollups, %lld payments) in %.1f s, their "
      "samples and replies in %.1f s: %.1f MB of SQLite\n",
      static_cast<long long>(counts.meters), static_cast<long long>(counts.prepaid),
      static_cast<long long>(counts.rollups), static_cast<long long>(counts.payments),
      fleet_ms / 1000, ms_since(t) / 1000,
      static_cast<double>(std::filesystem::file_size(path, ec)) / 1e6);
  std::fflush(stdout);
}

// The list answer: every meter, each prepaid one estimated. Returns the methods' counts.
std::map<std::string, int> check_list(const std::string& body, int meters) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.contains("meters") || !j["meters"].is_array()) fail("list: no list");
  if (j["meters"].size() != static_cast<std::size_t>(meters)) {
    fail("list: " + std::to_string(j["meters"].size()) + " meters");
  }
  std::map<std::string, int> methods;
  for (const auto& m : j["meters"]) {
    const std::string method = m.value("method", "?");
    const bool prepaid = m.value("valve_installed", false);
    if (prepaid == (method == "none") || (prepaid && m["remaining"].is_null())) {
      fail("list: meter " + m.value("serial", "?") + " estimate not as expected: " + m.dump());
    }
    ++methods[method];
  }
  return methods;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: meter_list_bench WORK_DIR [METERS=10000] [RUNS=10] [HISTORY_DAYS=730]\n";
    return 2;
  }
  const std::string dir = argv[1];
  bench::FleetOptions fleet;
  fleet.meters = argc > 2 ? std::atoi(argv[2]) : 10000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 10;
  fleet.history_days = argc > 4 ? std::atoi(argv[4]) : 730;
  fleet.now = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  const std::string db_path = dir + "/server.db";
  std::filesystem::remove(db_path);
  generate(db_path, fleet);

  std::atomic<std::int64_t> clock{fleet.now};
  server::ServerConfig config;
  // The bench measures reads: its administrator logs in with a password alone, without the
  // second factor `serve` asks of one by default (docs/security.md, "Second factor").
  config.http.second_factor = server::SecondFactorRule::off;
  config.database.path = db_path;
  config.http.host = "127.0.0.1";
  config.http.port = 0;
  config.http.web_dir = dir + "/no-dashboard";
  auto store = must(server::SqliteStore::open(db_path), "open for serving");
  auto make_api = [&] {
    return std::make_unique<server::http::Api>(*store, config, [&] { return clock.load(); });
  };
  auto login = [&](server::http::Api& api) {
    server::http::Request r;
    r.method = "POST";
    r.path = "/api/login";
    r.content_type = "application/json";
    r.remote = "127.0.0.1";
    r.body = json{{"username", kUser}, {"password", kPassword}}.dump();
    auto res = api.handle(r);
    if (res.status != 200) fail("login: " + std::to_string(res.status) + " " + res.body);
    for (const auto& [name, value] : res.headers) {
      if (name == "Set-Cookie") return value.substr(0, value.find(';'));
    }
    fail("login: no cookie");
  };
  auto get = [&](server::http::Api& api, const std::string& cookie, const std::string& path,
                 std::map<std::string, std::string> query = {}) {
    server::http::Request r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    r.cookie = cookie;
    r.remote = "127.0.0.1";
    const auto t0 = Clock::now();
    const double c0 = cpu_ms();
    auto res = api.handle(r);
    Timed out{ms_since(t0), cpu_ms() - c0, {}};
    if (res.status != 200) fail("GET " + path + ": " + std::to_string(res.status) + " " + res.body);
    out.body = std::move(res.body);
    return out;
  };

  // Cold: the first list of a fresh Api (after `serve` starts), three times.
  std::vector<double> cold_start, cold_start_cpu;
  std::map<std::string, int> methods;
  std::size_t list_bytes = 0;
  for (int k = 0; k < 3; ++k) {
    auto api = make_api();
    const std::string cookie = login(*api);
    auto x = get(*api, cookie, "/api/meters");
    cold_start.push_back(x.ms);
    cold_start_cpu.push_back(x.cpu);
    methods = check_list(x.body, fleet.meters);
    list_bytes = x.body.size();
    std::printf("  list, fresh Api (cold cache): %.1f ms (cpu %.1f ms)\n", x.ms, x.cpu);
    std::fflush(stdout);
  }

  // The API as `serve` runs it: warm list (Api and HTTP), the meter page, then a day change.
  auto api = make_api();
  std::string cookie = login(*api);
  get(*api, cookie, "/api/meters");  // fills the cache
  std::vector<double> warm_api, warm_api_cpu;
  for (int k = 0; k < runs; ++k) {
    auto x = get(*api, cookie, "/api/meters");
    warm_api.push_back(x.ms);
    warm_api_cpu.push_back(x.cpu);
  }
  const std::string page = std::string("/api/meters/") + kBigSerial;
  std::vector<double> page_warm, series_ms, page_warm_cpu, page_cold_cpu;
  const std::map<std::string, std::string> two_years = {
      {"from", std::to_string(fleet.now - 730 * 86400)}, {"to", std::to_string(fleet.now)}};
  std::size_t series_bytes = 0;
  for (int k = 0; k < runs; ++k) {
    auto x = get(*api, cookie, page);
    page_warm.push_back(x.ms);
    page_warm_cpu.push_back(x.cpu);
    auto y = get(*api, cookie, page + "/series", two_years);
    series_ms.push_back(y.ms);
    series_bytes = y.body.size();
  }
  // The meter page with a cold cache: a fresh Api.
  std::vector<double> page_cold;
  for (int k = 0; k < 3; ++k) {
    auto fresh = make_api();
    const std::string c = login(*fresh);
    auto x = get(*fresh, c, page);
    page_cold.push_back(x.ms);
    page_cold_cpu.push_back(x.cpu);
  }

  // Through HTTP, gzip as browsers ask.
  server::http::Server http(*api, config);
  const int port = must(http.bind(), "bind");
  std::thread serving([&] { http.run(); });
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_read_timeout(120, 0);
  const httplib::Headers headers{{"Cookie", cookie}, {"Accept-Encoding", "gzip, deflate"}};
  std::vector<double> warm_http;
  for (int k = 0; k < runs + 1; ++k) {
    const auto t0 = Clock::now();
    auto res = client.Get("/api/meters", headers);
    const double ms = ms_since(t0);
    if (!res || res->status != 200) fail("HTTP GET /api/meters failed");
    if (k > 0) warm_http.push_back(ms);
  }
  // A day later: the first list reads every prepaid meter's history again.
  clock += 86400;
  cookie = login(*api);  // the session of yesterday has expired
  const httplib::Headers next_day{{"Cookie", cookie}, {"Accept-Encoding", "gzip, deflate"}};
  double day_change_http = 0, day_after_http = 0;
  for (int k = 0; k < 2; ++k) {
    const auto t0 = Clock::now();
    auto res = client.Get("/api/meters", next_day);
    const double ms = ms_since(t0);
    if (!res || res->status != 200) fail("HTTP GET /api/meters (next day) failed");
    (k == 0 ? day_change_http : day_after_http) = ms;
  }
  http.stop();
  serving.join();

  const Stats cs = stats(cold_start), wa = stats(warm_api), wh = stats(warm_http),
              pw = stats(page_warm), pc = stats(page_cold), se = stats(series_ms);
  const Stats csc = stats(cold_start_cpu), wac = stats(warm_api_cpu), pwc = stats(page_warm_cpu),
              pcc = stats(page_cold_cpu);
  std::printf("\nestimates in the list:");
  for (const auto& [m, c] : methods)
    std::printf(" %s %d", m.c_str(), c);
  std::printf("; list JSON %zu bytes, two-year series %zu bytes\n\n", list_bytes, series_bytes);
  std::printf("| what | n | median | max | CPU (median) |\n|---|---:|---:|---:|---:|\n");
  std::printf(
      "| `GET /api/meters`, %d meters, cold cache (fresh Api), Api only | %zu | %.0f ms | "
      "%.0f ms | %.0f ms |\n",
      fleet.meters, cs.n, cs.median, cs.max, csc.median);
  std::printf(
      "| `GET /api/meters`, first call after a day change, HTTP gzip | 1 | %.0f ms | — | — |\n",
      day_change_http);
  std::printf("| `GET /api/meters`, the call after it, HTTP gzip | 1 | %.0f ms | — | — |\n",
              day_after_http);
  std::printf("| `GET /api/meters`, warm, Api only | %zu | %.0f ms | %.0f ms | %.0f ms |\n", wa.n,
              wa.median, wa.max, wac.median);
  std::printf("| `GET /api/meters`, warm, HTTP gzip | %zu | %.0f ms | %.0f ms | — |\n", wh.n,
              wh.median, wh.max);
  std::printf(
      "| `GET /api/meters/%s` (2 years of history), cold, Api only | %zu | %.1f ms | "
      "%.1f ms | %.1f ms |\n",
      kBigSerial, pc.n, pc.median, pc.max, pcc.median);
  std::printf("| `GET /api/meters/%s`, warm, Api only | %zu | %.1f ms | %.1f ms | %.1f ms |\n",
              kBigSerial, pw.n, pw.median, pw.max, pwc.median);
  std::printf("| series, 2 years, `auto` (daily), Api only | %zu | %.1f ms | %.1f ms | — |\n", se.n,
              se.median, se.max);
  const bool met = wh.median <= 1000 && wa.median <= 1000;
  std::printf("\nGoal (list <= 1 s warm at %d meters): %s\n", fleet.meters,
              met ? "met" : "NOT met");
  return met ? 0 : 3;
}
