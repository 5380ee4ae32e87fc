// The emulated heating installation behind every heat-meter emulator: supply and return
// temperatures and the flow follow the time of day (deterministic functions of simulated time and
// the seed), the power follows from flow x (T1 - T2), and energy, volume and the operating time
// integrate over simulated time. Pure: no clock, no I/O; the caller passes simulated time.
// Opt-in seasons (InstallationConfig::seasonal_amplitude_pm, off by default): the flow, and so
// the heat demand, follows the day of the year, highest in mid-January, lowest in mid-July.
//
// Every quantity is an integer in a small exact unit, so every value shown or sent is exact:
//   energy mWh (1e-6 kWh), volume ml (1e-6 m3), operating time 0.1 s, temperatures 0.01 C,
//   flow l/h, power W, E8/E9 1e-8 m3 x C.
// The meter integrates in periods of kPeriodMs = 3.6 s of simulated time. A period at power P W
// adds exactly P mWh of energy (P W x 3.6 s); at flow F l/h it adds exactly F ml of volume.
#pragma once

#include <cstdint>
#include <optional>

namespace ml::sim {

inline constexpr std::int64_t kPeriodMs = 3600;

// Heat coefficient used for the power: 1.163 kWh per m3 and kelvin (water near 50 C), i.e.
// power W = flow l/h x tdif K x 1.163.
inline constexpr std::uint64_t kHeatCoefficientMilli = 1163;

struct Instant {
  std::int32_t t1_cc = 0;    // flow (supply) temperature, 0.01 C
  std::int32_t t2_cc = 0;    // return temperature
  std::int32_t t3_cc = 0;    // third sensor (cold water / outdoor)
  std::int32_t t4_cc = 0;    // fourth sensor (room)
  std::int32_t tdif_cc = 0;  // exactly t1 - t2
  std::uint32_t flow_lph = 0;
  std::uint32_t power_w = 0;
  std::uint32_t p1_dbar = 0;  // pressures in 0.1 bar
  std::uint32_t p2_dbar = 0;
  bool operator==(const Instant&) const = default;
};

struct Totals {
  std::uint64_t energy_mwh = 0;
  std::uint64_t volume_ml = 0;
  std::uint64_t operating_ds = 0;
  std::uint64_t e8 = 0;  // sum of volume x T1, 1e-8 m3 x C
  std::uint64_t e9 = 0;  // sum of volume x T2
  std::uint64_t periods = 0;
  // Peaks since the start, with the simulated time they happened.
  std::uint32_t max_flow_lph = 0, min_flow_lph = 0, max_power_w = 0, min_power_w = 0;
  std::int64_t max_flow_ms = 0, min_flow_ms = 0, max_power_ms = 0, min_power_ms = 0;
  // Sums for the average temperatures.
  std::int64_t t1_sum_cc = 0, t2_sum_cc = 0;
  bool operator==(const Totals&) const = default;
};

struct InstallationConfig {
  std::uint64_t seed = 1;
  std::int64_t start_ms = 0;  // simulated start, Unix ms
  std::uint64_t energy_mwh = 0;
  std::uint64_t volume_ml = 0;
  std::uint64_t operating_ds = 0;
  // Seasons, per mille (0: off, the default; at most kMaxSeasonalAmplitudePm): the flow is
  // multiplied by 1 + A x cos(2 pi (day of year - 14) / 365.2425), so 800 gives x1.8 in
  // mid-January and x0.2 in mid-July.
  std::int32_t seasonal_amplitude_pm = 0;
};

inline constexpr std::int32_t kMaxSeasonalAmplitudePm = 1000;

// The seasonal factor, per mille, for a UTC day number (days since 1970-01-01) and an
// amplitude: 1000 + amplitude x cos(...) as above, from a table of the cosine every month,
// linearly interpolated in integers.
std::int32_t seasonal_factor_pm(std::int64_t day, std::int32_t amplitude_pm);

// Values fixed by the user (control socket); unset ones follow the daily profile.
struct Overrides {
  std::optional<std::int32_t> t1_cc, t2_cc;
  std::optional<std::uint32_t> flow_lph;
  std::optional<std::uint32_t> power_w;
  bool any() const { return t1_cc || t2_cc || flow_lph || power_w; }
};

class Installation {
 public:
  explicit Installation(const InstallationConfig& config);

  // Integrates every whole period that ends at or before sim_ms. Earlier times are ignored.
  void advance_to(std::int64_t sim_ms);
  // The time reached by advance_to.
  std::int64_t time_ms() const { return time_ms_; }

  // The instantaneous values at sim_ms (profile + overrides); no state change.
  Instant instant_at(std::int64_t sim_ms) const;
  Instant instant() const { return instant_at(time_ms_); }
  const Totals& totals() const { return totals_; }
  const Overrides& overrides() const { return overrides_; }
  std::uint64_t seed() const { return seed_; }

  void set_overrides(const Overrides& o) { overrides_ = o; }
  void set_energy_mwh(std::uint64_t v) { totals_.energy_mwh = v; }
  void set_volume_ml(std::uint64_t v) { totals_.volume_ml = v; }
  void set_operating_ds(std::uint64_t v) { totals_.operating_ds = v; }

  // The daily profile alone (no overrides), for tests and documentation.
  std::int32_t profile_t1(std::int64_t sim_ms) const;
  std::int32_t profile_t2(std::int64_t sim_ms) const;
  std::uint32_t profile_flow(std::int64_t sim_ms) const;

 private:
  void integrate_period(std::int64_t period_start_ms);

  std::uint64_t seed_;
  std::int64_t time_ms_;
  std::int64_t next_boundary_ms_;
  Totals totals_;
  Overrides overrides_;
  // Per-installation constants drawn from the seed.
  std::int32_t t1_base_cc_, t2_base_cc_;
  std::uint32_t flow_min_lph_, flow_span_lph_;
  std::int32_t seasonal_amplitude_pm_;
};

// Power in W for a flow and a temperature difference (0 when tdif <= 0), rounded half up.
std::uint32_t heat_power_w(std::uint32_t flow_lph, std::int32_t tdif_cc);

}  // namespace ml::sim
