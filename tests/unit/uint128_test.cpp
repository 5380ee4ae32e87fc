// core::UInt128, the portable unsigned 128-bit integer of 32-bit targets (core/uint128.hpp):
// known values everywhere, and on targets with unsigned __int128 every operation against it on
// edge and pseudo-random operands.
#include "core/uint128.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>

namespace ml::core {
namespace {

constexpr std::uint64_t kMax64 = ~std::uint64_t{0};

TEST(UInt128, ProductOfTwoLargest64BitNumbersKeepsEveryBit) {
  // (2^64 - 1)^2 = 2^128 - 2^65 + 1
  const UInt128 p = UInt128{kMax64} * kMax64;
  EXPECT_EQ(p.high(), kMax64 - 1);
  EXPECT_EQ(p.low(), 1u);
  EXPECT_EQ(p / kMax64, UInt128{kMax64});
  EXPECT_EQ(p % kMax64, UInt128{0});
}

TEST(UInt128, CarriesAndBorrowsCrossTheHalves) {
  const UInt128 sum = UInt128{kMax64} + 1;
  EXPECT_EQ(sum.high(), 1u);
  EXPECT_EQ(sum.low(), 0u);
  EXPECT_EQ(sum - 1, UInt128{kMax64});
  EXPECT_EQ(UInt128{0} - 1, ~UInt128{0});  // wraps like the built-in type
  UInt128 v = kMax64;
  ++v;
  EXPECT_EQ(v, sum);
}

TEST(UInt128, DividesAWideNumberExactly) {
  // 10^30 / 7 = 142857142857142857142857142857 remainder 1
  UInt128 ten30 = 1;
  for (int i = 0; i < 30; ++i)
    ten30 *= 10;
  EXPECT_EQ(ten30.high(), 54210108624u);
  EXPECT_EQ(ten30.low(), 5076944270305263616u);
  const UInt128 q = ten30 / 7;
  EXPECT_EQ(ten30 % 7, UInt128{1});
  EXPECT_EQ(q * 7 + 1, ten30);
  EXPECT_EQ(q.high(), 7744301232u);
  EXPECT_EQ(q.low(), 725277752900751945u);
}

TEST(UInt128, ComparesAndShifts) {
  const UInt128 big = UInt128{1} << 100;
  EXPECT_GT(big, UInt128{kMax64});
  EXPECT_LT(UInt128{kMax64}, big);
  EXPECT_EQ(big >> 100, UInt128{1});
  EXPECT_EQ((big >> 36).high(), 1u);
  EXPECT_EQ((big >> 40).low(), std::uint64_t{1} << 60);
  EXPECT_EQ(static_cast<std::uint64_t>(big + 5), 5u);
  EXPECT_EQ(UInt128{7} & 1, UInt128{1});
  EXPECT_EQ(UInt128{5} / 0, UInt128{0});  // documented: no trap
}

#ifdef __SIZEOF_INT128__
__extension__ using Native = unsigned __int128;

Native native(const UInt128& v) {
  return (static_cast<Native>(v.high()) << 64) | v.low();
}

TEST(UInt128, AgreesWithTheBuiltInType) {
  std::mt19937_64 rng(20261203);
  const std::array<std::uint64_t, 8> edges = {0,          1,     2, 10, 0xffffffffu, 0x100000000u,
                                              kMax64 - 1, kMax64};
  auto operand = [&](int i) {
    const std::uint64_t hi =
        (i % 3 == 0) ? 0 : (i % 5 == 0 ? edges[rng() % 8] : rng() >> (rng() % 64));
    const std::uint64_t lo = (i % 7 == 0) ? edges[rng() % 8] : rng();
    return UInt128::from_halves(hi, lo);
  };
  for (int i = 0; i < 20000; ++i) {
    const UInt128 a = operand(i), b = operand(i + 1);
    const Native na = native(a), nb = native(b);
    ASSERT_EQ(native(a + b), na + nb);
    ASSERT_EQ(native(a - b), na - nb);
    ASSERT_EQ(native(a * b), na * nb);
    ASSERT_EQ(a < b, na < nb);
    ASSERT_EQ(a == b, na == nb);
    const int shift = static_cast<int>(rng() % 128);
    ASSERT_EQ(native(a << shift), na << shift);
    ASSERT_EQ(native(a >> shift), na >> shift);
    if (nb != 0) {
      ASSERT_EQ(native(a / b), na / nb) << i;
      ASSERT_EQ(native(a % b), na % nb) << i;
    }
  }
}
#endif

}  // namespace
}  // namespace ml::core
