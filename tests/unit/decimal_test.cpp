#include "core/decimal.hpp"

#include <gtest/gtest.h>

namespace ml::core {
namespace {

Decimal dec(std::string_view s) {
  auto r = Decimal::parse(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? r.value() : Decimal{};
}

TEST(Decimal, TextKeepsTheDecimalsOfTheExponent) {
  EXPECT_EQ((Decimal{false, 2361, -2}).to_string(), "23.61");
  EXPECT_EQ((Decimal{false, 2, -3}).to_string(), "0.002");
  EXPECT_EQ((Decimal{false, 0, -1}).to_string(), "0.0");
  EXPECT_EQ((Decimal{false, 132127, -2}).to_string(), "1321.27");
  EXPECT_EQ((Decimal{false, 7126, 0}).to_string(), "7126");
  EXPECT_EQ((Decimal{false, 15, 2}).to_string(), "1500");
  EXPECT_EQ((Decimal{true, 2735, -2}).to_string(), "-27.35");
  EXPECT_EQ((Decimal{true, 50, -2}).to_string(), "-0.50");
  EXPECT_EQ((Decimal{true, 0, -1}).to_string(), "0.0");
  EXPECT_EQ((Decimal{false, 0, 3}).to_string(), "0");
}

TEST(Decimal, ParseRoundTripsText) {
  for (std::string_view s : {"0", "0.00", "23.61", "-27.35", "1321.27", "0.002",
                             "18446744073709551615", "-0.50", "0.000000001"}) {
    EXPECT_EQ(dec(s).to_string(), s);
  }
  EXPECT_EQ(dec("+5").to_string(), "5");
  EXPECT_EQ(dec("-0.0").to_string(), "0.0");
  EXPECT_EQ(dec("00056296").to_string(), "56296");
}

TEST(Decimal, ParseRejectsWhatIsNotADecimal) {
  for (std::string_view s : {"", "-", ".", "1.", ".5", "1.2.3", "1e3", "NaN", " 1", "1 ", "0x10"}) {
    auto r = Decimal::parse(s);
    ASSERT_FALSE(r.ok()) << s;
    EXPECT_EQ(r.error().code, Errc::decimal_syntax) << s;
  }
  EXPECT_EQ(Decimal::parse("18446744073709551616").error().code, Errc::decimal_overflow);
  EXPECT_EQ(Decimal::parse("99999999999999999999").error().code, Errc::decimal_overflow);
  EXPECT_FALSE(Decimal::parse(std::string(41, '1')).ok());
}

TEST(Decimal, CompareIsNumeric) {
  EXPECT_EQ(compare(dec("0.10"), dec("0.1")), 0);
  EXPECT_EQ(compare(dec("0"), dec("-0.00")), 0);
  EXPECT_LT(compare(dec("-1"), dec("0")), 0);
  EXPECT_LT(compare(dec("-2"), dec("-1.5")), 0);
  EXPECT_GT(compare(dec("56.727"), dec("56.726")), 0);
  EXPECT_GT(compare(dec("100"), dec("99.999")), 0);
  EXPECT_LT(compare(Decimal{false, 1, -3}, Decimal{false, 1, 0}), 0);
  EXPECT_EQ(compare(Decimal{false, 15, 2}, dec("1500.0")), 0);
}

TEST(Decimal, ShiftMovesOnlyTheExponent) {
  EXPECT_EQ(dec("56.726").shifted(3)->to_string(), "56726");
  EXPECT_EQ(dec("1234").shifted(-3)->to_string(), "1.234");
  EXPECT_EQ(dec("1").shifted(100).error().code, Errc::decimal_overflow);
}

TEST(Decimal, MultipliedIsExactWhenTheResultIsFinite) {
  bool exact = false;
  // 1.5 Gcal x 1163 = 1744.5 kWh, exactly.
  auto r = dec("1.5").multiplied(1163, 1, 9, &exact);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_string(), "1744.5");
  EXPECT_TRUE(exact);
  // 3.6 MJ / 3.6 = 1 kWh.
  r = dec("3.6").multiplied(10, 36, 9, &exact);
  EXPECT_EQ(compare(*r, dec("1")), 0);
  EXPECT_TRUE(exact);
}

TEST(Decimal, MultipliedRoundsHalfEvenOnlyWhenItMust) {
  bool exact = true;
  // 1 GJ = 1e6 / 3600 kWh = 277.777...
  auto r = dec("1").multiplied(1000000, 3600, 6, &exact);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->to_string(), "277.777778");
  EXPECT_FALSE(exact);
  r = dec("0.25").multiplied(1, 1, 1, &exact);  // 0.25 -> 0.2 (half to even)
  EXPECT_EQ(r->to_string(), "0.2");
  EXPECT_FALSE(exact);
  r = dec("0.35").multiplied(1, 1, 1, &exact);  // 0.35 -> 0.4
  EXPECT_EQ(r->to_string(), "0.4");
  r = dec("-2").multiplied(1, 3, 2, &exact);
  EXPECT_EQ(r->to_string(), "-0.67");
}

}  // namespace
TEST(Decimal, ProductAndQuotient) {
  const auto d = [](const char* t) { return Decimal::parse(t).value(); };
  EXPECT_EQ(product(d("1.5"), d("-2")).value().to_string(), "-3.0");
  EXPECT_EQ(product(d("0"), d("-2")).value().negative, false);
  EXPECT_FALSE(product(d("18446744073709551615"), d("10")).ok()) << "too many digits";
  EXPECT_EQ(quotient(d("17.00"), d("1.70"), 9).value().to_string(), "10");
  EXPECT_EQ(quotient(d("100"), d("3"), 9).value().to_string(), "33.333333333");
  EXPECT_EQ(quotient(d("2"), d("3"), 2).value().to_string(), "0.67");
  EXPECT_EQ(quotient(d("-1"), d("4"), 9).value().to_string(), "-0.25");
  EXPECT_FALSE(quotient(d("1"), d("0"), 9).ok());
}

}  // namespace ml::core
