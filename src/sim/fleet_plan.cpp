// The fleet's plan (fleet_plan.hpp).
#include "sim/fleet_plan.hpp"

#include <cmath>
#include <string>

#include "sim/rng.hpp"

namespace ml::sim {

std::string_view fleet_class_name(FleetClass cls) {
  return kFleetClasses[static_cast<std::size_t>(cls)].name;
}

core::Status check_shares(const FleetShares& s) {
  const std::pair<const char*, double> shares[] = {{"--dead", s.dead},
                                                   {"--silent", s.silent},
                                                   {"--wrong-key", s.wrong_key},
                                                   {"--clock-skew", s.skewed}};
  double total = 0;
  for (const auto& [name, share] : shares) {
    if (!(share >= 0 && share <= 1)) {
      return core::make_error(
          core::Errc::invalid_argument,
          std::string(name) + ": a share from 0 to 1, not " + std::to_string(share));
    }
    total += share;
  }
  if (total > 1 + 1e-12) {
    return core::make_error(core::Errc::invalid_argument,
                            "the failure shares add up to " + std::to_string(total) +
                                " (at most 1: each device has one class)");
  }
  if (s.skew_s > kMaxClockSkewSeconds || s.skew_s < -kMaxClockSkewSeconds) {
    return core::make_error(core::Errc::invalid_argument,
                            "--clock-skew: at most ten years either way");
  }
  return core::Ok{};
}

FleetClass fleet_class(std::uint64_t seed, std::uint64_t index, const FleetShares& s) {
  const double u = stream(seed, index, Stream::fleet_class).unit();
  const std::pair<FleetClass, double> drawn[] = {{FleetClass::dead, s.dead},
                                                 {FleetClass::silent, s.silent},
                                                 {FleetClass::wrong_key, s.wrong_key},
                                                 {FleetClass::skewed, s.skewed}};
  double below = 0;
  for (const auto& [cls, share] : drawn) {
    below += share;
    if (u < below) return cls;
  }
  return FleetClass::normal;
}

std::int64_t fleet_phase_ms(std::uint64_t index, std::uint64_t count, std::int64_t interval_ms) {
  if (count == 0 || interval_ms <= 0) return 0;
  // index < count and interval_ms < 2^31 x 1000 keep the product far below 2^63.
  return static_cast<std::int64_t>((index % count) * static_cast<std::uint64_t>(interval_ms) /
                                   count);
}

InstallationConfig fleet_installation(std::uint64_t seed, std::uint64_t index,
                                      std::int64_t start_ms, std::int32_t seasons_pm) {
  Rng rng = stream(seed, index, Stream::fleet_profile);
  InstallationConfig c;
  c.seed = rng.next();
  c.start_ms = start_ms;
  c.energy_mwh = (5'000 + rng.below(45'001)) * 1'000'000 + rng.below(1'000'000);
  c.volume_ml = (100 + rng.below(901)) * 1'000'000 + rng.below(1'000'000);
  c.operating_ds = (8760 + rng.below(9 * 8760 + 1)) * 36'000;
  c.seasonal_amplitude_pm = seasons_pm;
  return c;
}

core::envelope::MasterKey fleet_wrong_key(std::uint64_t seed, std::uint64_t index,
                                          const core::envelope::MasterKey& real) {
  Rng rng = stream(seed, index, Stream::fleet_key);
  core::envelope::MasterKey key{};
  do {
    for (auto& b : key)
      b = rng.byte();
  } while (key == real);
  return key;
}

bool fleet_logged(std::uint64_t seed, std::uint64_t index, double share) {
  return stream(seed, index, Stream::fleet_log).chance(share);
}

}  // namespace ml::sim
