// bench/alarms: the time of one alarm round (server/alarm_round.hpp) for a fleet, and of the
// prepaid notices pass (server/prepaid_notify.hpp) that `run` does after each round: a temporary
// SQLite store with N meters (default 10 000; bench/prepaid_fleet.hpp), each with 7 samples over
// the last hour (every 10 min) continuing its history; half with a valve (prepaid) that reported
// `status`, with two payments, a customer e-mail address and H days (default 730) of daily
// rollups (every 10th of them only 60 days: the estimator's recent method; the others the
// seasonal one); and 5 rules from the templates that apply to every meter (offline, leak,
// temperature-range, consumption-backwards, low-credit: days_left, the time-left estimate);
// 1% of the meters are offline, so their alarms are raised in the first round.
//
// Runs R rounds (default 7) a minute apart as `run` does (one DailyUseCache kept between them;
// each round followed by run_prepaid_notices with the same cache and one e-mail channel) and
// prints each time: the first round reads every prepaid meter's history (a cold cache, as after a
// start), the others are warm; then what the next day's first round adds (the cache bringing each
// history up to date) against a fill from nothing. The goal: one round <= 1 s for 10 000 x 5.
//   alarms_bench [meters] [rounds] [history_days]
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "../prepaid_fleet.hpp"
#include "server/alarm_round.hpp"
#include "server/ledger.hpp"
#include "server/prepaid_notify.hpp"
#include "server/sample_record.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server/usecases/estimates.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;

