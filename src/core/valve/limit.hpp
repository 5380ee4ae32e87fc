// The prepaid limit of a heat meter's valve (`open_until`, `open_until_delta`, auto-close:
// docs/agent.md, "The valve and the prepaid limit"), with the original's quirks fixed: the limit is
// compared with the energy normalised to kWh from whatever unit the meter uses (GJ, MWh, ...) or,
// for flow meters, with the volume in m3; values are exact decimals, never floats.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "core/sample/sample.hpp"

namespace ml::core::valve {

// Fraction digits of a limit kept exactly; see parse_amount.
inline constexpr int kAmountDecimals = 9;
// The longest argument accepted: the longest the original firmware can receive at all
// (envelope::kDeviceMaxTextSize).
inline constexpr std::size_t kMaxAmountText = 446;

// The argument of `open_until` / `open_until_delta`: a decimal number of kWh (flow meters: m3),
// "[+]digits[.[digits]]", as any program prints a number: MeterLoggerWeb sends its float sum as
// text ("14345.5882352941098"), the original firmware reads it with atoi. At most
// kMaxAmountText characters. The first kAmountDecimals fraction digits are kept exactly;
// further digits, when not all 0, round the amount up at the 9th decimal (14345.588235295), so
// the valve closes at exactly the readings where the full number would close it, for every
// reading with at most 9 decimals (meter readings in kWh or m3 have at most 6). The result
// must fit 64 bits of mantissa (19-20 significant digits). A negative number is an error of
// its own (valve_negative) because it changes nothing by design, not by mistake.
Result<Decimal> parse_amount(std::string_view text);

// What the limit is compared with: e1 in kWh, or for flow meters v1 in m3. nullopt when the
// reading lacks it or its unit is unknown.
std::optional<Decimal> metered(const sample::Reading& reading);

// True when the metered quantity has reached the limit (>=), as auto-close checks it.
bool limit_reached(const Decimal& metered_value, const Decimal& limit);

// The reply text of `open_until` and `open_until_delta`: whole kWh (the original's %u), or for
// flow meters m3 with exactly 3 decimals (%.3f). Fraction digits beyond are cut, not rounded;
// a negative amount is written as 0.
std::string reply_text(const Decimal& amount, bool flow_meter);

}  // namespace ml::core::valve
