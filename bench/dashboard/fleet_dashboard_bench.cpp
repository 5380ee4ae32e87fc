// bench/dashboard/fleet_dashboard_bench: the dashboard's API at 100 000 meters, on SQLite or
// PostgreSQL, with ingest running (issue 17). Goals: a page of the meter list (paged, sorted,
// searched: GET /api/meters?limit=...) <= 200 ms, the fleet summary (GET /api/attention, the
// dashboard's first page) <= 500 ms, one meter's year chart <= 200 ms.
//
//   1. a fresh database: the fleet of bench/prepaid_fleet.hpp (N meters, default 100 000, half
//      prepaid with H days of daily rollups, default 60, and two payments), each meter with
//      three samples continuing its history (about 24 h and 12 h ago, and now) and version /
//      status replies; meter 1000001 (no valve) with a year of one-minute samples (525 600,
//      stored as `run` stores a backlog, which builds its hourly and daily rollups); an admin;
//   2. ingest running beside the API: a thread with its own store connection stores samples of
//      the fleet's meters at RATE a second (default 1 667: 100 000 meters at one a minute), in a
//      transaction every 100 ms, as `run` stores what one read from the broker brought;
//   3. timed as Api::handle calls on a pool of store connections, as `serve` makes them (the
//      server's work without HTTP: bench/RESULTS.md has the HTTP and compression costs), each
//      RUNS times after one warm-up: the list's first page, a page deep in the list, a search,
//      the list by last seen, the fleet summary (cold: a fresh Api reading the fleet, once; warm:
//      from the kept reading; and while the kept reading is renewed in the background, until
//      it lands), the meter page and its year chart (resolution auto: hourly rollups).
//
// Usage: fleet_dashboard_bench WORK_DIR DATABASE [METERS=100000] [RUNS=20] [HISTORY_DAYS=60]
//        [RATE=1667]
// DATABASE: "sqlite" (WORK_DIR/server.db) or a postgresql:// URL of an empty database.
// Exit status 0 when the goals are met, 3 when not, 1 when something failed.
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
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
#include "server/postgresql/store.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

constexpr const char* kUser = "bench";
constexpr const char* kPassword = "bench-password-7";
constexpr int kBigMeter = 1;  // serial 1000001: no valve, a year of one-minute samples
constexpr std::int64_t kYearMinutes = 365 * 24 * 60;

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "fleet_dashboard_bench: FAILED: " << message << std::endl;
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

double ms_since(Clock::time_point t) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

