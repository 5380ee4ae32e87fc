// bench/month/month_bench: one month of one-minute samples for 10 000 meters on SQLite or
// PostgreSQL (issue 17: "a year of history for 100 000 meters is too big to generate here:
// generate one month for 10 000 meters, measure, and project"). bench/month.sh runs it on both
// backends, measures the tables and projects a year at 100 000 meters.
//
//   1. A fresh database with METERS heat meters (serials 1000000, ...). Before their history,
//      three rounds of one sample of every meter are stored as ingest stores them (store_items,
//      batches of 500 in live order: one meter after another), on the empty tables: the baseline
//      of step 4.
//   2. The month: DAYS UTC days up to the present minute, a sample a minute, from `sim
//      backfill`'s model (sim/backfill.hpp: an installation read through a KMP meter, a model of
//      four). Modelling 430 million samples one by one would take hours here: 64 meters' months
//      are modelled (kHistories) and every meter stores one of them under its own serial, so the
//      texts, and how well a day packs, are those of real histories. What the server keeps after
//      a month is made directly: the days that [database] pack_after_days (7) has packed are
//      packed days (pack_day, write_packed_day) with their hourly and daily rollups
//      (add_to_rollup); the newer days are stored as ingest stores a backlog (store_items, one
//      transaction a meter), which keeps the rows, their rollups and the meter's newest sample.
//      One thread models the histories and copies them, the other writes.
//   3. Reads, timed as Api::handle calls (the server's work without HTTP), RUNS times after a
//      warm-up: a meter's month chart (series, auto resolution), the meter's month as CSV (every
//      page of the export, from packed days and rows), a page of the meter list, the fleet summary
//      (cold once, then warm).
//   4. Ingest on the month: three rounds as in step 1, now on a month of history, against step 1's
//      rates. The first round finds each meter's newest pages where the month's writing left them
//      (a meter at a time, long ago); from the second on they are as a live fleet keeps them,
//      touched every minute.
//   5. `db pack` of the next day: pack_samples as the server runs it the day after, timed per
//      meter-day.
// The sizes of the tables are the script's (bench/month.sh): it has the database's own tools.
//
// Usage: month_bench WORK_DIR DATABASE [METERS=10000] [DAYS=30] [RUNS=10]
//        month_bench --fill WORK_DIR DATABASE DAYS
// DATABASE: "sqlite" (WORK_DIR/server.db) or a postgresql:// URL of an empty database.
// --fill writes only step 2, DAYS days for every meter the database already has (bench/fleet.sh
// HISTORY_DAYS: the lag on a database that holds history).
// Exit status 0 when done, 1 when something failed.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/sample/sample.hpp"
#include "password/password.hpp"
#include "server/config.hpp"
#include "server/http/api.hpp"
#include "server/postgresql/store.hpp"
#include "server/rollup.hpp"
#include "server/sample_days.hpp"
#include "server/sample_pack.hpp"
#include "server/sample_record.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "sim/backfill.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;
using json = nlohmann::json;

