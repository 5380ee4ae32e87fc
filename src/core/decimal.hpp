// Exact decimal numbers for meter values: (-1)^negative x mantissa x 10^exponent.
// Meter values never pass through a float: the wire gives a mantissa and a decimal exponent,
// and the text form keeps exactly the decimals the meter sent ("0.0", "1321.27", "200.00").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::core {

struct Decimal {
  bool negative = false;
  std::uint64_t mantissa = 0;
  std::int32_t exponent = 0;

  // Limits on the exponent keep every text form bounded (at most ~90 characters).
  static constexpr std::int32_t kMaxExponent = 63;
  static constexpr std::int32_t kMinExponent = -63;

  // Exact text. exponent >= 0: the integer mantissa x 10^exponent ("7126", "1500");
  // exponent < 0: integer part, '.', then exactly -exponent fraction digits ("0.002", "0.0").
  // Zero is never written with a sign.
  std::string to_string() const;

  // Parses "[-|+]digits[.digits]" (the mantissa must fit 64 bits; at most 40 characters). The
  // number of fraction digits becomes the exponent, so parse("0.00").to_string() == "0.00".
  static Result<Decimal> parse(std::string_view text);

  // Number of fraction digits in the text form.
  int decimals() const { return exponent < 0 ? -exponent : 0; }
  bool is_zero() const { return mantissa == 0; }

  // The same value multiplied by 10^n (only the exponent changes).
  Result<Decimal> shifted(std::int32_t n) const;

  // value x numerator / denominator. Exact whenever the result has a finite decimal form with at
  // most max_decimals fraction digits; otherwise rounded half-to-even at max_decimals and
  // *exact (when given) is set to false. A power-of-ten denominator keeps every digit of the
  // input (1500 x 1/1000 = 1.500).
  Result<Decimal> multiplied(std::uint64_t numerator, std::uint64_t denominator,
                             int max_decimals = 9, bool* exact = nullptr) const;

  // Same digits, same exponent, same sign.
  bool operator==(const Decimal&) const = default;
};

// Numeric comparison: -1, 0, +1. compare(0.10, 0.1) == 0.
int compare(const Decimal& a, const Decimal& b);

// a + b, exact, with the larger number of fraction digits of the two (1.5 + 0.25 = 1.75,
// 2 + 0.50 = 2.50). An error when the result does not fit a 64-bit mantissa.
Result<Decimal> sum(const Decimal& a, const Decimal& b);
// a - b, exact, as sum().
Result<Decimal> difference(const Decimal& a, const Decimal& b);
// a x b, exact; an error when the digits do not fit.
Result<Decimal> product(const Decimal& a, const Decimal& b);
// a / b: exact when the result has a finite form within `decimals` fraction digits, else rounded
// half-to-even there (100 / 3 = 33.333333333 with 9); an error for a zero divisor.
Result<Decimal> quotient(const Decimal& a, const Decimal& b, int decimals);

}  // namespace ml::core
