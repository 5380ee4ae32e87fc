// The installation's exact integers (installation.hpp) expressed in the units and with the
// decimals a meter shows. A meter truncates: a register shows the whole counts of its resolution
// that have been reached (1234.999 kWh reads 1234 kWh at 0 decimals).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/decimal.hpp"

namespace ml::sim {

enum class EnergyUnit : std::uint8_t { kwh, mwh, gj, gcal };

std::string_view energy_unit_text(EnergyUnit u);  // "kWh", "MWh", "GJ", "Gcal"
// Case-insensitive.
std::optional<EnergyUnit> energy_unit_from_text(std::string_view text);

// floor(value x 10^value_exp x num / den / 10^target_exp), saturated at 2^64 - 1.
std::uint64_t count_in(std::uint64_t value, std::int32_t value_exp, std::uint64_t num,
                       std::uint64_t den, std::int32_t target_exp);

// Energy in mWh shown in `unit` with resolution 10^exponent (exponent -3 = 3 decimals).
core::Decimal energy_value(std::uint64_t mwh, EnergyUnit unit, std::int32_t exponent);
// Volume in ml shown in m3.
core::Decimal volume_value(std::uint64_t ml, std::int32_t exponent);
// Flow in l/h shown in l/h or (m3_per_h) m3/h.
core::Decimal flow_value(std::uint32_t lph, bool m3_per_h, std::int32_t exponent);
// Power in W shown in kW or (mw) MW.
core::Decimal power_value(std::uint32_t w, bool mw, std::int32_t exponent);
// A signed count of 0.01 (temperatures).
core::Decimal centi(std::int64_t v);
// A count with a fixed exponent: integer(5, -1) = 0.5.
core::Decimal fixed(std::int64_t count, std::int32_t exponent = 0);

// Parses a decimal text and returns its value in units of 10^-decimals, exactly; an error when
// it has more decimals, is negative (unless allowed) or does not fit.
core::Result<std::int64_t> scaled_integer(std::string_view text, int decimals, bool allow_negative,
                                          std::string_view what);

}  // namespace ml::sim
