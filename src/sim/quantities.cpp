#include "sim/quantities.hpp"

#include <limits>

#include "core/ascii.hpp"
#include "core/uint128.hpp"

namespace ml::sim {
namespace {

using U128 = core::U128;

}  // namespace

std::string_view energy_unit_text(EnergyUnit u) {
  switch (u) {
    case EnergyUnit::kwh:
      return "kWh";
    case EnergyUnit::mwh:
      return "MWh";
    case EnergyUnit::gj:
      return "GJ";
    case EnergyUnit::gcal:
      return "Gcal";
  }
  return "kWh";
}

std::optional<EnergyUnit> energy_unit_from_text(std::string_view text) {
  for (EnergyUnit u : {EnergyUnit::kwh, EnergyUnit::mwh, EnergyUnit::gj, EnergyUnit::gcal}) {
    if (core::ascii_iequals(text, energy_unit_text(u))) return u;
  }
  return std::nullopt;
}

std::uint64_t count_in(std::uint64_t value, std::int32_t value_exp, std::uint64_t num,
                       std::uint64_t den, std::int32_t target_exp) {
  U128 n = static_cast<U128>(value) * num;
  U128 d = den;
  std::int32_t k = value_exp - target_exp;
  constexpr U128 kLimit = static_cast<U128>(1) << 120;
  for (; k > 0; --k) {
    if (n > kLimit) return std::numeric_limits<std::uint64_t>::max();
    n *= 10;
  }
  for (; k < 0; ++k) {
    if (d > kLimit) return 0;
    d *= 10;
  }
  const U128 q = n / d;
  if (q > std::numeric_limits<std::uint64_t>::max()) {
    return std::numeric_limits<std::uint64_t>::max();
  }
  return static_cast<std::uint64_t>(q);
}

core::Decimal energy_value(std::uint64_t mwh, EnergyUnit unit, std::int32_t exponent) {
  // mWh = 1e-6 kWh. 1 kWh = 0.001 MWh = 0.0036 GJ = 1/1163 Gcal.
  std::uint64_t num = 1, den = 1;
  switch (unit) {
    case EnergyUnit::kwh:
      break;
    case EnergyUnit::mwh:
      den = 1000;
      break;
    case EnergyUnit::gj:
      num = 36;
      den = 10000;
      break;
    case EnergyUnit::gcal:
      den = 1163;
      break;
  }
  return core::Decimal{false, count_in(mwh, -6, num, den, exponent), exponent};
}

core::Decimal volume_value(std::uint64_t ml, std::int32_t exponent) {
  return core::Decimal{false, count_in(ml, -6, 1, 1, exponent), exponent};
}

core::Decimal flow_value(std::uint32_t lph, bool m3_per_h, std::int32_t exponent) {
  return core::Decimal{false, count_in(lph, 0, 1, m3_per_h ? 1000 : 1, exponent), exponent};
}

core::Decimal power_value(std::uint32_t w, bool mw, std::int32_t exponent) {
  return core::Decimal{false, count_in(w, -3, 1, mw ? 1000 : 1, exponent), exponent};
}

core::Decimal centi(std::int64_t v) {
  return fixed(v, -2);
}

core::Decimal fixed(std::int64_t count, std::int32_t exponent) {
  core::Decimal d;
  d.negative = count < 0;
  d.mantissa =
      count < 0 ? static_cast<std::uint64_t>(-(count + 1)) + 1 : static_cast<std::uint64_t>(count);
  if (d.mantissa == 0) d.negative = false;
  d.exponent = exponent;
  return d;
}

core::Result<std::int64_t> scaled_integer(std::string_view text, int decimals, bool allow_negative,
                                          std::string_view what) {
  auto parsed = core::Decimal::parse(text);
  if (!parsed) {
    return core::make_error(
        core::Errc::invalid_argument,
        std::string(what) + " '" + std::string(text.substr(0, 40)) + "' is not a decimal number");
  }
  const core::Decimal& d = *parsed;
  if (d.negative && !allow_negative) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(what) + " must not be negative");
  }
  if (d.decimals() > decimals) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(what) + " '" + std::string(text) + "' has more than " +
                                std::to_string(decimals) + " decimals");
  }
  std::uint64_t m = d.mantissa;
  for (int k = d.decimals(); k < decimals; ++k) {
    if (m > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / 10) {
      return core::make_error(core::Errc::invalid_argument,
                              std::string(what) + " '" + std::string(text) + "' is too large");
    }
    m *= 10;
  }
  if (m > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(what) + " '" + std::string(text) + "' is too large");
  }
  const auto v = static_cast<std::int64_t>(m);
  return d.negative ? -v : v;
}

}  // namespace ml::sim
