#include "core/pulse/pulse.hpp"

#include <charconv>

#include "core/uint128.hpp"

namespace ml::core::pulse {
namespace {

using U128 = core::U128;

// floor(numerator / denominator) as a Decimal with `decimals` fraction digits.
Result<Decimal> floor_ratio(U128 numerator, U128 denominator, int decimals) {
  if (denominator == 0) return make_error(Errc::invalid_argument, "division by zero");
  U128 scale = 1;
  for (int i = 0; i < decimals; ++i)
    scale *= 10;
  const U128 q = numerator * scale / denominator;
  if (q > ~std::uint64_t{0}) return make_error(Errc::decimal_overflow, "value too large");
  return Decimal{false, static_cast<std::uint64_t>(q), -decimals};
}

}  // namespace

Result<EdgeEvent> parse_edge_line(std::string_view line) {
  if (line.size() > 64) return make_error(Errc::invalid_argument, "edge line too long");
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  EdgeEvent e{};
  std::string_view rest;
  if (line.rfind("rising ", 0) == 0) {
    e.edge = Edge::rising;
    rest = line.substr(7);
  } else if (line.rfind("falling ", 0) == 0) {
    e.edge = Edge::falling;
    rest = line.substr(8);
  } else {
    return make_error(Errc::invalid_argument, "edge line must start with rising or falling");
  }
  const auto [end, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), e.time_ns);
  if (ec != std::errc() || end != rest.data() + rest.size() || rest.empty()) {
    return make_error(Errc::invalid_argument, "edge time must be a decimal number of ns");
  }
  return e;
}

PulseFilter::PulseFilter(bool width_filter, std::uint32_t min_ms, std::uint32_t max_ms)
    : width_filter_(width_filter),
      min_ns_(std::uint64_t{min_ms} * 1000000),
      max_ns_(std::uint64_t{max_ms} * 1000000) {}

bool PulseFilter::on_edge(const EdgeEvent& e) {
  // Edges closer than this to the previous one are contact bounce.
  constexpr std::uint64_t kBounceNs = 10000000;
  if (!width_filter_) {
    // No width check: a falling edge counts when the line had been high for longer than
    // bounce lasts (and not right after another counted edge).
    if (e.edge == Edge::rising) {
      last_rise_ns_ = e.time_ns;
      return false;
    }
    const bool settled_high = !last_rise_ns_ || e.time_ns - *last_rise_ns_ >= kBounceNs;
    const bool apart = !counted_any_ || e.time_ns - last_counted_ns_ >= kBounceNs;
    if (!settled_high || !apart) return false;
    counted_any_ = true;
    last_counted_ns_ = e.time_ns;
    return true;
  }
  if (e.edge == Edge::falling) {
    // A falling edge right after the start of the pulse is bounce; a later one while a pulse
    // seems to be in progress means its end was missed (or was bounce): start afresh.
    if (!fall_ns_ || e.time_ns - *fall_ns_ >= kBounceNs) fall_ns_ = e.time_ns;
    return false;
  }
  if (!fall_ns_) return false;  // a rising edge without a pulse (start-up)
  const std::uint64_t width = e.time_ns - *fall_ns_;
  if (width < kBounceNs) return false;  // bounce at the start of the pulse
  fall_ns_.reset();
  if (width <= min_ns_ || width >= max_ns_) {
    ++rejected_;
    return false;
  }
  return true;
}

Result<Decimal> PulseTotals::total() const {
  if (per_unit == 0) return make_error(Errc::invalid_argument, "pulses per unit is 0");
  // base (exact) + floor(count / per_unit, 3 decimals) would round twice; do it in one go:
  // floor((base * per_unit + count) / per_unit) at 3 decimals.
  auto base3 = base.multiplied(1, 1, 3);
  if (!base3) return base3.error();
  if (base3->negative) return make_error(Errc::invalid_argument, "base reading is negative");
  // base3 = m * 10^e with e >= -3: bring it to thousandths.
  U128 base_milli = base3->mantissa;
  for (int e = base3->exponent; e > -3; --e)
    base_milli *= 10;
  const U128 numerator = base_milli * per_unit + U128{count} * 1000;
  return floor_ratio(numerator, U128{per_unit} * 1000, 3);
}

Result<Decimal> average_power_kw(std::uint64_t pulses, std::uint64_t elapsed_ms,
                                 std::uint32_t per_kwh) {
  if (elapsed_ms == 0) return make_error(Errc::invalid_argument, "no time has passed");
  // kW = pulses / per_kwh [kWh] / (elapsed_ms / 3 600 000) [h]
  return floor_ratio(U128{pulses} * 3600000, U128{per_kwh} * elapsed_ms, 3);
}

Result<Decimal> average_flow_lh(std::uint64_t pulses, std::uint64_t elapsed_ms,
                                std::uint32_t per_m3) {
  if (elapsed_ms == 0) return make_error(Errc::invalid_argument, "no time has passed");
  // l/h = pulses / per_m3 * 1000 [l] / (elapsed_ms / 3 600 000) [h]
  return floor_ratio(U128{pulses} * 3600000 * 1000, U128{per_m3} * elapsed_ms, 0);
}

}  // namespace ml::core::pulse
