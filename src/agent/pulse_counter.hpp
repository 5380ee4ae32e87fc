// The count of one pulse meter (an S0 output on an input line; docs/agent.md, Pulse meters): the
// edges through the width filter (core::pulse::PulseFilter), the count and the calibration (the
// reading at zero pulses and the impulses per kWh, per m3 for water) kept in the agent's store,
// the operating time, and the reading each sample is made from (the exact total, the average
// power or flow since the previous sample). Saving policy: a change marks the count dirty; the
// caller saves it within a second (save_if_dirty) and on stop, so a crash loses at most the
// pulses of the last second. No input and no timer of its own: edges and times are passed in.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "agent/config.hpp"
#include "agent/store.hpp"
#include "core/decimal.hpp"
#include "core/pulse/pulse.hpp"
#include "core/result.hpp"
#include "core/sample/sample.hpp"

namespace ml::agent {

class PulseCounter {
 public:
  using Clock = std::chrono::steady_clock;

  // `name` prefixes the log lines; `kind` is pulse_electricity or pulse_water; `config` gives the
  // width filter and the impulses per unit until the setup page stores others; `now` is the wall
  // clock in unix seconds, for the store's change times.
  PulseCounter(Store& store, std::string name, core::sample::MeterKind kind,
               const PulseConfig& config, std::function<std::int64_t()> now);

  // The serial is known: the stored count, operating time, base reading and impulses per unit
  // are read (a damaged one is logged and the default kept). `at` starts the first sample's
  // interval.
  void load(const std::string& serial, Clock::time_point at);

  // An edge from the input: counted when it completes a pulse the filter accepts.
  void on_edge(const core::pulse::EdgeEvent& e);

  std::uint64_t count() const { return count_; }
  // Pulses counted since the count was last stored.
  bool dirty() const { return dirty_; }
  // Stores the count; on an error it stays dirty (and the error is returned).
  core::Status save();
  // Stores the count when it changed; errors are logged, the next call tries again.
  void save_if_dirty();

  // The reading at zero pulses ("0" until set) and the impulses per unit.
  const std::string& base() const { return base_; }
  std::uint32_t per_unit() const { return per_unit_; }
  // The setup page's pulse settings: stores them and starts the count again at 0 (as the
  // original's setup page does). A negative base or 0 impulses per unit is refused
  // (invalid_argument) and changes nothing.
  core::Status calibrate(const core::Decimal& base, std::uint32_t per_unit);

  // The reading of a sample taken at `at`: hr (operating hours) and, for electricity, e1 (kWh)
  // and effect1 (average kW since the previous sample), for water v1 (m3) and flow1 (l/h). The
  // operating time is stored. The next sample's averages start here.
  core::Result<core::sample::Reading> reading(Clock::time_point at);

 private:
  Store& store_;
  std::string name_;
  core::sample::MeterKind kind_;
  std::uint32_t configured_per_unit_;
  std::function<std::int64_t()> now_;
  core::pulse::PulseFilter filter_;
  std::string serial_;
  std::uint64_t count_ = 0;
  bool dirty_ = false;
  std::string base_ = "0";
  std::uint32_t per_unit_;
  std::int64_t operating_seconds_ = 0;
  std::uint64_t count_at_last_sample_ = 0;
  Clock::time_point last_sample_at_{};
};

}  // namespace ml::agent
