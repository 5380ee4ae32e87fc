// bench/alarms: the time of one alarm round (server/alarm_round.hpp) for a fleet: a temporary
// SQLite store with N meters (default 10 000), each with 7 samples over the last hour (every
// 10 min), half with a valve that reported `status`, and 5 rules from the templates that apply
// to every meter (offline, leak, temperature-range, consumption-backwards, low-credit); 1% of
// the meters are offline, so their alarms are raised in the first round. Runs R rounds (default
// 7) a minute apart and prints each time and the median (the goal: <= 1 s for 10 000 x 5).
//   alarms_bench [meters] [rounds]
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "server/alarm_round.hpp"
#include "server/sample_record.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"

using namespace ml;
using Clock = std::chrono::steady_clock;

int main(int argc, char** argv) {
  const int meters = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int rounds = argc > 2 ? std::atoi(argv[2]) : 7;
  char tmpl[] = "/tmp/mlbench-alarms-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  const std::string dir = tmpl;
  auto store = server::SqliteStore::open(dir + "/server.db");
  if (!store) {
    std::fprintf(stderr, "%s\n", store.error().text().c_str());
    return 1;
  }
  auto& s = **store;
  const std::int64_t now = 1'796'300'000;  // 2026-12-03
  const auto filled = Clock::now();
  auto st = s.write_transaction([&]() -> core::Status {
    for (int i = 0; i < meters; ++i) {
      server::Meter m;
      m.serial = std::to_string(1000000 + i);
      m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
      m.group = "G" + std::to_string(i % 10);
      m.valve_installed = i % 2 == 0;
      m.created = now - 86400;
      ML_TRY(s.add_meter(m));
      const bool offline = i % 100 == 0;
      std::vector<server::IngestItem> items;
      for (int k = 0; k < 7; ++k) {
        server::IngestItem it;
        it.kind = server::IngestItem::Kind::sample;
        it.serial = m.serial;
        it.time = now - (offline ? 7200 : 0) - 3600 + k * 600;
        it.function = "sample";
        it.text = "heap=20000&t1=" + std::to_string(60 + k) + ".00 C&t2=40.00 C&tdif=20.00 K" +
                  "&flow1=0 l/h&effect1=0.0 kW&hr=" + std::to_string(1000 + k) +
                  " h&v1=123.45 m3&e1=" + std::to_string(5000 + k) + " kWh&";
        auto parsed = core::sample::parse_sample(it.text);
        if (!parsed) return parsed.error();
        it.sample = std::move(parsed).value();
        items.push_back(std::move(it));
      }
      if (m.valve_installed) {
        server::IngestItem d;
        d.kind = server::IngestItem::Kind::diagnostic;
        d.serial = m.serial;
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
  std::printf("filled %d meters x 7 samples, 5 rules in %.1f s\n", meters,
              std::chrono::duration<double>(Clock::now() - filled).count());
  std::vector<double> times;
  for (int i = 0; i < rounds; ++i) {
    const auto t0 = Clock::now();
    auto r = server::run_alarm_round(s, now + i * 60);
    const double secs = std::chrono::duration<double>(Clock::now() - t0).count();
    if (!r) {
      std::fprintf(stderr, "round: %s\n", r.error().text().c_str());
      return 1;
    }
    std::printf("round %d: %.3f s, %lld evaluations, %zu notifications, %lld transitions\n", i,
                secs, static_cast<long long>(r->evaluations), r->notifications.size(),
                static_cast<long long>(r->transitions));
    times.push_back(secs);
  }
  std::sort(times.begin(), times.end());
  std::printf("median round: %.3f s (%d meters x 5 rules)\n", times[times.size() / 2], meters);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return 0;
}
