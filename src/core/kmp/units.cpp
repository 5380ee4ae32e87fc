#include "core/kmp/units.hpp"

#include <array>

namespace ml::core::kmp {
namespace {

using Q = Quantity;

// Conversions: 1 Wh = 1/1000 kWh; 1 J = 1/3 600 000 kWh; 1 cal (International Table) =
// 4.1868 J, so 1 Gcal = 1163 kWh exactly; 1 l = 1/1000 m3; x10 units count in tens.
// 0x15/0x16 are both kW and 0x19/0x1A both kvar in every published table (aliases).
constexpr std::array<Unit, kMaxUnitCode + 1> kUnits = {{
    {0x00, "", Q::none, 0, 0},
    {0x01, "Wh", Q::energy, 1, 1000},
    {0x02, "kWh", Q::energy, 1, 1},
    {0x03, "MWh", Q::energy, 1000, 1},
    {0x04, "GWh", Q::energy, 1000000, 1},
    {0x05, "J", Q::energy, 1, 3600000},
    {0x06, "kJ", Q::energy, 1, 3600},
    {0x07, "MJ", Q::energy, 10, 36},
    {0x08, "GJ", Q::energy, 10000, 36},
    {0x09, "cal", Q::energy, 1163, 1000000000},
    {0x0A, "kcal", Q::energy, 1163, 1000000},
    {0x0B, "Mcal", Q::energy, 1163, 1000},
    {0x0C, "Gcal", Q::energy, 1163, 1},
    {0x0D, "varh", Q::reactive_energy, 1, 1000},
    {0x0E, "kvarh", Q::reactive_energy, 1, 1},
    {0x0F, "Mvarh", Q::reactive_energy, 1000, 1},
    {0x10, "Gvarh", Q::reactive_energy, 1000000, 1},
    {0x11, "VAh", Q::apparent_energy, 1, 1000},
    {0x12, "kVAh", Q::apparent_energy, 1, 1},
    {0x13, "MVAh", Q::apparent_energy, 1000, 1},
    {0x14, "GVAh", Q::apparent_energy, 1000000, 1},
    {0x15, "kW", Q::power, 1, 1},
    {0x16, "kW", Q::power, 1, 1},
    {0x17, "MW", Q::power, 1000, 1},
    {0x18, "GW", Q::power, 1000000, 1},
    {0x19, "kvar", Q::reactive_power, 1, 1},
    {0x1A, "kvar", Q::reactive_power, 1, 1},
    {0x1B, "Mvar", Q::reactive_power, 1000, 1},
    {0x1C, "Gvar", Q::reactive_power, 1000000, 1},
    {0x1D, "VA", Q::apparent_power, 1, 1000},
    {0x1E, "kVA", Q::apparent_power, 1, 1},
    {0x1F, "MVA", Q::apparent_power, 1000, 1},
    {0x20, "GVA", Q::apparent_power, 1000000, 1},
    {0x21, "V", Q::voltage, 1, 1},
    {0x22, "A", Q::current, 1, 1},
    {0x23, "kV", Q::voltage, 1000, 1},
    {0x24, "kA", Q::current, 1000, 1},
    {0x25, "C", Q::temperature, 1, 1},
    {0x26, "K", Q::temperature_difference, 1, 1},
    {0x27, "l", Q::volume, 1, 1000},
    {0x28, "m3", Q::volume, 1, 1},
    {0x29, "l/h", Q::flow, 1, 1000},
    {0x2A, "m3/h", Q::flow, 1, 1},
    {0x2B, "m3xC", Q::volume_temperature, 1, 1},
    {0x2C, "ton", Q::mass, 1, 1},
    {0x2D, "ton/h", Q::mass_flow, 1, 1},
    {0x2E, "h", Q::duration, 1, 1},
    {0x2F, "hh:mm:ss", Q::clock, 0, 0},
    {0x30, "yy:mm:dd", Q::date, 0, 0},
    {0x31, "yyyy:mm:dd", Q::date, 0, 0},
    {0x32, "mm:dd", Q::date, 0, 0},
    {0x33, "", Q::none, 0, 0},
    {0x34, "bar", Q::pressure, 1, 1},
    {0x35, "RTC", Q::clock, 0, 0},
    {0x36, "ASCII", Q::text, 0, 0},
    {0x37, "m3x10", Q::volume, 10, 1},
    {0x38, "tonx10", Q::mass, 10, 1},
    {0x39, "GJx10", Q::energy, 100000, 36},
    {0x3A, "min", Q::duration, 1, 60},
    {0x3B, "bitfield", Q::bitfield, 0, 0},
    {0x3C, "s", Q::duration, 1, 3600},
    {0x3D, "ms", Q::duration, 1, 3600000},
    {0x3E, "days", Q::duration, 24, 1},
    {0x3F, "RTC-Q", Q::clock, 0, 0},
    {0x40, "datetime", Q::date, 0, 0},
}};

constexpr bool codes_in_order() {
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    if (kUnits[i].code != i) return false;
  }
  return true;
}
static_assert(codes_in_order(), "unit table rows must be in code order");

constexpr std::array<std::string_view, static_cast<std::size_t>(Q::text) + 1> kQuantityNames = {
    "none",
    "energy",
    "reactive_energy",
    "apparent_energy",
    "power",
    "reactive_power",
    "apparent_power",
    "voltage",
    "current",
    "temperature",
    "temperature_difference",
    "volume",
    "flow",
    "volume_temperature",
    "mass",
    "mass_flow",
    "duration",
    "clock",
    "date",
    "pressure",
    "bitfield",
    "text",
};

}  // namespace

std::string_view quantity_name(Quantity q) {
  return kQuantityNames.at(static_cast<std::size_t>(q));
}

std::optional<Unit> unit_by_code(std::uint8_t code) {
  if (code > kMaxUnitCode) return std::nullopt;
  return kUnits[code];
}

std::optional<Unit> unit_by_text(std::string_view text) {
  if (text.empty()) return std::nullopt;
  if (text == "Gj") text = "GJ";  // the original firmware's spelling of 0x08
  for (const Unit& u : kUnits) {
    if (u.text == text) return u;
  }
  return std::nullopt;
}

std::span<const Unit> all_units() {
  return kUnits;
}

}  // namespace ml::core::kmp
