// The samples of sim::backfill: the installation run twice over the period, once to learn how much
// energy and volume it uses, then from end minus that, reading the sample registers at each
// sample time through the KMP meter model.
#include "sim/backfill.hpp"

#include <array>

#include "core/kmp/registers.hpp"
#include "core/sample/sample.hpp"

namespace ml::sim {
namespace {

constexpr std::uint64_t kHeap = 21376;  // a typical free-heap value of the original firmware

Totals totals_over(const BackfillConfig& c, std::uint64_t energy_mwh, std::uint64_t volume_ml) {
  Installation run(InstallationConfig{c.seed, c.from * 1000, energy_mwh, volume_ml, 0});
  run.advance_to(c.to * 1000);
  return run.totals();
}

}  // namespace

core::sample::Reading kmp_sample_reading(const KmpMeter& meter, const HeatState& state) {
  std::vector<core::kmp::RegisterValue> registers;
  for (const std::uint16_t id : core::kmp::sample_registers()) {
    if (auto v = meter.value(id, state)) registers.push_back(*v);
  }
  return core::sample::reading_from_kmp(registers);
}

core::Result<std::vector<BackfillSample>> backfill(const BackfillConfig& c) {
  using core::Errc;
  if (c.every_s < 1) return core::make_error(Errc::invalid_argument, "every: at least 1 s");
  if (c.to < c.from) return core::make_error(Errc::invalid_argument, "from: after to");
  const auto count = static_cast<std::uint64_t>((c.to - c.from) / c.every_s) + 1;
  if (count > kMaxBackfillSamples) {
    return core::make_error(Errc::invalid_argument, std::to_string(count) + " samples: at most " +
                                                        std::to_string(kMaxBackfillSamples) +
                                                        " (a longer interval or a shorter period)");
  }
  const Totals used = totals_over(c, 0, 0);
  if (used.energy_mwh > c.end_energy_mwh || used.volume_ml > c.end_volume_ml) {
    return core::make_error(Errc::invalid_argument,
                            "end energy/volume: the installation uses " +
                                std::to_string(used.energy_mwh / 1000000) + " kWh and " +
                                std::to_string(used.volume_ml / 1000000) +
                                " m3 over the period; give at least that much");
  }
  KmpMeter meter(KmpMeterConfig{c.model, c.serial, std::nullopt, 0});
  Installation run(InstallationConfig{c.seed, c.from * 1000, c.end_energy_mwh - used.energy_mwh,
                                      c.end_volume_ml - used.volume_ml, 0});
  std::vector<BackfillSample> out;
  out.reserve(static_cast<std::size_t>(count));  // at most kMaxBackfillSamples
  for (std::int64_t t = c.from; t <= c.to; t += c.every_s) {
    run.advance_to(t * 1000);
    auto reading =
        kmp_sample_reading(meter, HeatState{t * 1000, run.instant_at(t * 1000), run.totals()});
    reading.serial = std::to_string(c.serial);
    reading.time = t;
    reading.heap = kHeap;
    auto text = core::sample::format_sample(reading);
    if (!text) return text.error();
    out.push_back(BackfillSample{t, std::move(*text)});
  }
  return out;
}

}  // namespace ml::sim
