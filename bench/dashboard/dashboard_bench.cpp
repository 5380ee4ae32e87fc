// bench/dashboard: answer times of the server's HTTP API (docs/api.md) for the dashboard, issue 7:
// with 1 000 meters and one year of one-minute samples for one of them, the meter list answers
// in <= 100 ms and a one-year chart in <= 200 ms (median and p95).
//
//   1. a fresh database through SqliteStore: 999 heat meters in 10 groups with three samples each
//      (now, 12 h and ~24 h ago, so remaining and time left are computed), version/status/
//      uptime/rssi replies, one or two payments for the four in five with a valve (prepaid); and
//      meter 6892850 with 525 600 one-minute samples (a year, the firmware's KMP sample text,
//      energy and volume increasing) ingested in batches of 5 000, which builds the hourly and
//      daily rollups as `run` does;
//   2. an admin user; the API (Api + Server, as `meterlogger-server serve` runs them) on
//      127.0.0.1, a port of its own, in this process; a login through POST /api/login;
//   3. one httplib client (keep-alive) times each request: wall time from sending it until the
//      whole body is read, three ways: no compression, and Accept-Encoding as browsers send it over
//      HTTP (gzip) and HTTPS (gzip and br; answered with gzip). Every answer is checked (status
//      200, the encoding expected, the expected content); anything else stops the benchmark with
//      exit status 1. The same requests straight to Api::handle (no HTTP) show the server's own
//      share.
//   4. a Markdown table.
//
// Usage: dashboard_bench WORK_DIR [RUNS=50] [BR_RUNS=20]
// RUNS timed runs (after 5 warm-up runs) without compression and with gzip; BR_RUNS (after 2) as
// browsers ask over HTTPS.
#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/sample/sample.hpp"
#include "core/topic/topic.hpp"
#include "password/password.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/http/server.hpp"
#include "server/ledger.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

constexpr int kMeters = 1000;
constexpr int kGroups = 10;
constexpr std::int64_t kYearMinutes = 365 * 24 * 60;  // 525 600
constexpr std::size_t kBatch = 5000;
constexpr const char* kBigSerial = "6892850";
constexpr const char* kUser = "bench";
constexpr const char* kPassword = "bench-password-7";

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "dashboard_bench: FAILED: " << message << std::endl;
  std::exit(1);
}

template <class T>
T must(core::Result<T> r, const std::string& what) {
  if (!r) fail(what + ": " + r.error().message());
  return std::move(r).value();
}

