#include "core/valve/limit.hpp"

#include <algorithm>
#include <cstdint>

#include "core/ascii.hpp"

namespace ml::core::valve {

namespace {

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// mantissa = mantissa * 10 + digit; false on overflow.
bool push_digit(std::uint64_t& mantissa, char digit) {
  const auto d = static_cast<std::uint64_t>(digit - '0');
  if (mantissa > (UINT64_MAX - d) / 10) return false;
  mantissa = mantissa * 10 + d;
  return true;
}

}  // namespace

Result<Decimal> parse_amount(std::string_view text) {
  if (text.empty()) return make_error(Errc::valve_bad_amount, "empty");
  if (text.size() > kMaxAmountText) {
    return make_error(Errc::valve_bad_amount, "more than " + std::to_string(kMaxAmountText) +
                                                  " characters (the original firmware's limit)");
  }
  std::size_t i = 0;
  const bool negative = text[0] == '-';
  if (text[0] == '-' || text[0] == '+') ++i;
  const std::size_t int_begin = i;
  while (i < text.size() && is_digit(text[i]))
    ++i;
  const std::size_t int_end = i;
  std::size_t frac_begin = i;
  std::size_t frac_end = i;
  if (i < text.size() && text[i] == '.') {
    frac_begin = ++i;
    while (i < text.size() && is_digit(text[i]))
      ++i;
    frac_end = i;
  }
  if (int_end == int_begin || i != text.size()) {
    return make_error(Errc::valve_bad_amount, quoted_excerpt(text) + " is not a decimal number");
  }
  const std::string_view int_digits = text.substr(int_begin, int_end - int_begin);
  const std::string_view frac_digits = text.substr(frac_begin, frac_end - frac_begin);
  const bool zero = int_digits.find_first_not_of('0') == std::string_view::npos &&
                    frac_digits.find_first_not_of('0') == std::string_view::npos;
  if (negative && !zero) {
    return make_error(Errc::valve_negative, quoted_excerpt(text) + " is negative");
  }
  const std::size_t kept = std::min<std::size_t>(frac_digits.size(), kAmountDecimals);
  Decimal d;
  bool fits = true;
  for (char c : int_digits)
    fits = fits && push_digit(d.mantissa, c);
  for (char c : frac_digits.substr(0, kept))
    fits = fits && push_digit(d.mantissa, c);
  if (frac_digits.substr(kept).find_first_not_of('0') != std::string_view::npos) {
    fits = fits && d.mantissa != UINT64_MAX;
    if (fits) ++d.mantissa;  // rounded up at the last kept decimal
  }
  if (!fits) {
    return make_error(
        Errc::valve_bad_amount,
        quoted_excerpt(text) + " is too large (at most 19 significant digits are kept)");
  }
  d.exponent = -static_cast<std::int32_t>(kept);
  return d;
}

std::optional<Decimal> metered(const sample::Reading& reading) {
  const char* key = reading.flow_meter ? "v1" : "e1";
  auto it = reading.values.find(key);
  if (it == reading.values.end()) return std::nullopt;
  auto n = sample::normalized(it->second.value, it->second.unit);
  if (!n || !*n) return std::nullopt;
  if ((**n).unit != (reading.flow_meter ? "m3" : "kWh")) return std::nullopt;
  return (**n).value;
}

bool limit_reached(const Decimal& metered_value, const Decimal& limit) {
  return compare(metered_value, limit) >= 0;
}

std::string reply_text(const Decimal& amount, bool flow_meter) {
  if (amount.negative && !amount.is_zero()) return flow_meter ? "0.000" : "0";
  std::string text = amount.to_string();
  if (!text.empty() && text[0] == '-') text.erase(0, 1);
  const std::size_t dot = text.find('.');
  std::string whole = text.substr(0, dot);
  if (!flow_meter) return whole;
  std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
  fraction.resize(3, '0');
  return whole + "." + fraction;
}

}  // namespace ml::core::valve