namespace {

constexpr const char* kUser = "bench";
constexpr const char* kPassword = "bench-password-7";
constexpr const char* kKey = "ef500c9268cf749016d26d6cbfaaf7bf";
constexpr std::int64_t kDay = 86400;
constexpr std::size_t kIngestBatch = 500;  // [ingest] batch_max
constexpr int kHistories = 64;             // distinct months, each stored by every 64th meter

[[noreturn]] void fail(const std::string& message) {
  std::cerr << "month_bench: FAILED: " << message << std::endl;
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
  if (db == "sqlite") return must(server::SqliteStore::open(dir + "/server.db"), "open SQLite");
  return must(server::PostgresStore::open(db), "open PostgreSQL");
}

std::string serial_of(int i) {
  return std::to_string(1000000 + i);
}

server::IngestItem sample_item(const std::string& serial, std::int64_t time, std::string text) {
  server::IngestItem item;
  item.kind = server::IngestItem::Kind::sample;
  item.serial = serial;
  item.time = time;
  item.function = "sample";
  item.text = std::move(text);
  item.sample = must(core::sample::parse_sample(item.text), "sample text of " + serial);
  return item;
}

// One meter's month as the writer stores it.
struct MeterMonth {
  std::vector<server::PackedDay> packed;
  std::vector<server::Rollup> hours, days;  // of the packed days
  std::vector<server::IngestItem> rows;     // the newer days, oldest first
  std::int64_t samples = 0;
};

// Received a few seconds after the sample's minute, as a device's publication arrives.
std::int64_t received_at(std::int64_t time) {
  return time + 2;
}

MeterMonth make_month(int i, const std::string& serial, std::int64_t from, std::int64_t to,
                      std::int64_t last_packed_day) {
  sim::BackfillConfig c;
  c.model = static_cast<sim::KmpModel>(i % 4);
  c.serial = static_cast<std::uint32_t>(1000000 + i);
  c.seed = static_cast<std::uint64_t>(i) + 1;
  c.from = from;
  c.to = to;
  c.every_s = 60;
  c.end_energy_mwh = (20'000 + static_cast<std::uint64_t>(i % 5000) * 7) * 1'000'000ULL;
  c.end_volume_ml = (400 + static_cast<std::uint64_t>(i % 300)) * 1'000'000ULL;
  auto texts = must(sim::backfill(c), "backfill " + serial);
  MeterMonth out;
  out.samples = static_cast<std::int64_t>(texts.size());
  std::map<std::int64_t, server::Rollup> hours, days;
  std::vector<server::SampleRecord> day_records;
  std::int64_t day_of_records = -1;
  auto pack = [&] {
    if (day_records.empty()) return;
    server::PackedDay d;
    d.serial = serial;
    d.day = day_of_records;
    d.samples = static_cast<std::int64_t>(day_records.size());
    d.first_time = day_records.front().time;
    d.last_time = day_records.back().time;
    d.data = server::pack_day(day_records);
    out.packed.push_back(std::move(d));
    day_records.clear();
  };
  for (auto& s : texts) {
    auto item = sample_item(serial, s.time, std::move(s.text));
    const std::int64_t day = s.time / kDay;
    if (day > last_packed_day) {
      out.rows.push_back(std::move(item));
      continue;
    }
    if (day != day_of_records) {
      pack();
      day_of_records = day;
    }
    auto record = server::sample_record(item, received_at(item.time));
    for (auto [period, buckets] :
         {std::pair{server::Period::hour, &hours}, std::pair{server::Period::day, &days}}) {
      const std::int64_t bucket = server::bucket_of(period, item.time);
      auto& r = (*buckets)[bucket];
      if (r.samples == 0) {
        r.serial = serial;
        r.bucket = bucket;
      }
      server::add_to_rollup(r, item.time, server::decimal_text(record.energy_kwh),
                            server::decimal_text(record.volume_m3), item.sample);
    }
    day_records.push_back(std::move(record));
  }
  pack();
  for (auto& [bucket, r] : hours)
    out.hours.push_back(std::move(r));
  for (auto& [bucket, r] : days)
    out.days.push_back(std::move(r));
  return out;
}

// A meter's month: one of the histories under its own serial.
MeterMonth month_of(const std::string& serial, const MeterMonth& history) {
  MeterMonth m = history;
  for (auto& d : m.packed)
    d.serial = serial;
  for (auto* rollups : {&m.hours, &m.days}) {
    for (auto& r : *rollups)
      r.serial = serial;
  }
  for (auto& item : m.rows)
    item.serial = serial;
  return m;
}

// Makes the months on a thread of its own, a few meters ahead of the writer.
class MonthMaker {
 public:
  MonthMaker(std::vector<std::string> serials, std::int64_t from, std::int64_t to,
             std::int64_t last_packed_day)
      : thread_([=, this] {
          std::vector<MeterMonth> histories;
          for (std::size_t i = 0; i < serials.size(); ++i) {
            if (i < kHistories) {
              histories.push_back(
                  make_month(static_cast<int>(i), serials[i], from, to, last_packed_day));
            }
            auto m = month_of(serials[i], histories[i % kHistories]);
            std::unique_lock lock(mutex_);
            room_.wait(lock, [&] { return ready_.size() < 4; });
            ready_.push_back(std::move(m));
            filled_.notify_one();
          }
        }) {}
  ~MonthMaker() { thread_.join(); }
  MeterMonth next() {
    std::unique_lock lock(mutex_);
    filled_.wait(lock, [&] { return !ready_.empty(); });
    MeterMonth m = std::move(ready_.front());
    ready_.pop_front();
    room_.notify_one();
    return m;
  }

 private:
  std::mutex mutex_;
  std::condition_variable room_, filled_;
  std::deque<MeterMonth> ready_;
  std::thread thread_;
};

// One sample of every meter at `time`, stored as ingest stores them: batches of 500, each in its
// transaction (store_items' own, as `run` calls it: not nested in another, which would make it a
// savepoint). Samples a second.
double ingest_round(server::ServerStore& store, int meters, std::int64_t time, std::int64_t now) {
  std::vector<server::IngestItem> all;
  all.reserve(static_cast<std::size_t>(meters));
  for (int i = 0; i < meters; ++i) {
    all.push_back(sample_item(serial_of(i), time,
                              "heap=20000&t1=61.20 C&t2=38.40 C&tdif=22.80 K&flow1=412 l/h&"
                              "effect1=10.9 kW&hr=" +
                                  std::to_string(20000 + i % 700) +
                                  " h&v1=" + std::to_string(300 + i % 300) +
                                  ".11 m3&e1=" + std::to_string(10000 + i % 5000) + " kWh&"));
  }
  const auto t = Clock::now();
  for (std::size_t first = 0; first < all.size(); first += kIngestBatch) {
    std::vector<server::IngestItem> batch(
        all.begin() + static_cast<std::ptrdiff_t>(first),
        all.begin() + static_cast<std::ptrdiff_t>(std::min(all.size(), first + kIngestBatch)));
    must(server::store_items(store, batch, now), "ingest");
  }
  return static_cast<double>(meters) / (ms_since(t) / 1000);
}

// DAYS UTC days of a sample a minute for each of `serials`, up to the present minute, written as
// the server keeps them by now (step 2 above). Prints the figures; returns the samples and how
// many of them are rows.
struct Written {
  std::int64_t samples = 0, rows = 0;
};
Written write_history(server::ServerStore& store, const std::vector<std::string>& serials, int days,
                      std::int64_t now) {
  const std::int64_t today = now / kDay;
  const server::ServerConfig defaults;
  // The days pack_samples() has packed by now: those that ended pack_after_days before today.
  const std::int64_t last_packed_day = today - 1 - defaults.database.pack_after_days;
  const std::int64_t from = (today - days + 1) * kDay;
  const std::int64_t to = now - now % 60 - 60;
  const auto meters = serials.size();
  const auto t = Clock::now();
  std::int64_t samples = 0, packed_days = 0, packed_bytes = 0, rows = 0;
  double write_ms = 0;
  MonthMaker maker(serials, from, to, last_packed_day);
  for (std::size_t i = 0; i < meters; ++i) {
    MeterMonth m = maker.next();
    const auto w = Clock::now();
    must(store.write_transaction([&]() -> core::Status {
      for (const auto& d : m.packed)
        ML_TRY(store.write_packed_day(d, {}));
      ML_TRY(store.write_rollups(server::Period::hour, m.hours));
      return store.write_rollups(server::Period::day, m.days);
    }),
         "the packed days of " + serials[i]);
    must(server::store_items(store, m.rows, now), "the rows of " + serials[i]);
    write_ms += ms_since(w);
    samples += m.samples;
    rows += static_cast<std::int64_t>(m.rows.size());
    packed_days += static_cast<std::int64_t>(m.packed.size());
    for (const auto& d : m.packed)
      packed_bytes += static_cast<std::int64_t>(d.data.size());
    if ((i + 1) % std::max<std::size_t>(1, meters / 10) == 0) {
      std::printf("  %zu meters, %.0f s\n", i + 1, ms_since(t) / 1000);
      std::fflush(stdout);
    }
  }
  const double month_s = ms_since(t) / 1000;
  std::printf(
      "Generated %zu meters x %d days: %lld samples (%lld in %lld packed days, %lld bytes "
      "packed; %lld rows) in %.0f s (%.0f samples/s; writing %.0f s)\n",
      meters, days, static_cast<long long>(samples), static_cast<long long>(samples - rows),
      static_cast<long long>(packed_days), static_cast<long long>(packed_bytes),
      static_cast<long long>(rows), month_s, static_cast<double>(samples) / month_s,
      write_ms / 1000);
  std::fflush(stdout);
  return {samples, rows};
}

struct Stats {
  double median = 0, max = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.max = v.back();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  if (argc == 5 && std::string(argv[1]) == "--fill") {
    // History for the meters a database already has (bench/fleet.sh, HISTORY_DAYS).
    auto store = open_store(argv[2], argv[3]);
    const int days = std::atoi(argv[4]);
    if (days < 1) fail("DAYS >= 1");
    std::vector<std::string> serials;
    for (const auto& k : must(store->meter_keys(), "meter_keys"))
      serials.push_back(k.serial);
    if (serials.empty()) fail("the database has no meters");
    write_history(*store, serials, days, now);
    return 0;
  }
  if (argc < 3) {
    std::cerr << "usage: month_bench WORK_DIR DATABASE [METERS=10000] [DAYS=30] [RUNS=10]\n"
                 "       month_bench --fill WORK_DIR DATABASE DAYS\n";
    return 2;
  }
  const std::string dir = argv[1];
  const std::string db = argv[2];
  const int meters = argc > 3 ? std::atoi(argv[3]) : 10000;
  const int days = argc > 4 ? std::atoi(argv[4]) : 30;
  const int runs = argc > 5 ? std::atoi(argv[5]) : 10;
  if (meters < 1 || days < 10 || runs < 1) fail("METERS >= 1, DAYS >= 10, RUNS >= 1");
  const std::int64_t today = now / kDay;
  const server::ServerConfig defaults;
  const int after_days = defaults.database.pack_after_days;
  const std::int64_t from = (today - days + 1) * kDay;
  const std::int64_t to = now - now % 60 - 60;
  if (db == "sqlite") std::filesystem::remove(dir + "/server.db");
  auto store = open_store(dir, db);

  std::vector<server::Meter> fleet;
  for (int i = 0; i < meters; ++i) {
    server::Meter m;
    m.serial = serial_of(i);
    m.key_hex = kKey;
    m.name = "Vej " + std::to_string(i / 10 + 1) + ", " + std::to_string(i % 10 + 1);
    m.kind = core::meter::Kind::heat;
    m.group = "g" + std::to_string(i % 10);
    m.created = from - kDay;
    fleet.push_back(std::move(m));
  }
  must(store->add_meters(fleet), "add_meters");
  std::string hash;
  if (!password::hash_password(kPassword, &hash)) fail("hash_password: " + hash);
  server::User u;
  u.name = kUser;
  u.password_hash = hash;
  u.role = server::Role::admin;
  u.groups = {"*"};
  u.created = now;
  must(store->add_user(u), "add_user");

  // 1. The baseline: three rounds of one sample of every meter, before the month, on empty tables.
  std::vector<double> ingest_empty;
  for (std::int64_t at : {from - 30, from - 20, from - 10})
    ingest_empty.push_back(ingest_round(*store, meters, at, now));

  // 2. The month.
  std::vector<std::string> serials;
  for (int i = 0; i < meters; ++i)
    serials.push_back(serial_of(i));
  const auto [samples, rows] = write_history(*store, serials, days, now);

  // 3. Reads.
  auto stores = std::make_shared<server::http::StorePool>(
      [&]() -> core::Result<std::unique_ptr<server::ServerStore>> { return open_store(dir, db); },
      2);
  server::ServerConfig config;
  // The bench measures reads: its administrator logs in with a password alone, without the
  // second factor `serve` asks of one by default (docs/security.md, "Second factor").
  config.http.second_factor = server::SecondFactorRule::off;
  config.http.web_dir = dir + "/no-dashboard";
  auto make_api = [&] {
    return std::make_unique<server::http::Api>(stores, config, [&] { return now + 30; });
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
  // The whole answer, a streamed one (the CSV export) to its end.
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
    if (res.stream) {
      while (res.stream(res.body)) {
      }
    }
    const double ms = ms_since(t0);
    if (res.status != 200) fail("GET " + path + ": " + std::to_string(res.status) + " " + res.body);
    if (body != nullptr) *body = std::move(res.body);
    return ms;
  };
  double summary_cold = 0;
  {
    auto fresh = make_api();
    const auto cookie = login(*fresh);
    summary_cold = get(*fresh, cookie, "/api/attention", {}, nullptr);
  }
  auto api = make_api();
  const std::string cookie = login(*api);
  const std::string one = "/api/meters/" + serial_of(meters / 2);
  const std::map<std::string, std::string> month = {{"from", std::to_string(from)},
                                                    {"to", std::to_string(now)}};
  struct Case {
    std::string what;
    std::string path;
    std::map<std::string, std::string> query;
    std::vector<double> ms;
    std::string body;
  };
  std::vector<Case> cases = {
      {"meter list, first page (100)", "/api/meters", {{"limit", "100"}}, {}, {}},
      {"fleet summary, warm", "/api/attention", {}, {}, {}},
      {"meter page", one, {}, {}, {}},
      {"month chart (series, auto)", one + "/series", month, {}, {}},
      {"month as CSV (samples.csv, every page)", one + "/samples.csv", month, {}, {}},
  };
  for (auto& c : cases) {
    get(*api, cookie, c.path, c.query, &c.body);  // warm-up
    for (int k = 0; k < runs; ++k)
      c.ms.push_back(get(*api, cookie, c.path, c.query, &c.body));
  }
  const json chart = json::parse(cases[3].body);
  const auto csv_lines = std::count(cases[4].body.begin(), cases[4].body.end(), '\n');
  if (csv_lines < 1440 * (days - 1)) {
    fail("the month's CSV has " + std::to_string(csv_lines) + " lines");
  }

  // 4. Ingest on a month of history.
  std::vector<double> ingest_month;
  for (std::int64_t at : {to + 10, to + 20, to + 30})
    ingest_month.push_back(ingest_round(*store, meters, at, now));

  // 5. The next day's pack.
  const auto t = Clock::now();
  auto report = must(server::pack_samples(*store, now + kDay, after_days), "pack");
  const double pack_s = ms_since(t) / 1000;

  std::printf("\n| %s, %d meters x %d days | median | max |\n",
              db == "sqlite" ? "SQLite" : "PostgreSQL", meters, days);
  std::printf("|---|---:|---:|\n");
  std::printf("| fleet summary, cold (a fresh Api), 1 run | %.1f ms | — |\n", summary_cold);
  for (const auto& c : cases) {
    const Stats s = stats(c.ms);
    std::printf("| %s | %.1f ms | %.1f ms |\n", c.what.c_str(), s.median, s.max);
  }
  std::printf("\nMonth chart: %zu points (%s); CSV: %ld lines, %zu bytes\n", chart["time"].size(),
              chart.value("resolution", "?").c_str(), static_cast<long>(csv_lines),
              cases[4].body.size());
  std::printf("Ingest, rounds of one sample of every meter in batches of %zu, samples/s:\n",
              kIngestBatch);
  for (std::size_t k = 0; k < ingest_empty.size(); ++k) {
    std::printf("  round %zu: %.0f on empty tables, %.0f on the month (%.2f x)\n", k + 1,
                ingest_empty[k], ingest_month[k], ingest_month[k] / ingest_empty[k]);
  }
  std::printf(
      "db pack of the next day: %lld meter-days, %lld samples, %lld bytes in %.1f s (%.1f ms a "
      "meter-day)\n",
      static_cast<long long>(report.days), static_cast<long long>(report.samples),
      static_cast<long long>(report.bytes), pack_s,
      report.days > 0 ? pack_s * 1000 / static_cast<double>(report.days) : 0.0);
  std::printf("SAMPLES %lld ROWS_BEFORE_PACK %lld PACKED_SAMPLES_AFTER %lld\n",
              static_cast<long long>(samples + 6LL * meters),
              static_cast<long long>(rows + 6LL * meters),
              static_cast<long long>(samples - rows + report.samples));
  return 0;
}
