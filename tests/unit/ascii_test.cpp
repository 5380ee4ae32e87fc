// The locale-free ASCII helpers (src/core/ascii.hpp).
#include "core/ascii.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace ml::core {
namespace {

TEST(Ascii, LowersOnlyAsciiLetters) {
  EXPECT_EQ(ascii_lower('A'), 'a');
  EXPECT_EQ(ascii_lower('Z'), 'z');
  EXPECT_EQ(ascii_lower('a'), 'a');
  EXPECT_EQ(ascii_lower('@'), '@');
  EXPECT_EQ(ascii_lower('['), '[');
  EXPECT_EQ(ascii_lower('\xC6'), '\xC6');
}

TEST(Ascii, ComparesIgnoringCase) {
  EXPECT_TRUE(ascii_iequals("E1", "e1"));
  EXPECT_TRUE(ascii_iequals("kWh", "KWH"));
  EXPECT_TRUE(ascii_iequals("", ""));
  EXPECT_FALSE(ascii_iequals("kWh", "kW"));
  EXPECT_FALSE(ascii_iequals("T1-T2", "T1_T2"));
  EXPECT_FALSE(ascii_iequals("@", "`"));  // 0x40 and 0x60 differ by the case bit, not letters
  static_assert(ascii_iequals("Flow1", "FLOW1"));
}

TEST(Ascii, TrimsSpacesAndTabsAtBothEnds) {
  EXPECT_EQ(trim_blanks("  a b\t"), "a b");
  EXPECT_EQ(trim_blanks("\t \t"), "");
  EXPECT_EQ(trim_blanks(""), "");
  EXPECT_EQ(trim_blanks("\ra\n"), "\ra\n");  // only spaces and tabs
  static_assert(trim_blanks(" x ") == "x");
}

TEST(Ascii, QuotesAnExcerptForErrors) {
  EXPECT_EQ(quoted_excerpt("abc"), "'abc'");
  EXPECT_EQ(quoted_excerpt(""), "''");
  EXPECT_EQ(quoted_excerpt(std::string_view("a\0b\n\x80", 5)),
            "'a?b?"
            "?'");
  EXPECT_EQ(quoted_excerpt(std::string(40, 'x')), "'" + std::string(40, 'x') + "'");
  EXPECT_EQ(quoted_excerpt(std::string(41, 'x')), "'" + std::string(40, 'x') + "...'");
  EXPECT_EQ(quoted_excerpt("abcdef", 3), "'abc...'");
}

TEST(Ascii, DescribesOneByteForErrors) {
  EXPECT_EQ(describe_char('a'), "'a'");
  EXPECT_EQ(describe_char('\t'), "byte \\x09");
  EXPECT_EQ(describe_char('\x7f'), "byte \\x7F");
  EXPECT_EQ(describe_char('\xef'), "byte \\xEF");
}

TEST(Ascii, PercentEncodesAllButTheUnreserved) {
  EXPECT_EQ(percent_encode("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(percent_encode("?#=&%:/ \"'"), "%3F%23%3D%26%25%3A%2F%20%22%27");
  EXPECT_EQ(percent_encode("\xc3\x98st"), "%C3%98st");
  // application/x-www-form-urlencoded: a space is "+", a "+" is escaped.
  EXPECT_EQ(percent_encode("a b+c", true), "a+b%2Bc");
}

}  // namespace
}  // namespace ml::core
