// bench/prepaid_fleet.hpp: a prepaid fleet with years of history, for the benchmarks that run the
// time-left estimate (bench/alarms/alarms.cpp, bench/dashboard/meter_list_bench.cpp). Not a test
// fixture: it writes straight to the store (daily rollups, payments, contacts) so 10 000 meters
// with two years of daily history are built in well under a minute.
//
// The fleet: `meters` heat meters, serials 1000000 + i, groups G0..G9; the even ones have a valve
// (prepaid) and get, before today:
//   - one daily rollup per UTC day (144 samples, energy and volume first/last, the averaged
//     fields' sums) for `history_days` days, except every `short_every`-th prepaid meter, which
//     has only `short_days` (the estimator's recent method; the others have earlier years for the
//     period ahead, the seasonal method);
//   - two payments (price 1.25 per kWh: one at the start of the history, one 1..30 days ago)
//     that leave a credit of `left_days` days of its current use, spread so that some are used up
//     (about 3 %), some run low (about 5 % under 3 days, 7 % between 3 and 7) and the rest last
//     7 to 180 days;
//   - a customer e-mail address (the prepaid notices).
// A meter's use (kWh per day) is its own base (15..45) times the season (x1.8 in mid-January,
// x0.2 in mid-July) times a day-to-day weather factor (0.8..1.2), integrated linearly within a
// day; energy_wh_at() gives the register at any time, so the samples a benchmark adds for today
// continue the history exactly.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "server/estimate.hpp"
#include "server/rollup.hpp"
#include "server/store.hpp"

