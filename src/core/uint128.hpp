// Unsigned 128-bit integers for exact decimal arithmetic (core/decimal.cpp, core/pulse,
// sim/quantities). core::U128 is GCC's and Clang's unsigned __int128 where the target has it (the
// 64-bit targets), else UInt128: the same operations written out on two 64-bit halves, for 32-bit
// targets such as the armhf Raspberry Pi build (docs/install.md, "Raspberry Pi"). Like the
// built-in type it wraps modulo 2^128; dividing by zero is the caller's to rule out (UInt128
// then returns 0, the built-in type traps).
#pragma once

#include <cstdint>

namespace ml::core {

class UInt128 {
 public:
  constexpr UInt128() = default;
  // Implicit, like the widening of a built-in integer.
  constexpr UInt128(std::uint64_t low) : lo_(low) {}  // NOLINT(google-explicit-constructor)
  static constexpr UInt128 from_halves(std::uint64_t high, std::uint64_t low) {
    UInt128 v;
    v.hi_ = high;
    v.lo_ = low;
    return v;
  }
  constexpr std::uint64_t high() const { return hi_; }
  constexpr std::uint64_t low() const { return lo_; }
  // The low 64 bits, as static_cast<std::uint64_t> of the built-in type.
  constexpr explicit operator std::uint64_t() const { return lo_; }

  friend constexpr bool operator==(const UInt128& a, const UInt128& b) {
    return a.hi_ == b.hi_ && a.lo_ == b.lo_;
  }
  friend constexpr bool operator!=(const UInt128& a, const UInt128& b) { return !(a == b); }
  friend constexpr bool operator<(const UInt128& a, const UInt128& b) {
    return a.hi_ != b.hi_ ? a.hi_ < b.hi_ : a.lo_ < b.lo_;
  }
  friend constexpr bool operator>(const UInt128& a, const UInt128& b) { return b < a; }
  friend constexpr bool operator<=(const UInt128& a, const UInt128& b) { return !(b < a); }
  friend constexpr bool operator>=(const UInt128& a, const UInt128& b) { return !(a < b); }

  constexpr UInt128 operator~() const { return from_halves(~hi_, ~lo_); }
  friend constexpr UInt128 operator&(const UInt128& a, const UInt128& b) {
    return from_halves(a.hi_ & b.hi_, a.lo_ & b.lo_);
  }
  friend constexpr UInt128 operator|(const UInt128& a, const UInt128& b) {
    return from_halves(a.hi_ | b.hi_, a.lo_ | b.lo_);
  }
  // Shifts by 0 to 127 bits.
  friend constexpr UInt128 operator<<(const UInt128& a, int n) {
    if (n == 0) return a;
    if (n >= 64) return from_halves(a.lo_ << (n - 64), 0);
    return from_halves((a.hi_ << n) | (a.lo_ >> (64 - n)), a.lo_ << n);
  }
  friend constexpr UInt128 operator>>(const UInt128& a, int n) {
    if (n == 0) return a;
    if (n >= 64) return from_halves(0, a.hi_ >> (n - 64));
    return from_halves(a.hi_ >> n, (a.lo_ >> n) | (a.hi_ << (64 - n)));
  }

  friend constexpr UInt128 operator+(const UInt128& a, const UInt128& b) {
    const std::uint64_t lo = a.lo_ + b.lo_;
    return from_halves(a.hi_ + b.hi_ + (lo < a.lo_ ? 1 : 0), lo);
  }
  friend constexpr UInt128 operator-(const UInt128& a, const UInt128& b) {
    return from_halves(a.hi_ - b.hi_ - (a.lo_ < b.lo_ ? 1 : 0), a.lo_ - b.lo_);
  }
  friend constexpr UInt128 operator*(const UInt128& a, const UInt128& b) {
    UInt128 p = multiply64(a.lo_, b.lo_);
    p.hi_ += a.hi_ * b.lo_ + a.lo_ * b.hi_;
    return p;
  }
  friend constexpr UInt128 operator/(const UInt128& a, const UInt128& b) {
    UInt128 remainder;
    return divide(a, b, remainder);
  }
  friend constexpr UInt128 operator%(const UInt128& a, const UInt128& b) {
    UInt128 remainder;
    divide(a, b, remainder);
    return remainder;
  }

  constexpr UInt128& operator+=(const UInt128& b) { return *this = *this + b; }
  constexpr UInt128& operator-=(const UInt128& b) { return *this = *this - b; }
  constexpr UInt128& operator*=(const UInt128& b) { return *this = *this * b; }
  constexpr UInt128& operator/=(const UInt128& b) { return *this = *this / b; }
  constexpr UInt128& operator%=(const UInt128& b) { return *this = *this % b; }
  constexpr UInt128& operator++() { return *this += 1; }

 private:
  // The full 128-bit product of two 64-bit numbers, from 32-bit halves.
  static constexpr UInt128 multiply64(std::uint64_t a, std::uint64_t b) {
    constexpr std::uint64_t kLow32 = 0xffffffffu;
    const std::uint64_t a0 = a & kLow32, a1 = a >> 32, b0 = b & kLow32, b1 = b >> 32;
    const std::uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    const std::uint64_t mid = (p00 >> 32) + (p01 & kLow32) + (p10 & kLow32);
    return from_halves(p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32), (mid << 32) | (p00 & kLow32));
  }

  // Schoolbook binary long division: returns the quotient, sets `remainder`. Both below 2^64
  // takes the hardware's division.
  static constexpr UInt128 divide(const UInt128& a, const UInt128& b, UInt128& remainder) {
    remainder = UInt128{};
    if (b == UInt128{}) return UInt128{};
    if (a.hi_ == 0 && b.hi_ == 0) {
      remainder = a.lo_ % b.lo_;
      return a.lo_ / b.lo_;
    }
    if (a < b) {
      remainder = a;
      return UInt128{};
    }
    UInt128 q;
    for (int i = 127; i >= 0; --i) {
      remainder = (remainder << 1) | ((a >> i) & 1);
      if (remainder >= b) {
        remainder -= b;
        q = q | (UInt128{1} << i);
      }
    }
    return q;
  }

  std::uint64_t hi_ = 0;
  std::uint64_t lo_ = 0;
};

#ifdef __SIZEOF_INT128__
__extension__ using U128 = unsigned __int128;
#else
using U128 = UInt128;
#endif

}  // namespace ml::core
