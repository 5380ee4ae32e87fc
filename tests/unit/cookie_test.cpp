// The shared Cookie header parser (src/platform/http/cookie.hpp) that both web servers use.
#include "platform/http/cookie.hpp"

#include <gtest/gtest.h>

#include <string>

namespace ml::platform::http {
namespace {

TEST(Cookie, FindsTheNamedCookieAmongSeveral) {
  EXPECT_EQ(cookie_value("ml_session=abc", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("a=1; ml_session=abc; b=2", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("a=1;b=2;ml_session=xyz", "ml_session"), "xyz");
  EXPECT_EQ(cookie_value("a=1; b=2", "b"), "2");
}

TEST(Cookie, NamesMatchExactly) {
  EXPECT_EQ(cookie_value("xml_session=evil; ml_session=good", "ml_session"), "good");
  EXPECT_EQ(cookie_value("ml_sessionx=1", "ml_session"), "");
  EXPECT_EQ(cookie_value("xml_session=abc", "ml_session"), "");
  EXPECT_EQ(cookie_value("ML_SESSION=abc", "ml_session"), "");
}

TEST(Cookie, IgnoresSpacesAndTabsAroundPairsAndValues) {
  EXPECT_EQ(cookie_value("theme=dark; ml_session=abc ; x=1", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("  ml_session = abc\t;x=1", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("\tml_session=a b", "ml_session"), "a b");
}

TEST(Cookie, QuotedValuesLoseTheirQuotes) {
  EXPECT_EQ(cookie_value("ml_session=\"abc\"", "ml_session"), "abc");
  EXPECT_EQ(cookie_value("ml_session=\"\"; x=1", "ml_session"), "");
  // Blanks inside the quotes are the value's own (found by fuzz_cookie).
  EXPECT_EQ(cookie_value("ml_session=\"\t\"", "ml_session"), "\t");
  EXPECT_EQ(cookie_value("ml_session= \" a \" ", "ml_session"), " a ");
  // A lone quote is not a quoted value.
  EXPECT_EQ(cookie_value("ml_session=\"", "ml_session"), "\"");
}

TEST(Cookie, PairsWithoutEqualsAreSkipped) {
  EXPECT_EQ(cookie_value(";;;=;ml_session", "ml_session"), "");
  EXPECT_EQ(cookie_value("ml_session; ml_session=abc", "ml_session"), "abc");
  EXPECT_EQ(cookie_value(";;;=;ml_session", "ml_session"), "");
  EXPECT_EQ(cookie_value(";;;", "ml_session"), "");
  EXPECT_EQ(cookie_value("", "ml_session"), "");
  EXPECT_EQ(cookie_value("ml_session=", "ml_session"), "");
}

TEST(Cookie, TheFirstOfRepeatedNamesCounts) {
  EXPECT_EQ(cookie_value("ml_session=first; ml_session=second", "ml_session"), "first");
}

TEST(Cookie, ReadsOnlyTheFirst8KiB) {
  const std::string pad(kMaxCookieHeader, 'a');
  EXPECT_EQ(cookie_value("x=" + pad + "; ml_session=abc", "ml_session"), "");
  EXPECT_EQ(cookie_value(std::string(9000, ' ') + "; ml_session=abc", "ml_session"), "");
  // Cut at the bound: the value is what lies within it.
  const std::string head = "ml_session=";
  const std::string value(kMaxCookieHeader, 'v');
  EXPECT_EQ(cookie_value(head + value, "ml_session").size(), kMaxCookieHeader - head.size());
  // Within the bound, far in, it is found.
  const std::string near(kMaxCookieHeader - 100, ' ');
  EXPECT_EQ(cookie_value(near + "; ml_session=abc", "ml_session"), "abc");
}

}  // namespace
}  // namespace ml::platform::http