namespace ml::bench {

struct FleetOptions {
  int meters = 10000;
  int history_days = 730;  // daily rollups before today, per prepaid meter
  int short_every = 10;    // every n-th prepaid meter has only short_days (0: none)
  int short_days = 60;
  std::int64_t now = 0;
  bool contacts = true;
};

struct FleetCounts {
  std::int64_t meters = 0, prepaid = 0, rollups = 0, payments = 0;
};

inline std::uint64_t fleet_mix(std::uint64_t x) {  // splitmix64
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}
// A number in [0, 1) from (meter, what).
inline double fleet_uniform(int meter, std::uint64_t what) {
  return static_cast<double>(fleet_mix(static_cast<std::uint64_t>(meter) * 1000003ULL + what) >>
                             11) /
         9007199254740992.0;
}

inline std::string fleet_serial(int i) {
  return std::to_string(1000000 + i);
}
inline bool fleet_prepaid(int i) {
  return i % 2 == 0;
}
inline int fleet_history_days(const FleetOptions& o, int i) {
  if (!fleet_prepaid(i)) return 0;
  if (o.short_every > 0 && (i / 2) % o.short_every == o.short_every - 1) return o.short_days;
  return o.history_days;
}

// Wh used by meter i on UTC day `day`.
inline double fleet_day_use_wh(int i, std::int64_t day) {
  constexpr double kTau = 6.283185307179586;
  const double base = 15000.0 + 30000.0 * fleet_uniform(i, 1);
  const double doy = static_cast<double>(day % 365) - 15.0;  // ~0 in mid-January
  const double season = 1.0 + 0.8 * std::cos(kTau * doy / 365.25);
  const double weather =
      0.8 + 0.4 * fleet_uniform(i, 1000 + static_cast<std::uint64_t>(day & 0xffffff));
  return std::floor(base * season * weather);
}

inline std::int64_t fleet_first_day(const FleetOptions& o) {
  return server::estimate::day_of(o.now) - std::max(o.history_days, o.short_days) - 1;
}

// The energy register (Wh) of meter i at time t (from fleet_first_day on).
inline std::int64_t fleet_energy_wh_at(const FleetOptions& o, int i, std::int64_t t) {
  const std::int64_t first = fleet_first_day(o);
  double e = 2000000.0 + std::floor(8000000.0 * fleet_uniform(i, 2));  // at first day's start
  const std::int64_t day = server::estimate::day_of(t);
  for (std::int64_t d = first; d < day; ++d)
    e += fleet_day_use_wh(i, d);
  const double frac = static_cast<double>(t - day * 86400) / 86400.0;
  return static_cast<std::int64_t>(e + std::floor(fleet_day_use_wh(i, day) * frac));
}

inline std::string fleet_fixed(std::int64_t v, int decimals) {
  std::int64_t scale = 1;
  for (int k = 0; k < decimals; ++k)
    scale *= 10;
  char buf[48];
  std::snprintf(buf, sizeof buf, "%lld.%0*lld", static_cast<long long>(v / scale), decimals,
                static_cast<long long>(v % scale));
  return buf;
}
inline std::string fleet_kwh(std::int64_t wh) {
  return fleet_fixed(wh, 3);
}
// m3 (3 decimals) for the energy at 20 K: 1 m3 carries 23.26 kWh.
inline std::string fleet_m3(std::int64_t wh) {
  return fleet_fixed(static_cast<std::int64_t>(static_cast<double>(wh) / 23.26), 3);
}

// Adds the meters (no samples: the benchmark adds today's), their daily history, payments and
// contacts, in one write transaction. `add` is called for every meter before it is stored (to set
// a name, say).
template <class Adjust>
core::Result<FleetCounts> fill_prepaid_fleet(server::ServerStore& s, const FleetOptions& o,
                                             Adjust adjust) {
  FleetCounts n;
  const std::int64_t today = server::estimate::day_of(o.now);
  const std::int64_t first = fleet_first_day(o);
  auto st = s.write_transaction([&]() -> core::Status {
    for (int i = 0; i < o.meters; ++i) {
      server::Meter m;
      m.serial = fleet_serial(i);
      m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
      m.group = "G" + std::to_string(i % 10);
      m.kind = core::meter::Kind::heat;
      m.valve_installed = fleet_prepaid(i);
      m.created = first * 86400;
      const std::int64_t e0 = fleet_energy_wh_at(o, i, first * 86400);
      auto setup = core::Decimal::parse(fleet_kwh(e0));
      if (!setup) return setup.error();
      m.setup_value = *setup;
      adjust(i, m);
      ML_TRY(s.add_meter(m));
      ++n.meters;
      if (!m.valve_installed) continue;
      ++n.prepaid;
      // The daily history: whole days before today.
      const int days = fleet_history_days(o, i);
      double e = static_cast<double>(fleet_energy_wh_at(o, i, (today - days) * 86400));
      for (std::int64_t d = today - days; d < today; ++d) {
        const double use = fleet_day_use_wh(i, d);
        server::Rollup r;
        r.serial = m.serial;
        r.bucket = d * 86400;
        r.samples = 144;
        r.first_time = r.bucket + 300;
        r.last_time = r.bucket + 86100;
        const auto ef = static_cast<std::int64_t>(e + std::floor(use * 300 / 86400));
        const auto el = static_cast<std::int64_t>(e + std::floor(use * 86100 / 86400));
        r.energy_first = fleet_kwh(ef);
        r.energy_last = fleet_kwh(el);
        r.volume_first = fleet_m3(ef);
        r.volume_last = fleet_m3(el);
        const auto power_cw = static_cast<std::uint64_t>(use / 24.0 / 10.0);  // 0.01 kW
        const auto flow_lh = static_cast<std::uint64_t>(use / 24.0 / 23.26);  // l/h at 20 K
        r.sums = {{"t1", {core::Decimal{false, 144 * 6000, -2}, 144, true}},
                  {"t2", {core::Decimal{false, 144 * 4000, -2}, 144, true}},
                  {"tdif", {core::Decimal{false, 144 * 2000, -2}, 144, true}},
                  {"flow1", {core::Decimal{false, 144 * flow_lh, 0}, 144, true}},
                  {"effect1", {core::Decimal{false, 144 * power_cw, -2}, 144, true}}};
        ML_TRY(s.write_rollup(server::Period::day, r));
        ++n.rollups;
        e += use;
      }
      // The ledger: what was used since installation plus the credit wanted.
      const double pick = fleet_uniform(i, 3);
      const double left_days = pick < 0.03   ? -0.5
                               : pick < 0.08 ? 0.5 + 2.5 * fleet_uniform(i, 4)
                               : pick < 0.15 ? 3.0 + 4.0 * fleet_uniform(i, 4)
                                             : 7.0 + 173.0 * fleet_uniform(i, 4);
      const std::int64_t used = fleet_energy_wh_at(o, i, o.now) - e0;
      const auto want = static_cast<std::int64_t>(static_cast<double>(used) +
                                                  left_days * fleet_day_use_wh(i, today));
      // kWh = amount / 1.25: amount in cents = Wh x 1.25 / 10.
      const std::int64_t cents = std::max<std::int64_t>(200, want / 8);
      const std::int64_t first_cents = cents * 6 / 10;
      const std::pair<std::int64_t, std::int64_t> entries[] = {
          {first * 86400 + 3600, first_cents},
          {o.now - (1 + static_cast<std::int64_t>(29 * fleet_uniform(i, 5))) * 86400,
           cents - first_cents}};
      for (const auto& [time, amount] : entries) {
        server::Payment p;
        p.serial = m.serial;
        p.time = time;
        p.amount = core::Decimal{false, static_cast<std::uint64_t>(amount), -2};
        p.price = core::Decimal{false, 125, -2};
        p.note = "bank transfer";
        auto id = s.insert_payment(p);
        if (!id) return id.error();
        ++n.payments;
      }
      if (o.contacts) {
        ML_TRY(s.set_meter_contact(m.serial,
                                   {"Customer " + m.serial, "m" + m.serial + "@example.org", ""}));
      }
    }
    return core::Ok{};
  });
  if (!st) return st.error();
  return n;
}

}  // namespace ml::bench
