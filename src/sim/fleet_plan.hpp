// The plan of a fleet of virtual devices (`meterlogger sim fleet`, docs/emulators.md, "A fleet of
// devices"): which failure class each device has, when in the interval it publishes, which
// installation stands behind its meter, and which devices the publish log follows.
//
// Contract: deterministic. The same seed, count and shares give the same plan on every machine
// and in every run, and a device's plan depends on its index alone (never on the others), so a
// load test that went wrong can be run again exactly, and a test can ask the plan which device is
// which (`sim fleet --plan`). Pure: no clock, no I/O.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

#include "core/envelope/envelope.hpp"
#include "core/result.hpp"
#include "sim/installation.hpp"

namespace ml::sim {

// What is wrong with a device, if anything. One class per device.
enum class FleetClass : std::uint8_t { normal, dead, silent, wrong_key, skewed };

struct FleetClassInfo {
  FleetClass cls;
  std::string_view name;
  std::string_view description;
};

// The classes, in the order the shares are drawn (a device is the first class whose cumulative
// share its draw falls under; normal takes the rest).
inline constexpr std::array<FleetClassInfo, 5> kFleetClasses{{
    {FleetClass::normal, "normal", "publishes a sample every interval and answers commands"},
    {FleetClass::dead, "dead", "never connects (a device without power or network)"},
    {FleetClass::silent, "silent",
     "connected and answering commands, but its meter gives no samples"},
    {FleetClass::wrong_key, "wrong_key",
     "seals with a key the server does not have, and so cannot open its commands either"},
    {FleetClass::skewed, "skewed", "its clock is off by the --clock-skew seconds"},
}};

constexpr bool fleet_classes_in_order() {
  for (std::size_t i = 0; i < kFleetClasses.size(); ++i) {
    if (static_cast<std::size_t>(kFleetClasses[i].cls) != i) return false;
  }
  return true;
}
static_assert(fleet_classes_in_order(), "kFleetClasses is indexed by FleetClass");

std::string_view fleet_class_name(FleetClass cls);

// The share of devices in each failure class (0 .. 1 each, at most 1 together).
struct FleetShares {
  double dead = 0;
  double silent = 0;
  double wrong_key = 0;
  double skewed = 0;
  std::int64_t skew_s = 0;  // a skewed device's clock: wall clock + skew_s (may be negative)
};

inline constexpr std::int64_t kMaxClockSkewSeconds = 10LL * 365 * 86400;

// invalid_argument naming the option when a share is not within 0 .. 1, they add up to more than
// 1, or the skew is beyond ten years.
core::Status check_shares(const FleetShares& shares);

// The class of device `index` (0-based): one uniform draw from (seed, index).
FleetClass fleet_class(std::uint64_t seed, std::uint64_t index, const FleetShares& shares);

// When in each interval device `index` of `count` publishes, in ms after the interval starts:
// evenly spread, index x interval / count, so the broker and the server see a steady stream
// rather than all devices at once.
std::int64_t fleet_phase_ms(std::uint64_t index, std::uint64_t count, std::int64_t interval_ms);

// The installation behind device `index`, starting at simulated time `start_ms`: its own profile
// seed and starting registers (5 000 .. 50 000 kWh, 100 .. 1 000 m3, 1 .. 10 years of operating
// hours), with seasons of `seasons_pm` (installation.hpp).
InstallationConfig fleet_installation(std::uint64_t seed, std::uint64_t index,
                                      std::int64_t start_ms, std::int32_t seasons_pm);

// The key a wrong_key device seals with: drawn from (seed, index), never `real`.
core::envelope::MasterKey fleet_wrong_key(std::uint64_t seed, std::uint64_t index,
                                          const core::envelope::MasterKey& real);

// Whether device `index` is one of the share (0 .. 1) the publish log follows.
bool fleet_logged(std::uint64_t seed, std::uint64_t index, double share);

}  // namespace ml::sim