namespace {

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// CPU seconds of this process (one thread): what the work costs, whatever else the machine runs.
double cpu_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  bench::FleetOptions fleet;
  fleet.meters = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  fleet.history_days = argc > 3 ? std::atoi(argv[3]) : 730;
  const std::int64_t now = 1'796'300'000;  // 2026-12-03 12:13 UTC
  fleet.now = now;
  char tmpl[] = "/tmp/mlbench-alarms-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  auto store = server::SqliteStore::open(dir + "/server.db");
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().text().c_str());
    return 1;
  }
  auto& s = **store;
  // Not what is measured: the database is built without an fsync per transaction.
  if (!s.db().exec("PRAGMA synchronous=OFF")) return 1;
  auto filled = Clock::now();
  auto counts = bench::fill_prepaid_fleet(s, fleet, [](int, server::Meter&) {});
  if (!counts) {
    std::fprintf(stderr, "fill: %s\n", counts.error().text().c_str());
    return 1;
  }
  const double history_s = since(filled);
  filled = Clock::now();
  auto st = s.write_transaction([&]() -> core::Status {
    for (int i = 0; i < fleet.meters; ++i) {
      const std::string serial = bench::fleet_serial(i);
      const bool offline = i % 100 == 0;
      std::vector<server::IngestItem> items;
      for (int k = 0; k < 7; ++k) {
        server::IngestItem it;
        it.kind = server::IngestItem::Kind::sample;
        it.serial = serial;
        it.time = now - (offline ? 7200 : 0) - 3600 + k * 600;
        it.function = "sample";
        const std::int64_t wh = bench::fleet_energy_wh_at(fleet, i, it.time);
        it.text = "heap=20000&t1=" + std::to_string(60 + k) + ".00 C&t2=40.00 C&tdif=20.00 K" +
                  "&flow1=0 l/h&effect1=0.0 kW&hr=" + std::to_string(1000 + k) +
                  " h&v1=" + bench::fleet_m3(wh) + " m3&e1=" + bench::fleet_kwh(wh) + " kWh&";
        auto parsed = core::sample::parse_sample(it.text);
        if (!parsed) return parsed.error();
        it.sample = std::move(parsed).value();
        items.push_back(std::move(it));
      }
      if (bench::fleet_prepaid(i)) {
        server::IngestItem d;
        d.kind = server::IngestItem::Kind::diagnostic;
        d.serial = serial;
        d.time = now - 5000;
        d.function = "status";
        d.text = "open";
        items.push_back(std::move(d));
      }
      auto r = server::store_items(s, items, now);
      if (!r) return r.error();
    }
    return core::Ok{};
  });
  if (!st) {
    std::fprintf(stderr, "fill: %s\n", st.error().text().c_str());
    return 1;
  }
  for (const char* t :
       {"offline", "leak", "temperature-range", "consumption-backwards", "low-credit"}) {
    const server::AlarmTemplate* tp = server::find_alarm_template(t);
    server::AlarmRule r;
    r.name = t;
    r.text = std::string(tp->text);
    r.severity = tp->severity;
    r.template_name = t;
    if (!server::add_alarm_rule(s, r, {})) return 1;
  }
  if (!s.db().exec("PRAGMA wal_checkpoint(TRUNCATE)")) return 1;
  std::printf(
      "filled %d meters (%lld prepaid: %lld daily rollups, %d days each, every 10th %d; %lld "
      "payments) in %.1f s; 7 samples each and 5 rules in %.1f s\n",
      fleet.meters, static_cast<long long>(counts->prepaid),
      static_cast<long long>(counts->rollups), fleet.history_days, fleet.short_days,
      static_cast<long long>(counts->payments), history_s, since(filled));

  server::notify::NotifyConfig notify;
  server::notify::ChannelConfig mail;
  mail.name = "mail";
  mail.type = server::notify::ChannelType::email;
  notify.channels.push_back(mail);

  server::usecase::DailyUseCache cache;
  server::RoundOptions options;
  options.daily_use = &cache;
  std::vector<double> warm, notices_warm, warm_cpu, notices_warm_cpu;
  double cold = 0, notices_first = 0, cold_cpu = 0;
  for (int i = 0; i < rounds; ++i) {
    const std::int64_t t = now + i * 60;
    auto t0 = Clock::now();
    double c0 = cpu_now();
    auto r = server::run_alarm_round(s, t, options);
    const double secs = since(t0);
    const double cpu = cpu_now() - c0;
    if (!r) {
      std::fprintf(stderr, "round: %s\n", r.error().text().c_str());
      return 1;
    }
    std::map<std::string, int> raised;
    for (const auto& n : r->notifications)
      ++raised[n.rule_name];
    std::string by_rule;
    for (const auto& [name, count] : raised)
      by_rule += " " + name + "=" + std::to_string(count);
    t0 = Clock::now();
    c0 = cpu_now();
    auto p = server::run_prepaid_notices(s, notify, t, &cache);
    const double notice_secs = since(t0);
    const double notice_cpu = cpu_now() - c0;
    if (!p) {
      std::fprintf(stderr, "prepaid notices: %s\n", p.error().text().c_str());
      return 1;
    }
    std::printf(
        "round %d (%s): %.3f s (cpu %.3f s), %lld evaluations, %zu notifications (%s), %lld "
        "transitions; prepaid notices: %.3f s (cpu %.3f s), %d meters, %d notices, %d queued\n",
        i, i == 0 ? "cold cache" : "warm", secs, cpu, static_cast<long long>(r->evaluations),
        r->notifications.size(), by_rule.empty() ? "none" : by_rule.substr(1).c_str(),
        static_cast<long long>(r->transitions), notice_secs, notice_cpu, p->meters, p->notices,
        p->queued);
    std::fflush(stdout);
    if (i == 0) {
      cold = secs;
      cold_cpu = cpu;
      notices_first = notice_secs;
    } else {
      warm.push_back(secs);
      warm_cpu.push_back(cpu);
      notices_warm.push_back(notice_secs);
      notices_warm_cpu.push_back(notice_cpu);
    }
  }
  // What the estimates were (the same calls the round makes, not timed).
  std::map<std::string, int> methods;
  int low = 0;
  std::uint64_t digest = 14695981039346656037ULL;  // FNV-1a
  for (int i = 0; i < fleet.meters; i += 2) {
    auto e = server::usecase::estimate_for(s, bench::fleet_serial(i), now);
    if (!e) return 1;
    ++methods[std::string(server::estimate::method_name(e->estimate.method))];
    auto d = server::usecase::days_left_of(e->estimate);
    if (d && core::compare(*d, core::Decimal{false, 7, 0}) < 0) ++low;
    // A digest of every figure, to compare builds: a faster estimator must say the same.
    const auto& x = e->estimate;
    const std::string line =
        std::string(server::estimate::method_name(x.method)) + "|" +
        (x.days_left ? x.days_left->to_string() : "-") + "|" +
        (x.closes_at ? std::to_string(*x.closes_at) : "-") + "|" + (x.beyond_horizon ? "b" : "") +
        "|" + (x.rate ? x.rate->to_string() : "-") + "|" + std::to_string(x.years_used) + "|" +
        std::to_string(x.years_discarded) + "|" + (e->left ? e->left->to_string() : "-") + "\n";
    for (const char c : line)
      digest = (digest ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  }
  // More of the same for the digest: every 5th prepaid meter at four seasons and three credits.
  {
    const core::Decimal credits[] = {core::Decimal{false, 50, 0}, core::Decimal{false, 2500, 0},
                                     core::Decimal{false, 40000, 0}};
    for (int i = 0; i < fleet.meters; i += 10) {
      auto use = server::usecase::read_daily_use(s, bench::fleet_serial(i), false,
                                                 server::usecase::history_start(now), now + 1);
      if (!use) return 1;
      for (const std::int64_t back : {0, 91, 182, 273}) {
        for (const auto& credit : credits) {
          const std::int64_t at = now - back * 86400 - back * 331;
          auto x = server::estimate::estimate(credit, at, *use);
          if (!x) return 1;
          const std::string line = std::string(server::estimate::method_name(x->method)) + "|" +
                                   (x->days_left ? x->days_left->to_string() : "-") + "|" +
                                   (x->closes_at ? std::to_string(*x->closes_at) : "-") + "|" +
                                   (x->rate ? x->rate->to_string() : "-") + "|" +
                                   std::to_string(x->years_used) + "\n";
          for (const char c : line)
            digest = (digest ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
        }
      }
    }
  }
  std::printf("estimates of the prepaid meters:");
  for (const auto& [m, c] : methods)
    std::printf(" %s %d", m.c_str(), c);
  std::printf("; days_left < 7: %d; digest of all estimates %016llx\n", low,
              static_cast<unsigned long long>(digest));
  // Where a prepaid meter's time goes: the steps of estimate_for, each timed over all of them.
  {
    double t_pay = 0, t_read = 0, t_use = 0, t_est = 0;
    int n = 0;
    auto snap = s.read_snapshot([&]() -> core::Status {
      for (int i = 0; i < fleet.meters; i += 2) {
        const std::string serial = bench::fleet_serial(i);
        auto t0 = cpu_now();
        auto pays = s.payments(serial);
        if (!pays) return pays.error();
        t_pay += (cpu_now() - t0);
        t0 = cpu_now();
        auto rows =
            s.rollups(serial, server::Period::day, server::usecase::history_start(now), now);
        if (!rows) return rows.error();
        t_read += (cpu_now() - t0);
        t0 = cpu_now();
        auto use = server::usecase::daily_use(*rows, false);
        t_use += (cpu_now() - t0);
        auto m = s.meter(serial);
        if (!m || !*m) return core::make_error(core::Errc::invalid_argument, "meter");
        auto limit = server::open_until_limit(**m, *pays);
        auto latest = s.latest_sample(serial);
        if (!limit || !latest || !*latest) continue;
        auto left = core::difference(*limit, core::Decimal::parse(*(*latest)->energy_kwh).value());
        if (!left) continue;
        t0 = cpu_now();
        auto e = server::estimate::estimate(*left, now, use);
        t_est += (cpu_now() - t0);
        if (!e) return e.error();
        ++n;
      }
      return core::Ok{};
    });
    if (!snap) {
      std::fprintf(stderr, "breakdown: %s\n", snap.error().text().c_str());
      return 1;
    }
    // What the daily rollups' read costs in SQLite itself: only the columns daily_use needs, one
    // statement prepared once (no Rollup built, no sums decoded). Not something the store offers.
    double t_raw = 0;
    std::int64_t raw_rows = 0;
    auto q = s.db().prepare(
        "SELECT bucket, samples, first_time, last_time, energy_first, energy_last FROM rollups "
        "WHERE serial=? AND period=? AND bucket>=? AND bucket<=? ORDER BY bucket");
    if (!q) return 1;
    auto raw = s.read_snapshot([&]() -> core::Status {
      for (int i = 0; i < fleet.meters; i += 2) {
        const auto t0 = cpu_now();
        q->bind(1, bench::fleet_serial(i))
            .bind(2, static_cast<std::int64_t>(server::Period::day))
            .bind(3, server::usecase::history_start(now))
            .bind(4, now);
        for (;;) {
          auto row = q->step();
          if (!row) return row.error();
          if (!*row) break;
          raw_rows += q->int64(0) > 0 && !q->text(5).empty();
        }
        q->reset();
        t_raw += (cpu_now() - t0);
      }
      return core::Ok{};
    });
    if (!raw) return 1;
    const double per = 1e6 / std::max(1, n);
    std::printf(
        "cpu time per prepaid meter (%d): payments %.0f us, daily rollups read %.0f us, daily use "
        "built %.0f us, estimate %.0f us; the rollups' energy columns alone in SQLite "
        "%.0f us (%lld rows)\n",
        n, t_pay * per, t_read * per, t_use * per, t_est * per, t_raw * per,
        static_cast<long long>(raw_rows));
  }
  // The day change: the round's cache brings every prepaid meter's history up to date (the last
  // days read again, a full read for the meters whose turn it is), against a cache filled from
  // nothing at the same time (what a start costs).
  double day_change = 0, day_change_cpu = 0, fill = 0, fill_cpu = 0;
  {
    const std::int64_t next_day = now + 86400;
    server::usecase::DailyUseCache empty;
    for (auto* c : {&cache, &empty}) {
      const auto t0 = Clock::now();
      const double c0 = cpu_now();
      for (int i = 0; i < fleet.meters; i += 2) {
        if (!c->get(s, bench::fleet_serial(i), false, next_day)) return 1;
      }
      (c == &cache ? day_change : fill) = since(t0);
      (c == &cache ? day_change_cpu : fill_cpu) = cpu_now() - c0;
    }
    std::printf(
        "the next day, every prepaid meter's history: brought up to date %.3f s (cpu %.3f s), "
        "read from nothing %.3f s (cpu %.3f s)\n",
        day_change, day_change_cpu, fill, fill_cpu);
  }
  std::printf(
      "first round (cold cache): %.3f s (cpu %.3f s); median warm round: %.3f s (cpu "
      "%.3f s, %zu rounds); prepaid notices: %.3f s after the first round, median %.3f s "
      "(cpu %.3f s) after the others (%d meters x 5 rules)\n",
      cold, cold_cpu, median(warm), median(warm_cpu), warm.size(), notices_first,
      median(notices_warm), median(notices_warm_cpu), fleet.meters);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