std::unique_ptr<server::ServerStore> open_store(const std::string& dir, const std::string& db) {
  if (db == "sqlite") {
    return must(server::SqliteStore::open(dir + "/server.db"), "open SQLite");
  }
  return must(server::PostgresStore::open(db), "open PostgreSQL");
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

void generate(server::ServerStore& store, const bench::FleetOptions& fleet) {
  auto t = Clock::now();
  const char* streets[10] = {"Loppen", "Fristaden",   "Mælkebøtten", "Sunshine",   "Dyssen",
                             "Fabrik", "Nordområdet", "Psyak",       "Mælkevejen", "Bådeplads"};
  auto counts = must(bench::fill_prepaid_fleet(store, fleet,
                                               [&](int i, server::Meter& m) {
                                                 m.name = std::string(streets[i % 10]) + " " +
                                                          std::to_string(i / 10 + 1);
                                               }),
                     "fill");
  std::printf("Generated %lld meters (%lld prepaid: %lld daily rollups, %lld payments) in %.1f s\n",
              static_cast<long long>(counts.meters), static_cast<long long>(counts.prepaid),
              static_cast<long long>(counts.rollups), static_cast<long long>(counts.payments),
              ms_since(t) / 1000);
  std::fflush(stdout);
  t = Clock::now();
  const std::int64_t now = fleet.now;
  constexpr int kPerTransaction = 1000;
  for (int first = 0; first < fleet.meters; first += kPerTransaction) {
    std::vector<server::IngestItem> items;
    for (int i = first; i < std::min(fleet.meters, first + kPerTransaction); ++i) {
      const std::string serial = bench::fleet_serial(i);
      for (const std::int64_t at : {now - 86400 + 600, now - 43200, now - 60}) {
        items.push_back(sample_item(serial, at, bench::fleet_energy_wh_at(fleet, i, at)));
      }
      items.push_back(reply_item(serial, now - 300, "version", "1.0.1-HEAD"));
      items.push_back(reply_item(serial, now - 300, "status", "open"));
    }
    must(store.write_transaction([&]() -> core::Status {
      auto r = server::store_items(store, items, now);
      if (!r) return r.error();
      return core::Ok{};
    }),
         "samples");
  }
  std::printf("Their samples and replies in %.1f s\n", ms_since(t) / 1000);
  std::fflush(stdout);
  // The year of one meter, oldest first, in batches as `run` stores a backlog.
  t = Clock::now();
  const std::string big = bench::fleet_serial(kBigMeter);
  constexpr std::int64_t kBatch = 5000;
  const std::int64_t year_from = now - 86400 - kYearMinutes * 60;
  for (std::int64_t k = 0; k < kYearMinutes; k += kBatch) {
    std::vector<server::IngestItem> items;
    for (std::int64_t j = k; j < std::min(kYearMinutes, k + kBatch); ++j) {
      const std::int64_t at = year_from + j * 60;
      items.push_back(sample_item(big, at, bench::fleet_energy_wh_at(fleet, kBigMeter, at)));
    }
    must(store.write_transaction([&]() -> core::Status {
      auto r = server::store_items(store, items, now);
      if (!r) return r.error();
      return core::Ok{};
    }),
         "year");
  }
  std::printf("Meter %s's year (%lld samples) in %.1f s\n", big.c_str(),
              static_cast<long long>(kYearMinutes), ms_since(t) / 1000);
  std::string hash;
  if (!password::hash_password(kPassword, &hash)) fail("hash_password: " + hash);
  server::User u;
  u.name = kUser;
  u.password_hash = hash;
  u.role = server::Role::admin;
  u.groups = {"*"};
  u.created = now;
  must(store.add_user(u), "add_user");
  std::fflush(stdout);
}

// Stores samples of the fleet's meters at `rate` a second until `stop`, one transaction every
// 100 ms; counts what it stored and the slowest transaction.
struct IngestLoad {
  std::atomic<bool> stop{false};
  std::atomic<std::int64_t> stored{0};
  double slowest_ms = 0;
  void run(server::ServerStore& store, const bench::FleetOptions& fleet, int rate) {
    const auto start = Clock::now();
    std::int64_t sent = 0;
    int next_meter = 0;
    while (!stop) {
      const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
      const auto due = static_cast<std::int64_t>(elapsed * rate);
      std::vector<server::IngestItem> items;
      for (; sent < due; ++sent) {
        // Each meter's samples one second apart after its "now" sample: never a duplicate.
        const int i = next_meter;
        next_meter = (next_meter + 1) % fleet.meters;
        if (i == kBigMeter) continue;
        const std::int64_t at = fleet.now + 1 + sent / fleet.meters;
        items.push_back(
            sample_item(bench::fleet_serial(i), at, bench::fleet_energy_wh_at(fleet, i, at)));
      }
      if (!items.empty()) {
        const auto t = Clock::now();
        must(store.write_transaction([&]() -> core::Status {
          auto r = server::store_items(store, items, fleet.now);
          if (!r) return r.error();
          return core::Ok{};
        }),
             "ingest load");
        slowest_ms = std::max(slowest_ms, ms_since(t));
        stored += static_cast<std::int64_t>(items.size());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
};

struct Stats {
  double median = 0, p95 = 0, max = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p95 = v[std::min(v.size() - 1, v.size() * 95 / 100)];
  s.max = v.back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: fleet_dashboard_bench WORK_DIR DATABASE [METERS=100000] [RUNS=20] "
                 "[HISTORY_DAYS=60] [RATE=1667]\n";
    return 2;
  }
  const std::string dir = argv[1];
  const std::string db = argv[2];
  bench::FleetOptions fleet;
  fleet.meters = argc > 3 ? std::atoi(argv[3]) : 100000;
  const int runs = argc > 4 ? std::atoi(argv[4]) : 20;
  fleet.history_days = argc > 5 ? std::atoi(argv[5]) : 60;
  fleet.short_every = 0;
  const int rate = argc > 6 ? std::atoi(argv[6]) : 1667;
  fleet.now = std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count();
  if (db == "sqlite") std::filesystem::remove(dir + "/server.db");
  {
    auto store = open_store(dir, db);
    generate(*store, fleet);
  }

  // As `serve` has them: a connection for each request at once (http/store_pool.hpp).
  auto stores = std::make_shared<server::http::StorePool>(
      [&]() -> core::Result<std::unique_ptr<server::ServerStore>> { return open_store(dir, db); },
      4);
  auto load_store = open_store(dir, db);
  IngestLoad load;
  std::thread loader([&] { load.run(*load_store, fleet, rate); });
  const auto load_start = Clock::now();

  server::ServerConfig config;
  // The bench measures reads: its administrator logs in with a password alone, without the
  // second factor `serve` asks of one by default (docs/security.md, "Second factor").
  config.http.second_factor = server::SecondFactorRule::off;
  config.http.web_dir = dir + "/no-dashboard";
  const std::int64_t now = fleet.now;
  std::atomic<std::int64_t> api_now{now + 30};
  auto make_api = [&] {
    return std::make_unique<server::http::Api>(stores, config, [&] { return api_now.load(); });
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
                 std::map<std::string, std::string> query, std::string* body) {
    server::http::Request r;
    r.method = "GET";
    r.path = path;
    r.query = std::move(query);
    r.cookie = cookie;
    r.remote = "127.0.0.1";
    const auto t0 = Clock::now();
    auto res = api.handle(r);
    const double ms = ms_since(t0);
    if (res.status != 200) fail("GET " + path + ": " + std::to_string(res.status) + " " + res.body);
    if (body != nullptr) *body = std::move(res.body);
    return ms;
  };

  // The fleet summary with a cold cache: the first of a fresh Api.
  std::vector<double> summary_cold;
  for (int k = 0; k < 1; ++k) {
    auto fresh = make_api();
    summary_cold.push_back(get(*fresh, login(*fresh), "/api/attention", {}, nullptr));
  }

  auto api = make_api();
  const std::string cookie = login(*api);
  const std::string big = "/api/meters/" + bench::fleet_serial(kBigMeter);
  struct Case {
    std::string what;
    std::string path;
    std::map<std::string, std::string> query;
    double goal_ms;  // 0: none
    std::vector<double> ms;
    std::string body;
  };
  std::vector<Case> cases = {
      {"meter list, first page (100)", "/api/meters", {{"limit", "100"}}, 200, {}, {}},
      {"meter list, page at offset 50 000",
       "/api/meters",
       {{"limit", "100"}, {"offset", std::to_string(fleet.meters / 2)}},
       200,
       {},
       {}},
      {"meter list, search \"loppen 12\"",
       "/api/meters",
       {{"limit", "100"}, {"q", "loppen 12"}},
       200,
       {},
       {}},
      {"meter list by last seen, newest first",
       "/api/meters",
       {{"limit", "100"}, {"sort", "last_seen"}, {"order", "desc"}},
       200,
       {},
       {}},
      {"fleet summary (GET /api/attention), warm", "/api/attention", {}, 500, {}, {}},
      {"meter page (GET /api/meters/1000001)", big, {}, 0, {}, {}},
      {"year chart (series, auto: hourly)",
       big + "/series",
       {{"from", std::to_string(now - 86400 - kYearMinutes * 60)}, {"to", std::to_string(now)}},
       200,
       {},
       {}},
  };
  for (auto& c : cases) {
    get(*api, cookie, c.path, c.query, &c.body);  // warm-up
    for (int k = 0; k < runs; ++k)
      c.ms.push_back(get(*api, cookie, c.path, c.query, &c.body));
  }
  // The summary while its kept reading is renewed (beyond [http] attention_cache_above meters:
  // http/fleet_summary.hpp): the clock moves on by the renewal age, the next request asks for a
  // reading in the background, and the pages answered meanwhile are timed until it lands.
  std::vector<double> renewing;
  api_now += server::http::kFleetRefreshS;
  const auto renewal_start = Clock::now();
  std::int64_t as_of = 0;
  while (as_of != api_now.load()) {
    std::string body;
    renewing.push_back(get(*api, cookie, "/api/attention", {}, &body));
    as_of = json::parse(body)["as_of"].get<std::int64_t>();
    if (as_of != api_now.load()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const double renewal_s = ms_since(renewal_start) / 1000;
  load.stop = true;
  loader.join();
  const double load_s = std::chrono::duration<double>(Clock::now() - load_start).count();

  // What the answers held, checked.
  const json first = json::parse(cases[0].body);
  if (first["total"] != fleet.meters || first["meters"].size() != 100) fail("first page");
  const json search = json::parse(cases[2].body);
  if (search["total"].get<int>() < 1) fail("the search found nothing");
  const json chart = json::parse(cases[6].body);
  if (chart.value("resolution", "") != "hour") fail("the year chart is not hourly");

  std::printf(
      "\nIngest beside it: %lld samples in %.1f s (%.0f a second; slowest transaction %.0f ms)\n"
      "Search matches: %d; year chart: %zu points, %zu bytes\n\n",
      static_cast<long long>(load.stored.load()), load_s,
      static_cast<double>(load.stored.load()) / load_s, load.slowest_ms, search["total"].get<int>(),
      chart["time"].size(), cases[6].body.size());
  std::printf("| request (%s, %d meters) | median | p95 | max | goal | met |\n",
              db.substr(0, 10).c_str(), fleet.meters);
  std::printf("|---|---:|---:|---:|---:|---|\n");
  const Stats cold = stats(summary_cold);
  std::printf("| fleet summary, cold (a fresh Api), 1 run | %.0f ms | — | %.0f ms | — | — |\n",
              cold.median, cold.max);
  const Stats during = stats(renewing);
  std::printf(
      "| fleet summary while its reading is renewed (%.1f s), %zu runs | %.1f ms | %.1f ms | "
      "%.1f ms | ≤ 500 ms | %s |\n",
      renewal_s, renewing.size(), during.median, during.p95, during.max,
      during.median <= 500 ? "**yes**" : "**no**");
  bool met = during.median <= 500;
  for (const auto& c : cases) {
    const Stats s = stats(c.ms);
    const bool ok = c.goal_ms == 0 || s.median <= c.goal_ms;
    met = met && ok;
    std::printf(
        "| %s | %.1f ms | %.1f ms | %.1f ms | %s | %s |\n", c.what.c_str(), s.median, s.p95, s.max,
        c.goal_ms == 0 ? "—" : ("≤ " + std::to_string(static_cast<int>(c.goal_ms)) + " ms").c_str(),
        c.goal_ms == 0 ? "—" : (ok ? "**yes**" : "**no**"));
  }
  std::printf("\nGoals (median): %s\n", met ? "met" : "NOT met");
  return met ? 0 : 3;
}
