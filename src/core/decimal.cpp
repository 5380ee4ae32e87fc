#include "core/decimal.hpp"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <utility>

#include "core/uint128.hpp"

namespace ml::core {
namespace {

constexpr std::uint64_t kU64Max = ~std::uint64_t{0};

std::string digits_of(std::uint64_t v) {
  return std::to_string(v);
}

// Order of magnitude of a non-zero value: number of integer digits it would have (may be <= 0).
std::int64_t magnitude(const Decimal& d) {
  return static_cast<std::int64_t>(digits_of(d.mantissa).size()) + d.exponent;
}

}  // namespace

std::string Decimal::to_string() const {
  std::string digits = digits_of(mantissa);
  std::string out;
  if (negative && mantissa != 0) out += '-';
  if (exponent >= 0) {
    out += digits;
    if (mantissa != 0) out.append(static_cast<std::size_t>(exponent), '0');
    return out;
  }
  const auto frac = static_cast<std::size_t>(-exponent);
  if (digits.size() <= frac) {
    out += "0.";
    out.append(frac - digits.size(), '0');
    out += digits;
  } else {
    out.append(digits, 0, digits.size() - frac);
    out += '.';
    out.append(digits, digits.size() - frac, frac);
  }
  return out;
}

Result<Decimal> Decimal::parse(std::string_view text) {
  // The text as errors quote it, made only for an error (values are parsed by the thousand).
  const auto shown = [text] { return std::string(text.substr(0, 40)); };
  if (text.empty()) return make_error(Errc::decimal_syntax, "empty text");
  if (text.size() > 40) return make_error(Errc::decimal_syntax, "'" + shown() + "…' is too long");
  Decimal d;
  std::size_t i = 0;
  if (text[0] == '-' || text[0] == '+') {
    d.negative = text[0] == '-';
    i = 1;
  }
  bool any_digit = false;
  bool seen_point = false;
  std::int32_t frac_digits = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '.') {
      if (seen_point) return make_error(Errc::decimal_syntax, "'" + shown() + "' has two points");
      if (!any_digit) {
        return make_error(Errc::decimal_syntax, "'" + shown() + "' has no digits before the point");
      }
      seen_point = true;
      continue;
    }
    if (c < '0' || c > '9') {
      return make_error(Errc::decimal_syntax,
                        "'" + shown() + "' contains '" + std::string(1, c) + "'");
    }
    any_digit = true;
    if (seen_point) ++frac_digits;
    if (__builtin_mul_overflow(d.mantissa, std::uint64_t{10}, &d.mantissa) ||
        __builtin_add_overflow(d.mantissa, static_cast<std::uint64_t>(c - '0'), &d.mantissa)) {
      return make_error(Errc::decimal_overflow, "'" + shown() + "' has too many digits");
    }
  }
  if (!any_digit) return make_error(Errc::decimal_syntax, "'" + shown() + "' has no digits");
  if (seen_point && frac_digits == 0) {
    return make_error(Errc::decimal_syntax, "'" + shown() + "' has no digits after the point");
  }
  if (frac_digits > -kMinExponent) {
    return make_error(Errc::decimal_overflow, "'" + shown() + "' has too many decimals");
  }
  d.exponent = -frac_digits;
  if (d.mantissa == 0) d.negative = false;
  return d;
}

Result<Decimal> Decimal::shifted(std::int32_t n) const {
  const std::int64_t e = static_cast<std::int64_t>(exponent) + n;
  if (e > kMaxExponent || e < kMinExponent) {
    return make_error(Errc::decimal_overflow, "exponent " + std::to_string(e) + " out of range");
  }
  Decimal d = *this;
  d.exponent = static_cast<std::int32_t>(e);
  return d;
}

Result<Decimal> Decimal::multiplied(std::uint64_t numerator, std::uint64_t denominator,
                                    int max_decimals, bool* exact) const {
  if (denominator == 0) return make_error(Errc::invalid_argument, "division by zero");
  if (max_decimals < 0 || max_decimals > -kMinExponent) {
    return make_error(Errc::invalid_argument, "max_decimals out of range");
  }
  if (exact) *exact = true;
  constexpr U128 kMax = ~U128{0};
  // A power-of-ten denominator only moves the point: keep every digit of the input
  // (1500 Wh -> 1.500 kWh), as long as the result stays within max_decimals.
  {
    std::uint64_t den = denominator;
    std::int64_t shift = 0;
    while (den % 10 == 0) {
      den /= 10;
      ++shift;
    }
    std::uint64_t m = 0;
    if (den == 1 && !__builtin_mul_overflow(mantissa, numerator, &m) &&
        exponent - shift >= -max_decimals) {
      Decimal d{negative && m != 0, m, exponent};
      return d.shifted(static_cast<std::int32_t>(-shift));
    }
  }
  // The value is num / den x 10^e; it is rounded at most once, at 10^-max_decimals.
  U128 num = static_cast<U128>(mantissa) * numerator;
  U128 den = denominator;
  std::int64_t e = exponent;
  while (-e > max_decimals) {
    if (den > kMax / 10) return make_error(Errc::decimal_overflow, "too many decimals");
    den *= 10;
    ++e;
  }
  U128 q = num / den;
  U128 r = num % den;
  // Extend with fraction digits until the division is exact or the limit is reached.
  while (r != 0 && -e < max_decimals && num <= kMax / 10) {
    num *= 10;
    --e;
    q = num / den;
    r = num % den;
  }
  if (r != 0) {
    if (exact) *exact = false;
    const U128 other = den - r;  // compare r with den - r instead of 2r (no overflow)
    if (r > other || (r == other && (q & 1) != 0)) ++q;
  }
  if (q > kU64Max) return make_error(Errc::decimal_overflow, "result has more than 19 digits");
  if (e > kMaxExponent || e < kMinExponent) {
    return make_error(Errc::decimal_overflow, "exponent " + std::to_string(e) + " out of range");
  }
  Decimal d;
  d.negative = negative && q != 0;
  d.mantissa = static_cast<std::uint64_t>(q);
  d.exponent = static_cast<std::int32_t>(e);
  return d;
}