void must(const core::Status& s, const std::string& what) {
  if (!s) fail(what + ": " + s.error().message());
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// v / 10^decimals with exactly `decimals` digits after the point (v >= 0).
std::string fixed(std::int64_t v, int decimals) {
  std::int64_t scale = 1;
  for (int i = 0; i < decimals; ++i)
    scale *= 10;
  char buf[40];
  if (decimals == 0) {
    std::snprintf(buf, sizeof buf, "%lld", static_cast<long long>(v));
  } else {
    std::snprintf(buf, sizeof buf, "%lld.%0*lld", static_cast<long long>(v / scale), decimals,
                  static_cast<long long>(v % scale));
  }
  return buf;
}

// A heat meter read every minute, as the firmware reports a KMP MULTICAL:
// "heap=..&t1=55.37 C&t2=30.12 C&tdif=25.25 K&flow1=175 l/h&effect1=5.1 kW&hr=12345 h&
//  v1=456.789 m3&e1=12345.678 kWh&". Flow and temperatures follow the day and the season; power
// is flow x tdif x 1.163; energy (Wh) and volume (l) integrate them minute by minute.
struct HeatMeter {
  std::mt19937_64 rng;
  double energy_wh;
  double volume_l;
  double hours;
  HeatMeter(std::uint64_t seed, double energy_kwh, double volume_m3, double hr)
      : rng(seed), energy_wh(energy_kwh * 1000), volume_l(volume_m3 * 1000), hours(hr) {}

  int noise(int spread) {
    return static_cast<int>(rng() % static_cast<std::uint64_t>(2 * spread + 1)) - spread;
  }

  // The sample at `time`; then advances the registers by `step_s` seconds of use.
  std::string sample(std::int64_t time, std::int64_t step_s) {
    constexpr double kTau = 6.283185307179586;
    const double day = static_cast<double>(time % 86400) / 86400.0;
    const double year = static_cast<double>(time % 31536000) / 31536000.0;
    const double season = 0.65 + 0.35 * std::cos(kTau * year);  // most in winter
    const double daily = std::sin(kTau * (day - 0.25));         // peak at midday UTC
    const auto t1 = static_cast<std::int64_t>(5500 + 350 * daily + 300 * season) + noise(15);
    const auto t2 = static_cast<std::int64_t>(3000 + 120 * daily) + noise(10);
    const std::int64_t tdif = t1 - t2;  // hundredths of K
    const auto flow = static_cast<std::int64_t>(
        std::max(0.0, 175.0 * season * (1.0 + 0.25 * daily) + noise(6)));  // l/h
    const double power_w = static_cast<double>(flow) * static_cast<double>(tdif) * 1.163 / 100.0;
    const auto effect = static_cast<std::int64_t>(std::lround(power_w / 100.0));  // 0.1 kW
    const auto heap = 20000 + noise(400);
    std::string text = "heap=" + std::to_string(heap) + "&t1=" + fixed(t1, 2) +
                       " C&t2=" + fixed(t2, 2) + " C&tdif=" + fixed(tdif, 2) +
                       " K&flow1=" + std::to_string(flow) + " l/h&effect1=" + fixed(effect, 1) +
                       " kW&hr=" + std::to_string(static_cast<std::int64_t>(hours)) +
                       " h&v1=" + fixed(static_cast<std::int64_t>(volume_l), 3) +
                       " m3&e1=" + fixed(static_cast<std::int64_t>(energy_wh), 3) + " kWh&";
    const double dt_h = static_cast<double>(step_s) / 3600.0;
    energy_wh += power_w * dt_h;
    volume_l += static_cast<double>(flow) * dt_h;
    hours += dt_h;
    return text;
  }
};

server::IngestItem sample_item(const std::string& serial, std::int64_t time, std::string text) {
  server::IngestItem i;
  i.kind = server::IngestItem::Kind::sample;
  i.serial = serial;
  i.time = time;
  i.function = "sample";
  i.sample = must(core::sample::parse_sample(text), "sample text \"" + text + "\"");
  i.text = std::move(text);
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

void ingest(server::SqliteStore& store, const std::vector<server::IngestItem>& items,
            std::int64_t now) {
  auto out = must(server::store_items(store, items, now), "ingest");
  for (auto o : out) {
    if (o == server::IngestOutcome::duplicate || o == server::IngestOutcome::older_ignored) {
      fail("ingest: an item was not stored");
    }
  }
}

void add_payment(server::SqliteStore& store, const std::string& serial, std::int64_t time,
                 const std::string& amount, const std::string& price) {
  server::Payment p;
  p.serial = serial;
  p.time = time;
  p.amount = core::Decimal::parse(amount).value();
  p.price = core::Decimal::parse(price).value();
  p.note = "bank transfer";
  must(server::record_payment(store, p, "admin", time), "add_payment " + serial);
}

// The database. `now` is the time of the newest samples.
void generate(const std::string& path, std::int64_t now) {
  std::int64_t samples = 0;
  auto store = must(server::SqliteStore::open(path), "open " + path);
  // Not what is measured: the database is built without an fsync per transaction.
  must(store->db().exec("PRAGMA synchronous=OFF"), "synchronous=OFF");
  std::mt19937_64 rng(7);
  auto uniform = [&](std::int64_t lo, std::int64_t hi) {
    return lo + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(hi - lo + 1));
  };

  // The fleet: 999 meters with a couple of days of history, and the one with a year.
  auto t = Clock::now();
  const char* streets[kGroups] = {"Loppen",     "Fristaden",      "Mælkebøtten", "Sunshine",
                                  "Dyssen",     "Fabriksområdet", "Nordområdet", "Psyak",
                                  "Mælkevejen", "Bådeplads"};
  std::vector<server::IngestItem> items;
  for (int i = 0; i < kMeters; ++i) {
    server::Meter m;
    const bool big = i == 0;
    m.serial =
        big ? std::string(kBigSerial)
            : core::topic::Serial::from_number(static_cast<std::uint32_t>(7000000 + 37 * i)).text();
    m.name = std::string(streets[i % kGroups]) + " " + std::to_string(i / kGroups + 1);
    m.group = streets[i % kGroups];
    m.kind = core::meter::Kind::heat;
    m.valve_installed = i % 5 != 4;  // the big meter (0) has one
    m.key_hex = "00112233445566778899aabbccddeeff";
    m.created = now - 400 * 86400;
    const std::int64_t energy_then = big ? 10000 : uniform(2000, 60000);  // kWh at installation
    m.setup_value = core::Decimal::parse(std::to_string(energy_then)).value();
    must(store->add_meter(m), "add_meter " + m.serial);
    if (big) {
      add_payment(*store, m.serial, now - 360 * 86400, "25000.00", "1.25");
      add_payment(*store, m.serial, now - 120 * 86400, "31250.00", "1.25");
    } else if (m.valve_installed) {  // only a meter with a valve is prepaid
      add_payment(*store, m.serial, now - uniform(30, 300) * 86400,
                  std::to_string(uniform(10, 40) * 100) + ".00", "1.20");
      if (i % 3 == 0) {
        add_payment(*store, m.serial, now - uniform(1, 29) * 86400,
                    std::to_string(uniform(5, 20) * 100) + ".50", "1.25");
      }
    }
    const std::int64_t last = big ? now : now - uniform(0, 600);
    if (!big) {
      // ~24 h ago, 12 h ago and the newest: what the list's remaining and time left come from.
      HeatMeter h(
          static_cast<std::uint64_t>(i), static_cast<double>(energy_then + uniform(100, 1500)),
          static_cast<double>(uniform(100, 900)) + 0.5, static_cast<double>(uniform(5000, 40000)));
      const std::int64_t first = last - 86400 + uniform(60, 900);
      items.push_back(sample_item(m.serial, first, h.sample(first, 43200)));
      items.push_back(sample_item(m.serial, last - 43200, h.sample(last - 43200, 43200)));
      items.push_back(sample_item(m.serial, last, h.sample(last, 60)));
      samples += 3;
    }
    const std::int64_t polled = last - uniform(0, 599);
    items.push_back(reply_item(m.serial, polled, "version", "1.0.1-HEAD"));
    items.push_back(reply_item(m.serial, polled, "status", i % 20 == 19 ? "close" : "open"));
    items.push_back(
        reply_item(m.serial, polled - 3, "uptime", std::to_string(uniform(60, 9000000))));
    items.push_back(reply_item(m.serial, polled - 3, "rssi", std::to_string(-uniform(40, 90))));
    if (i % 97 == 50) {  // a few meters sent their last will after their newest sample
      server::IngestItem e;
      e.kind = server::IngestItem::Kind::event;
      e.serial = m.serial;
      e.time = last + 30;
      e.function = "offline";
      items.push_back(std::move(e));
    }
    if (items.size() >= 700) {
      ingest(*store, items, now);
      items.clear();
    }
  }
  ingest(*store, items, now);
  items.clear();
  const double fleet_s = seconds_since(t);

  // The year of one-minute samples, oldest first, in batches as `run` stores a backlog.
  t = Clock::now();
  double text_s = 0;
  HeatMeter big(1, 10000.0, 400.0, 12000.0);
  const std::int64_t start = now - (kYearMinutes - 1) * 60;
  items.reserve(kBatch);
  for (std::int64_t k = 0; k < kYearMinutes; ++k) {
    const std::int64_t time = start + 60 * k;
    const auto t_text = Clock::now();
    items.push_back(sample_item(kBigSerial, time, big.sample(time, 60)));
    text_s += seconds_since(t_text);
    if (items.size() == kBatch || k == kYearMinutes - 1) {
      ingest(*store, items, time + 1);
      items.clear();
    }
  }
  samples += kYearMinutes;
  const double year_s = seconds_since(t);

  t = Clock::now();
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
  const double rest_s = seconds_since(t);

  std::error_code ec;
  const auto bytes = std::filesystem::file_size(path, ec);
  std::printf(
      "Generated in %.1f s: %d meters and %lld samples (%.1f MB of SQLite)\n"
      "  - 999 meters with 3 samples and 4 replies each, 1-2 payments (with a valve): %.1f s\n"
      "  - %s: %lld one-minute samples in batches of %zu: %.1f s (%.0f samples/s stored; "
      "%.1f s of it making and parsing the sample texts)\n"
      "  - admin user (Argon2id) and WAL checkpoint: %.1f s\n",
      fleet_s + year_s + rest_s, kMeters, static_cast<long long>(samples),
      static_cast<double>(bytes) / 1e6, fleet_s, kBigSerial, static_cast<long long>(kYearMinutes),
      kBatch, year_s, static_cast<double>(kYearMinutes) / year_s, text_s, rest_s);
  std::fflush(stdout);
}

// ---- the measurement ----

struct Stats {
  double median = 0, p95 = 0, max = 0;
};

Stats stats(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  Stats s;
  const std::size_t n = ms.size();
  s.median = n % 2 ? ms[n / 2] : (ms[n / 2 - 1] + ms[n / 2]) / 2;
  s.p95 =
      ms[static_cast<std::size_t>(std::ceil(0.95 * static_cast<double>(n))) - 1];  // nearest rank
  s.max = ms.back();
  return s;
}

struct Case {
  std::string name;
  std::string path;  // with the query
  double target_ms;  // 0: none
  // Checks a 200 answer's body; returns its points (meters for the list). Fails loudly.
  std::function<std::size_t(const json&)> check;
};

struct Outcome {
  std::size_t bytes = 0, wire_bytes = 0, points = 0;
  std::string encoding;
  Stats http, api;
};

json parse(const std::string& body, const std::string& what) {
  json j = json::parse(body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) fail(what + ": the answer is not a JSON object");
  return j;
}

// A series answer: the resolution asked for, `points` in every column, times ascending inside
// [from bucket, to], and the points within [lo, hi].
std::function<std::size_t(const json&)> series_check(const std::string& resolution, std::size_t lo,
                                                     std::size_t hi) {
  return [resolution, lo, hi](const json& j) {
    if (j.value("serial", "") != kBigSerial) fail("series: wrong serial");
    if (j.value("resolution", "") != resolution) {
      fail("series: resolution " + j.value("resolution", "?") + ", expected " + resolution);
    }
    const auto points = j.at("points").get<std::size_t>();
    for (const char* col : {"time", "energy", "volume", "t1", "t2", "tdif", "flow", "power"}) {
      if (!j.contains(col) || !j[col].is_array() || j[col].size() != points) {
        fail(std::string("series: column ") + col + " missing or not " + std::to_string(points));
      }
    }
    if (points < lo || points > hi) {
      fail("series (" + resolution + "): " + std::to_string(points) + " points, expected " +
           std::to_string(lo) + ".." + std::to_string(hi));
    }
    const auto& time = j["time"];
    const auto& energy = j["energy"];
    for (std::size_t k = 0; k < points; ++k) {
      if (!time[k].is_number_integer() || !energy[k].is_number() || !j["t1"][k].is_number() ||
          !j["power"][k].is_number()) {
        fail("series: a null or non-number at point " + std::to_string(k));
      }
      if (k > 0 && (time[k].get<std::int64_t>() <= time[k - 1].get<std::int64_t>() ||
                    energy[k].get<double>() < energy[k - 1].get<double>())) {
        fail("series: time or energy not increasing at point " + std::to_string(k));
      }
    }
    return points;
  };
}

void check_meter(const json& m, bool big) {
  for (const char* key : {"serial", "name", "kind", "group", "valve", "version", "last_seen",
                          "online", "latest", "setup_value", "paid", "open_until", "remaining",
                          "rate_per_hour", "hours_remaining", "can_admin"}) {
    if (!m.contains(key)) fail(std::string("meter: no \"") + key + "\"");
  }
  if (m["latest"].is_null() || m["latest"].value("energy_kwh", json()).is_null()) {
    fail("meter " + m.value("serial", "?") + ": no latest sample");
  }
  // A meter with a valve is prepaid: what remains and for how long; one without shows neither.
  const bool prepaid = m["valve_installed"] == true;
  if (m["paid"].is_null() || m["remaining"].is_null() != !prepaid ||
      m["hours_remaining"].is_null() != !prepaid || m["valve"].is_null() != !prepaid) {
    fail("meter " + m.value("serial", "?") +
         ": paid, remaining, hours_remaining or valve not as "
         "expected: " +
         m.dump());
  }
  if (m["version"] != "1.0.1-HEAD") fail("meter " + m.value("serial", "?") + ": no version");
  if (m["can_admin"] != true) fail("meter: the admin may not change it");
  if (big && m["serial"] != kBigSerial) fail("meter: wrong serial");
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: dashboard_bench WORK_DIR [RUNS=50] [BR_RUNS=20]\n";
    return 2;
  }
  const std::string dir = argv[1];
  const int runs = argc > 2 ? std::stoi(argv[2]) : 50;
  const int br_runs = argc > 3 ? std::stoi(argv[3]) : 20;
  const std::string db_path = dir + "/server.db";
  std::filesystem::remove(db_path);

  // 1. the database
  generate(db_path, unix_now());

  // 2. the API on its own connection, as `serve` opens it
  server::ServerConfig config;
  // The bench measures reads: its administrator logs in with a password alone, without the
  // second factor `serve` asks of one by default (docs/security.md, "Second factor").
  config.http.second_factor = server::SecondFactorRule::off;
  config.database.path = db_path;
  config.http.host = "127.0.0.1";
  config.http.port = 0;
  config.http.web_dir = dir + "/no-dashboard";
  auto store = must(server::SqliteStore::open(db_path), "open for serving");
  server::http::Api api(*store, config, unix_now);
  server::http::Server http(api, config);
  const int port = must(http.bind(), "bind");
  std::thread serving([&] { http.run(); });

  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  client.set_read_timeout(60, 0);
  const json login_body = {{"username", kUser}, {"password", kPassword}};
  auto login = client.Post("/api/login", login_body.dump(), "application/json");
  if (!login) fail("POST /api/login: " + httplib::to_string(login.error()));
  if (login->status != 200)
    fail("POST /api/login: " + std::to_string(login->status) + " " + login->body);
  const std::string set_cookie = login->get_header_value("Set-Cookie");
  const std::string cookie = set_cookie.substr(0, set_cookie.find(';'));
  if (cookie.rfind(server::http::kSessionCookie, 0) != 0) fail("login: no session cookie");
  {
    auto s = client.Get("/api/session", httplib::Headers{{"Cookie", cookie}});
    if (!s || s->status != 200 || parse(s->body, "session").value("role", "") != "admin") {
      fail("GET /api/session with the cookie did not answer the admin's session");
    }
  }

  // 3. the requests
  const std::int64_t to = unix_now();
  const std::int64_t year_from = to - 365 * 86400;
  const std::string big = std::string("/api/meters/") + kBigSerial;
  auto range = [&](std::int64_t from, const char* resolution) {
    return big + "/series?from=" + std::to_string(from) + "&to=" + std::to_string(to) +
           (resolution ? std::string("&resolution=") + resolution : "");
  };
  std::vector<Case> cases = {
      {"`GET /api/meters` (1 000 meters)", "/api/meters", 100,
       [](const json& j) {
         if (!j.contains("now") || !j["meters"].is_array()) fail("meters: no list");
         if (j["meters"].size() != kMeters) {
           fail("meters: " + std::to_string(j["meters"].size()) + " meters, expected 1000");
         }
         std::size_t online = 0;
         for (const auto& m : j["meters"]) {
           check_meter(m, false);
           online += m["online"] == true;
         }
         if (online < kMeters * 9 / 10) fail("meters: only " + std::to_string(online) + " online");
         return j["meters"].size();
       }},
      {"`GET /api/meters/" + std::string(kBigSerial) + "` (one meter)", big, 0,
       [](const json& j) {
         check_meter(j, true);
         if (!j["diagnostics"].contains("rssi")) fail("meter: no diagnostics");
         return std::size_t{1};
       }},
      {"series, one year, `resolution=auto` (hourly)", range(year_from, nullptr), 200,
       series_check("hour", 8750, 8762)},
      {"series, one year, `resolution=day`", range(year_from, "day"), 0,
       series_check("day", 365, 367)},
      {"series, 1 day, `auto` (raw samples)", range(to - 86400, nullptr), 0,
       series_check("raw", 1439, 1441)},
      {"series, 3 days, `auto` (raw samples)", range(to - 3 * 86400, nullptr), 0,
       series_check("raw", 4319, 4321)},
  };

  // Each request three ways: without compression, and as browsers ask over HTTP (Accept-Encoding:
  // gzip, deflate) and over HTTPS (gzip, deflate, br); the server answers gzip to both (never
  // Brotli: see docs/server.md) and the client decompresses it, as a browser would.
  struct Mode {
    const char* name;
    const char* expect;  // the Content-Encoding the server must answer with
    httplib::Headers headers;
    int warmup;
    int runs;
  };
  const Mode modes[] = {
      {"none", "", {{"Cookie", cookie}}, 5, runs},
      {"gzip", "gzip", {{"Cookie", cookie}, {"Accept-Encoding", "gzip, deflate"}}, 5, runs},
      {"br", "gzip", {{"Cookie", cookie}, {"Accept-Encoding", "gzip, deflate, br"}}, 2, br_runs},
  };
  httplib::Client raw_client("127.0.0.1", port);  // for the size on the wire: no decompression
  raw_client.set_decompress(false);
  raw_client.set_read_timeout(60, 0);

  std::vector<std::vector<Outcome>> outcomes(cases.size());
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    for (const auto& mode : modes) {
      Outcome o;
      std::vector<double> ms;
      for (int k = 0; k < mode.warmup + mode.runs; ++k) {
        const auto t0 = Clock::now();
        auto res = client.Get(c.path, mode.headers);
        const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        if (!res) fail("GET " + c.path + ": " + httplib::to_string(res.error()));
        if (res->status != 200) {
          fail("GET " + c.path + ": status " + std::to_string(res->status) + " " +
               res->body.substr(0, 300));
        }
        o.encoding = res->get_header_value("Content-Encoding");
        // Answers under 1 KiB go uncompressed.
        if (o.encoding != mode.expect && !(o.encoding.empty() && res->body.size() < 1024)) {
          fail("GET " + c.path + " asked for " + mode.name + " answered Content-Encoding \"" +
               o.encoding + "\"");
        }
        o.points = c.check(parse(res->body, c.path));
        o.bytes = res->body.size();
        if (k >= mode.warmup) ms.push_back(elapsed);
      }
      o.http = stats(ms);
      auto wire = raw_client.Get(c.path, mode.headers);
      if (!wire || wire->status != 200) fail("GET " + c.path + " (size on the wire) failed");
      o.wire_bytes = wire->body.size();
      outcomes[i].push_back(o);
      std::printf(
          "  %-46s %-4s %9zu B (%8zu on the wire, %-4s) %6zu points  median %7.2f ms  "
          "p95 %7.2f ms  max %7.2f ms\n",
          c.name.c_str(), mode.name, o.bytes, o.wire_bytes,
          o.encoding.empty() ? "none" : o.encoding.c_str(), o.points, o.http.median, o.http.p95,
          o.http.max);
      std::fflush(stdout);
    }
    // The same request straight to Api::handle (no HTTP): the server's own share.
    server::http::Request r;
    r.method = "GET";
    const auto q = c.path.find('?');
    r.path = c.path.substr(0, q);
    if (q != std::string::npos) {
      std::string_view rest(c.path);
      rest.remove_prefix(q + 1);
      while (!rest.empty()) {
        const auto amp = rest.find('&');
        const auto item = rest.substr(0, amp);
        const auto eq = item.find('=');
        r.query.emplace(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
      }
    }
    r.cookie = cookie;
    r.remote = "127.0.0.1";
    std::vector<double> api_ms;
    for (int k = 0; k < std::max(10, runs / 2); ++k) {
      const auto t0 = Clock::now();
      auto res = api.handle(r);
      api_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - t0).count());
      if (res.status != 200) fail("Api::handle " + c.path + ": " + std::to_string(res.status));
    }
    for (auto& o : outcomes[i])
      o.api = stats(api_ms);
  }
  http.stop();
  serving.join();

  // 4. the table
  std::printf(
      "\nOne keep-alive connection; wall time from sending the request until the whole body is "
      "read and decompressed. Compression as the client asks: none; gzip (Accept-Encoding: gzip, "
      "deflate, as browsers ask over HTTP); br (gzip, deflate, br, as browsers ask over HTTPS; the "
      "server answers gzip). "
      "%d timed runs after 5 warm-up runs (br: %d after 2). \"Api only\": the same request "
      "straight to Api::handle, no HTTP.\n\n",
      runs, br_runs);
  std::printf(
      "| request | compression | JSON bytes | on the wire | points | median | p95 | max | "
      "Api only (median) | target | met |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|\n");
  std::map<std::string, bool> met_by_mode;
  for (const auto& mode : modes)
    met_by_mode[mode.name] = true;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    for (std::size_t m = 0; m < outcomes[i].size(); ++m) {
      const auto& o = outcomes[i][m];
      std::string target = "—", met = "—";
      if (c.target_ms > 0) {
        const bool ok = o.http.median <= c.target_ms && o.http.p95 <= c.target_ms;
        met_by_mode[modes[m].name] = met_by_mode[modes[m].name] && ok;
        target = "≤ " + std::to_string(static_cast<int>(c.target_ms)) + " ms";
        met = ok ? "**yes**" : "**NO**";
      }
      std::printf(
          "| %s | %s | %zu | %zu | %zu | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %s | %s |\n",
          c.name.c_str(), modes[m].name, o.bytes, o.wire_bytes, o.points, o.http.median, o.http.p95,
          o.http.max, o.api.median, target.c_str(), met.c_str());
    }
  }
  bool all_met = true;
  std::printf("\nTargets (issue 7: list <= 100 ms, one-year chart <= 200 ms, median and p95):");
  for (const auto& mode : modes) {
    std::printf(" %s: %s;", mode.name, met_by_mode[mode.name] ? "met" : "NOT met");
    all_met = all_met && met_by_mode[mode.name];
  }
  std::printf("\n");
  return all_met ? 0 : 3;
}
