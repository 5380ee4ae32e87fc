// History for an emulated KMP heat meter: the v2 sample texts a device would have published every
// `every_s` seconds over a past period, from the same installation model and register formats as
// the KMP emulator (installation.hpp, kmp_meter.hpp). `meterlogger sim backfill` seals and
// publishes them so a demo or a test starts with weeks of data behind it (docs/emulators.md).
//
// Contract: samples at from, from + every_s, ... up to and including `to`; the energy register
// ends at exactly `end_energy_mwh` at `to` (the installation starts at end minus what it uses over
// the period), so an emulator started afterwards with that energy continues the history without
// a step. Deterministic for a seed. Bounded: at most kMaxBackfillSamples samples. Pure: no clock,
// no I/O.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/sample/sample.hpp"
#include "sim/kmp_meter.hpp"

namespace ml::sim {

inline constexpr std::size_t kMaxBackfillSamples = 200'000;

struct BackfillConfig {
  KmpModel model = KmpModel::mc601;
  std::uint32_t serial = 0;
  std::uint64_t seed = 1;
  std::int64_t from = 0;  // unix seconds
  std::int64_t to = 0;
  std::int64_t every_s = 600;
  std::uint64_t end_energy_mwh = 0;  // the energy register at `to`, 1e-6 kWh
  std::uint64_t end_volume_ml = 0;   // the volume register at `to`, 1e-6 m3
};

struct BackfillSample {
  std::int64_t time = 0;  // the topic time
  std::string text;       // "heap=...&t1=...&...&"
};

core::Result<std::vector<BackfillSample>> backfill(const BackfillConfig& config);

// The reading behind one sample: the sample registers (core::kmp::sample_registers) as `meter`
// reports them for `state`. Serial, time and heap are the caller's. Backfill and the virtual
// devices of `sim fleet` (fleet_device.hpp) build their samples with it.
core::sample::Reading kmp_sample_reading(const KmpMeter& meter, const HeatState& state);

}  // namespace ml::sim