int compare(const Decimal& a, const Decimal& b) {
  const bool a_neg = a.negative && a.mantissa != 0;
  const bool b_neg = b.negative && b.mantissa != 0;
  if (a.mantissa == 0 && b.mantissa == 0) return 0;
  if (a_neg != b_neg) return a_neg ? -1 : 1;
  const int sign = a_neg ? -1 : 1;
  if (a.mantissa == 0) return -sign;
  if (b.mantissa == 0) return sign;
  const std::int64_t ma = magnitude(a);
  const std::int64_t mb = magnitude(b);
  if (ma != mb) return ma < mb ? -sign : sign;
  // Same order of magnitude: compare the digit strings, padded with zeros to equal length.
  std::string da = digits_of(a.mantissa);
  std::string db = digits_of(b.mantissa);
  const std::size_t n = std::max(da.size(), db.size());
  da.resize(n, '0');
  db.resize(n, '0');
  const int c = da.compare(db);
  if (c == 0) return 0;
  return c < 0 ? -sign : sign;
}

namespace {
Error too_big(const Decimal& a, const Decimal& b) {
  return Error{Errc::invalid_argument,
               "the sum of " + a.to_string() + " and " + b.to_string() + " does not fit 64 bits"};
}
}  // namespace

Result<Decimal> sum(const Decimal& a, const Decimal& b) {
  // Bring both to the smaller exponent; the mantissas then add or subtract as integers.
  const std::int32_t e = std::min(a.exponent, b.exponent);
  Decimal x{a.negative, a.mantissa, e};
  Decimal y{b.negative, b.mantissa, e};
  for (auto [from, to] : {std::pair{&a, &x}, std::pair{&b, &y}}) {
    for (std::int32_t i = from->exponent; i > e; --i) {
      if (to->mantissa > UINT64_MAX / 10) return too_big(a, b);
      to->mantissa *= 10;
    }
  }
  const bool xn = x.negative && x.mantissa != 0;
  const bool yn = y.negative && y.mantissa != 0;
  Decimal r{false, 0, e};
  if (xn == yn) {
    if (x.mantissa > UINT64_MAX - y.mantissa) return too_big(a, b);
    r.mantissa = x.mantissa + y.mantissa;
    r.negative = xn;
  } else if (x.mantissa >= y.mantissa) {
    r.mantissa = x.mantissa - y.mantissa;
    r.negative = xn;
  } else {
    r.mantissa = y.mantissa - x.mantissa;
    r.negative = yn;
  }
  if (r.mantissa == 0) r.negative = false;
  return r;
}

Result<Decimal> difference(const Decimal& a, const Decimal& b) {
  Decimal negated = b;
  negated.negative = !b.negative;
  return sum(a, negated);
}

Result<Decimal> product(const Decimal& a, const Decimal& b) {
  Decimal abs_a = a;
  abs_a.negative = false;
  auto m = abs_a.multiplied(b.mantissa, 1, -Decimal::kMinExponent);
  if (!m) return m.error();
  auto r = m->shifted(b.exponent);
  if (!r) return r.error();
  r->negative = (a.negative != b.negative) && !r->is_zero();
  return r;
}

Result<Decimal> quotient(const Decimal& a, const Decimal& b, int decimals) {
  if (b.is_zero()) return make_error(Errc::invalid_argument, "division by zero");
  const Decimal unscaled{a.negative != b.negative, a.mantissa, a.exponent};
  auto q = unscaled.multiplied(1, b.mantissa, decimals + std::max(0, -b.exponent));
  if (!q) return q.error();
  auto r = q->shifted(-b.exponent);
  if (!r) return r.error();
  if (r->is_zero()) r->negative = false;
  return r;
}

}  // namespace ml::core
