// The KMP unit table: every unit code 0x00–0x40 with its text, physical quantity and the exact
// factor to the quantity's base unit. One table; the decoder, the sample text, the JSON output and
// the server's normalisation all read it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

namespace ml::core::kmp {

enum class Quantity : std::uint8_t {
  none,    // plain number
  energy,  // base kWh
  reactive_energy,
  apparent_energy,
  power,  // base kW
  reactive_power,
  apparent_power,
  voltage,
  current,
  temperature,             // °C
  temperature_difference,  // K
  volume,                  // base m3
  flow,                    // volume per hour
  volume_temperature,      // m3 x °C (E8/E9 registers)
  mass,                    // ton
  mass_flow,               // ton/h
  duration,                // base h
  clock,                   // hh:mm:ss as a number
  date,                    // yy:mm:dd / yyyy:mm:dd / mm:dd as a number
  pressure,                // bar
  bitfield,
  text,
};

std::string_view quantity_name(Quantity q);

struct Unit {
  std::uint8_t code;
  std::string_view text;  // as written in JSON and in the v2 sample text ("MWh", "m3", "C")
  Quantity quantity;
  // value_in_base = value x factor_num / factor_den (exact rational; base: kWh, m3, kW, h, ...).
  // 0/0 when the unit has no base conversion (dates, text, counts).
  std::uint64_t factor_num;
  std::uint64_t factor_den;
};

inline constexpr std::uint8_t kMaxUnitCode = 0x40;

// The entry for a unit code, or nullopt for codes above 0x40.
std::optional<Unit> unit_by_code(std::uint8_t code);
// Looks a unit up by its text (exact match; the original's "Gj" is accepted for GJ).
std::optional<Unit> unit_by_text(std::string_view text);
// All 65 entries, in code order.
std::span<const Unit> all_units();

}  // namespace ml::core::kmp
