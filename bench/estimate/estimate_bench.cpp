// The time-left estimator's accuracy on seasonal data (bench/estimate.sh): a few heat meters'
// daily use from the emulated installation with seasons (sim/installation.hpp, deterministic
// seeds) and a day-to-day "weather" on top (a mean-reverting random walk, per mille, different
// every year), one sample a day stored in a temporary SQLite store through the server's ingest
// rules, then `estimate backtest` (server/usecases/estimates.hpp) for autumn, spring and a whole
// year. Prints a Markdown table for bench/RESULTS.md. Measures; asserts nothing.
// Usage: estimate_bench FOLDER [METERS=4] [AMPLITUDE_PM=800]
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server/usecases/estimates.hpp"
#include "sim/installation.hpp"
#include "sim/rng.hpp"

namespace {

using namespace ml;
namespace est = server::estimate;

constexpr std::int64_t kHourMs = 3'600'000;

std::string kwh(std::uint64_t wh) {
  return core::Decimal{false, wh, -3}.to_string();
}

int run(const std::string& folder, int meters, std::int32_t amplitude) {
  auto opened = server::SqliteStore::open(folder + "/estimate-bench.db");
  if (!opened) {
    std::fprintf(stderr, "%s\n", opened.error().text().c_str());
    return 1;
  }
  auto& store = **opened;
  const std::int64_t first = est::days_from_civil(2023, 1, 1);
  const std::int64_t last = est::days_from_civil(2026, 12, 3);
  std::vector<std::string> serials;
  for (int i = 0; i < meters; ++i) {
    server::Meter m;
    m.serial = std::to_string(7000001 + i);
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.valve_installed = true;
    if (auto s = store.add_meter(m); !s) {
      std::fprintf(stderr, "%s\n", s.error().text().c_str());
      return 1;
    }
    serials.push_back(m.serial);
    sim::InstallationConfig c;
    c.seed = 100 + static_cast<std::uint64_t>(i);
    c.start_ms = first * est::kDaySeconds * 1000;
    c.seasonal_amplitude_pm = amplitude;
    sim::Installation inst(c);
    sim::Rng weather_rng(sim::stream_id(c.seed, 0xE57));
    std::int64_t weather = 0;             // per mille around 0
    std::uint64_t total_wh = 10'000'000;  // the register at the start: 10 MWh
    std::vector<server::IngestItem> items;
    for (std::int64_t d = first; d <= last; ++d) {
      // The weather: a mean-reverting walk, within about +-35 %.
      weather = weather * 8 / 10 + static_cast<std::int64_t>(weather_rng.below(241)) - 120;
      std::uint64_t day_wh = 0;
      for (int h = 0; h < 24; ++h)
        day_wh += inst.instant_at(d * est::kDaySeconds * 1000 + h * kHourMs + kHourMs / 2).power_w;
      day_wh =
          day_wh * static_cast<std::uint64_t>(std::max<std::int64_t>(0, 1000 + weather)) / 1000;
      server::IngestItem it;
      it.kind = server::IngestItem::Kind::sample;
      it.serial = m.serial;
      it.time = d * est::kDaySeconds + 30;
      it.function = "sample";
      it.text = "t1=60.00 C&e1=" + kwh(total_wh) + " kWh&";
      it.sample = core::sample::parse_sample(it.text).value();
      items.push_back(std::move(it));
      total_wh += day_wh;
    }
    if (auto r = server::store_items(store, items, last * est::kDaySeconds + 60); !r) {
      std::fprintf(stderr, "%s\n", r.error().text().c_str());
      return 1;
    }
  }
  struct Window {
    const char* name;
    std::int64_t from, to;
  };
  const Window windows[] = {
      {"autumn 2025 (Sep-Nov)", est::days_from_civil(2025, 9, 1),
       est::days_from_civil(2025, 11, 30)},
      {"spring 2026 (Mar-May)", est::days_from_civil(2026, 3, 1),
       est::days_from_civil(2026, 5, 31)},
      {"autumn 2026 (Sep-Oct)", est::days_from_civil(2026, 9, 1),
       est::days_from_civil(2026, 10, 31)},
      {"winter 2026 (Jan-Feb)", est::days_from_civil(2026, 1, 1),
       est::days_from_civil(2026, 2, 28)},
      {"summer 2026 (Jun-Aug)", est::days_from_civil(2026, 6, 1),
       est::days_from_civil(2026, 8, 31)},
  };
  std::printf(
      "meters: %d, seasons: %d per mille, history 2023-01-01 .. 2026-12-03, start every 3 days\n\n",
      meters, amplitude);
  std::printf(
      "| window | method | days ahead | starts | mean abs error (days) |\n|---|---|---|---|---|\n");
  for (const auto& w : windows) {
    est::BacktestOptions o;
    o.first_day = w.from;
    o.last_day = w.to;
    o.ahead_days = {14, 30};
    o.step_days = 3;
    std::vector<est::BacktestRow> all;
    for (const auto& s : serials) {
      auto rows = server::usecase::backtest_meter(store, s, o);
      if (!rows) {
        std::fprintf(stderr, "%s\n", rows.error().text().c_str());
        return 1;
      }
      est::merge_rows(all, *rows);
    }
    for (const auto& r : all) {
      const auto mae = r.mean_error_days();
      std::printf("| %s | %s | %d | %lld | %s |\n", w.name, r.method.c_str(), r.ahead,
                  static_cast<long long>(r.count), mae ? mae->to_string().c_str() : "-");
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: estimate_bench FOLDER [METERS=4] [AMPLITUDE_PM=800]\n");
    return 2;
  }
  const int meters = argc > 2 ? std::atoi(argv[2]) : 4;
  const int amplitude = argc > 3 ? std::atoi(argv[3]) : 800;
  if (meters < 1 || meters > 100 || amplitude < 0 || amplitude > sim::kMaxSeasonalAmplitudePm) {
    std::fprintf(stderr, "METERS 1..100, AMPLITUDE_PM 0..1000\n");
    return 2;
  }
  return run(argv[1], meters, static_cast<std::int32_t>(amplitude));
}
