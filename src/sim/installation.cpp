#include "sim/installation.hpp"

#include <algorithm>

#include "sim/rng.hpp"

namespace ml::sim {
namespace {

constexpr std::int64_t kHourMs = 3'600'000;

// Heat demand over the day, per mille, one point per hour (night low, morning and evening peaks).
constexpr std::int32_t kDemand[24] = {300, 280, 270, 270, 300, 450, 800, 950, 850, 650, 550, 500,
                                      480, 470, 480, 520, 620, 800, 900, 850, 700, 550, 420, 340};

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

// A deterministic value in [-100, 100] for (seed, hour, channel).
std::int32_t noise(std::uint64_t seed, std::int64_t hour, std::uint64_t channel) {
  Rng rng(stream_id(seed, static_cast<std::uint64_t>(hour), 0x100 + channel));
  return static_cast<std::int32_t>(rng.below(201)) - 100;
}

std::int32_t demand(std::uint64_t seed, std::int64_t hour) {
  const auto hod = static_cast<std::size_t>(((hour % 24) + 24) % 24);
  return std::clamp(kDemand[hod] + noise(seed, hour, 0) / 2, 0, 1000);
}

// Linear interpolation of f(hour) between whole hours, in integers.
template <class F>
std::int64_t hourly(std::int64_t sim_ms, F f) {
  const std::int64_t h = floor_div(sim_ms, kHourMs);
  const std::int64_t frac = sim_ms - h * kHourMs;
  const std::int64_t a = f(h);
  const std::int64_t b = f(h + 1);
  return a + floor_div((b - a) * frac, kHourMs);
}

// Keeps the highest (`higher`) or lowest value of a period and when that period started; the
// first period always counts.
void keep_peak(bool first, std::uint32_t value, bool higher, std::uint32_t& peak,
               std::int64_t& peak_ms, std::int64_t period_start_ms) {
  if (first || (higher ? value > peak : value < peak)) {
    peak = value;
    peak_ms = period_start_ms;
  }
}

// cos(2 pi m / 12) x 1000 for m = 0 .. 12.
constexpr std::int64_t kMonthlyCosine[13] = {1000, 866,  500, 0,   -500, -866, -1000,
                                             -866, -500, 0,   500, 866,  1000};

}  // namespace

std::int32_t seasonal_factor_pm(std::int64_t day, std::int32_t amplitude_pm) {
  if (amplitude_pm == 0) return 1000;
  // The position in the year from mid-January (day 14 of 1970), in 1e-4 days of a mean
  // Gregorian year of 365.2425 days.
  constexpr std::int64_t kYear = 3'652'425;
  std::int64_t p = (day - 14) * 10'000 % kYear;
  if (p < 0) p += kYear;
  const std::int64_t month = p * 12 / kYear;         // 0 .. 11
  const std::int64_t rest = p * 12 - month * kYear;  // 0 .. kYear - 1
  const std::int64_t a = kMonthlyCosine[month];
  const std::int64_t b = kMonthlyCosine[month + 1];
  const std::int64_t cosine = a + (b - a) * rest / kYear;
  return static_cast<std::int32_t>(std::max<std::int64_t>(0, 1000 + amplitude_pm * cosine / 1000));
}

std::uint32_t heat_power_w(std::uint32_t flow_lph, std::int32_t tdif_cc) {
  if (tdif_cc <= 0) return 0;
  // flow [l/h] x tdif [0.01 K] x 1.163 [Wh/(l K)] = W x 1e5 / 1e5
  const std::uint64_t num =
      std::uint64_t{flow_lph} * static_cast<std::uint64_t>(tdif_cc) * kHeatCoefficientMilli;
  return static_cast<std::uint32_t>((num + 50'000) / 100'000);
}

Installation::Installation(const InstallationConfig& config)
    : seed_(config.seed),
      time_ms_(config.start_ms),
      next_boundary_ms_(config.start_ms + kPeriodMs),
      seasonal_amplitude_pm_(std::clamp(config.seasonal_amplitude_pm, 0, kMaxSeasonalAmplitudePm)) {
  totals_.energy_mwh = config.energy_mwh;
  totals_.volume_ml = config.volume_ml;
  totals_.operating_ds = config.operating_ds;
  Rng rng(stream_id(seed_, 0, static_cast<std::uint64_t>(Stream::profile)));
  t1_base_cc_ = 6500 + static_cast<std::int32_t>(rng.below(701));  // 65.00 .. 72.00 C
  t2_base_cc_ = 3500 + static_cast<std::int32_t>(rng.below(501));  // 35.00 .. 40.00 C
  flow_min_lph_ = 60 + static_cast<std::uint32_t>(rng.below(41));  // 60 .. 100 l/h at night
  flow_span_lph_ = 300 + static_cast<std::uint32_t>(rng.below(101));
}

std::int32_t Installation::profile_t1(std::int64_t sim_ms) const {
  return static_cast<std::int32_t>(hourly(sim_ms, [&](std::int64_t h) {
    return t1_base_cc_ + demand(seed_, h) * 800 / 1000 + noise(seed_, h, 1) * 2;
  }));
}

std::int32_t Installation::profile_t2(std::int64_t sim_ms) const {
  return static_cast<std::int32_t>(hourly(sim_ms, [&](std::int64_t h) {
    return t2_base_cc_ + demand(seed_, h) * 400 / 1000 + noise(seed_, h, 2) * 2;
  }));
}

std::uint32_t Installation::profile_flow(std::int64_t sim_ms) const {
  return static_cast<std::uint32_t>(hourly(sim_ms, [&](std::int64_t h) {
    const std::int64_t flow = static_cast<std::int64_t>(flow_min_lph_) +
                              std::int64_t{demand(seed_, h)} * flow_span_lph_ / 1000;
    if (seasonal_amplitude_pm_ == 0) return flow;  // the default: exactly as without seasons
    return flow * seasonal_factor_pm(floor_div(h, 24), seasonal_amplitude_pm_) / 1000;
  }));
}

Instant Installation::instant_at(std::int64_t sim_ms) const {
  Instant v;
  v.t1_cc = overrides_.t1_cc ? *overrides_.t1_cc : profile_t1(sim_ms);
  v.t2_cc = overrides_.t2_cc ? *overrides_.t2_cc : profile_t2(sim_ms);
  v.tdif_cc = v.t1_cc - v.t2_cc;
  v.t3_cc = static_cast<std::int32_t>(
      hourly(sim_ms, [&](std::int64_t h) { return 1000 + noise(seed_, h, 3) * 2; }));
  v.t4_cc = static_cast<std::int32_t>(
      hourly(sim_ms, [&](std::int64_t h) { return 2100 + noise(seed_, h, 4); }));
  if (overrides_.power_w) {
    v.power_w = *overrides_.power_w;
    if (overrides_.flow_lph) {
      v.flow_lph = *overrides_.flow_lph;
    } else if (v.tdif_cc > 0) {
      // The flow that gives this power at this temperature difference, rounded.
      const std::uint64_t den = static_cast<std::uint64_t>(v.tdif_cc) * kHeatCoefficientMilli;
      v.flow_lph = static_cast<std::uint32_t>((std::uint64_t{v.power_w} * 100'000 + den / 2) / den);
    }
  } else {
    v.flow_lph = overrides_.flow_lph ? *overrides_.flow_lph : profile_flow(sim_ms);
    v.power_w = heat_power_w(v.flow_lph, v.tdif_cc);
  }
  v.p1_dbar = 60;
  v.p2_dbar = 25;
  return v;
}

void Installation::integrate_period(std::int64_t period_start_ms) {
  const Instant v = instant_at(period_start_ms);
  Totals& t = totals_;
  t.energy_mwh += v.power_w;  // P W x 3.6 s = P mWh
  t.volume_ml += v.flow_lph;  // F l/h x 3.6 s = F ml
  t.operating_ds += kPeriodMs / 100;
  t.e8 += std::uint64_t{v.flow_lph} * static_cast<std::uint64_t>(std::max(v.t1_cc, 0));
  t.e9 += std::uint64_t{v.flow_lph} * static_cast<std::uint64_t>(std::max(v.t2_cc, 0));
  t.t1_sum_cc += v.t1_cc;
  t.t2_sum_cc += v.t2_cc;
  const bool first = t.periods == 0;
  keep_peak(first, v.flow_lph, true, t.max_flow_lph, t.max_flow_ms, period_start_ms);
  keep_peak(first, v.flow_lph, false, t.min_flow_lph, t.min_flow_ms, period_start_ms);
  keep_peak(first, v.power_w, true, t.max_power_w, t.max_power_ms, period_start_ms);
  keep_peak(first, v.power_w, false, t.min_power_w, t.min_power_ms, period_start_ms);
  ++t.periods;
}

void Installation::advance_to(std::int64_t sim_ms) {
  while (next_boundary_ms_ <= sim_ms) {
    integrate_period(next_boundary_ms_ - kPeriodMs);
    next_boundary_ms_ += kPeriodMs;
  }
  time_ms_ = std::max(time_ms_, sim_ms);
}

}  // namespace ml::sim
