// S0 pulse meters (docs/agent.md, "Pulse meters"): the pulse-width filter applied to input edges,
// and the exact totals and rates a pulse count stands for. Pure: edge times and clocks are passed
// in.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::core::pulse {

enum class Edge : std::uint8_t { falling, rising };

// One edge as delivered by the input (libgpiod or the emulator): the S0 output pulls the input
// low for the duration of a pulse, so a falling edge starts a pulse and a rising edge ends it.
struct EdgeEvent {
  Edge edge;
  std::uint64_t time_ns;  // monotonic clock
};

// Parses one line of the emulator's edge protocol: "rising <ns>" or "falling <ns>".
Result<EdgeEvent> parse_edge_line(std::string_view line);

// Turns edges into counted pulses. With the width filter a pulse counts only when
// min < width < max (80–120 ms for S0 electricity meters, docs/agent.md); without it (water meters)
// every falling edge after the line was settled high counts. Bounce (edges less than 10 ms apart)
// never counts twice and never hides a pulse.
class PulseFilter {
 public:
  PulseFilter(bool width_filter, std::uint32_t min_ms, std::uint32_t max_ms);

  // True when this edge completes a counted pulse.
  bool on_edge(const EdgeEvent& e);

  std::uint64_t rejected() const { return rejected_; }

 private:
  bool width_filter_;
  std::uint64_t min_ns_;
  std::uint64_t max_ns_;
  std::optional<std::uint64_t> fall_ns_;
  std::optional<std::uint64_t> last_rise_ns_;
  std::uint64_t last_counted_ns_ = 0;
  bool counted_any_ = false;
  std::uint64_t rejected_ = 0;
};

// The totals a pulse count represents: base + count / pulses_per_unit, in kWh (electricity) or
// m3 (water). Exact as a rational; the sample text shows 3 decimals rounded down, so a published
// total never exceeds what was counted and never goes back.
struct PulseTotals {
  Decimal base;             // the reading when counting started (kWh or m3)
  std::uint64_t count = 0;  // pulses since then
  std::uint32_t per_unit = 1000;

  // base + count / per_unit, rounded down to 3 decimals (Wh or litres).
  Result<Decimal> total() const;
};

// Average rate between two readings of the counter, rounded down: power in kW with 3 decimals
// (electricity: pulses per kWh) or flow in l/h as an integer (water: pulses per m3).
Result<Decimal> average_power_kw(std::uint64_t pulses, std::uint64_t elapsed_ms,
                                 std::uint32_t per_kwh);
Result<Decimal> average_flow_lh(std::uint64_t pulses, std::uint64_t elapsed_ms,
                                std::uint32_t per_m3);

}  // namespace ml::core::pulse
