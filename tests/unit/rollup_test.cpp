// The backend-neutral rollup rules (server/rollup.hpp): buckets, adding a sample, the overflow
// policy, and the sums' text form read back with errors as values.
#include "server/rollup.hpp"

#include <gtest/gtest.h>

namespace ml::server {
namespace {

core::sample::ParsedSample parsed(const std::string& text) {
  return core::sample::parse_sample(text).value();
}

TEST(Rollup, BucketsAreUtcHoursAndDaysAlsoBefore1970) {
  EXPECT_EQ(bucket_of(Period::hour, 1700000000), 1699999200);
  EXPECT_EQ(bucket_of(Period::day, 1700000000), 1699920000);
  EXPECT_EQ(bucket_of(Period::hour, 3600), 3600);
  EXPECT_EQ(bucket_of(Period::hour, -1), -3600);
  EXPECT_EQ(bucket_of(Period::day, -86400), -86400);
  EXPECT_EQ(bucket_of(Period::day, -86401), -172800);
}

TEST(Rollup, FirstAndLastFollowTheTimesAndSumsAreExact) {
  Rollup r;
  add_to_rollup(r, 200, std::string("1002"), std::nullopt, parsed("t1=70.10 C&e1=1002 kWh&"));
  add_to_rollup(r, 100, std::string("1000"), std::string("5.5"),
                parsed("t1=70.2 C&t2=NaN C&e1=1000 kWh&"));
  add_to_rollup(r, 300, std::string("1003"), std::nullopt, parsed("t1=NaN C&e1=1003 kWh&"));
  EXPECT_EQ(r.samples, 3);
  EXPECT_EQ(r.first_time, 100);
  EXPECT_EQ(r.energy_first, "1000");
  EXPECT_EQ(r.volume_first, "5.5");
  EXPECT_EQ(r.last_time, 300);
  EXPECT_EQ(r.energy_last, "1003");
  EXPECT_EQ(r.volume_last, std::nullopt);
  EXPECT_EQ(r.sums.at("t1").sum.to_string(), "140.30");
  EXPECT_EQ(r.sums.at("t1").count, 2);
  EXPECT_EQ(r.sums.count("t2"), 0u) << "NaN is not averaged";
  EXPECT_EQ(r.sums.count("e1"), 0u) << "only the averaged fields";
}

TEST(Rollup, ASumLeaving64BitsMarksOnlyThatFieldUnavailable) {
  Rollup r;
  add_to_rollup(r, 1, std::nullopt, std::nullopt, parsed("t1=18446744073709551615 C&t2=1 C&"));
  add_to_rollup(r, 2, std::nullopt, std::nullopt, parsed("t1=18446744073709551615 C&t2=2 C&"));
  add_to_rollup(r, 3, std::nullopt, std::nullopt, parsed("t1=1 C&t2=3 C&"));
  EXPECT_FALSE(r.sums.at("t1").available);
  EXPECT_EQ(r.sums.at("t2").sum.to_string(), "6");
  EXPECT_EQ(r.sums.at("t2").count, 3);
  EXPECT_EQ(r.samples, 3);
}

TEST(Rollup, SumsTextRoundTrips) {
  std::map<std::string, AverageSum> sums;
  sums["t1"] = {core::Decimal::parse("210.35").value(), 3, true};
  sums["tdif"] = {core::Decimal{}, 0, false};
  const std::string text = encode_sums(sums);
  EXPECT_EQ(text, "t1=210.35/3&tdif=/-1&");  // the form databases already hold
  auto back = decode_sums(text);
  ASSERT_TRUE(back.ok()) << back.error().text();
  EXPECT_EQ(*back, sums);
  EXPECT_TRUE(decode_sums("").value().empty());
}

TEST(Rollup, MalformedSumsAreErrorsNotExceptions) {
  for (const char* bad : {"t1=1.5/x&", "t1=1.5/&", "t1=1.5&", "=1/1&", "t1=abc/2&",
                          "t1=1/99999999999999999999&", "t1=1/-2&"}) {
    auto r = decode_sums(bad);
    EXPECT_FALSE(r.ok()) << bad;
    if (!r) {
      EXPECT_EQ(r.error().code, core::Errc::invalid_argument) << bad;
    }
  }
}

}  // namespace
}  // namespace ml::server
