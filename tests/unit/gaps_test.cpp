#include "core/gaps/gaps.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace ml::core::gaps {
namespace {

TEST(Resend, TheArgumentIsTwoTimesInOrderAtMostAWeekApart) {
  auto r = parse_resend("1700000000 1700003600");
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ(*r, (Range{1700000000, 1700003600}));
  EXPECT_EQ(format_resend(*r), "1700000000 1700003600");
  EXPECT_TRUE(parse_resend("5 5").ok());
  EXPECT_TRUE(parse_resend("0 604800").ok());
  const std::pair<const char*, const char*> bad[] = {
      {"", "two numbers and a space"},
      {"1700000000", "two numbers and a space"},
      {" 1700000000", "FROM is missing"},
      {"1700000000 ", "TO is missing"},
      {"-1 5", "FROM is not a number"},
      {"1 +5", "TO is not a number"},
      {"1  5", "TO is not a number"},
      {"10 5", "FROM is after TO"},
      {"0 604801", "longer than 7 days"},
      {"99999999999999999999 99999999999999999999", "FROM is too large"},
      {"0000000000000000000001 0000000000000000000002", "longer than 41 bytes"},
      {"000000000000000000001 2", "FROM is not a number"},  // 21 digits
  };
  for (const auto& [text, why] : bad) {
    auto e = parse_resend(text);
    ASSERT_FALSE(e.ok()) << text;
    EXPECT_NE(e.error().detail.find(why), std::string::npos) << text << ": " << e.error().detail;
  }
}

TEST(Gaps, TheIntervalIsTheMedianStepSoGapsDoNotMoveIt) {
  EXPECT_EQ(sampling_interval(std::vector<std::int64_t>{}), std::nullopt);
  EXPECT_EQ(sampling_interval(std::vector<std::int64_t>{0, 60}), std::nullopt);
  EXPECT_EQ(sampling_interval(std::vector<std::int64_t>{0, 60, 120}), 60);
  // A day missing and a late pair do not change a one-minute meter's interval.
  EXPECT_EQ(sampling_interval(std::vector<std::int64_t>{0, 60, 120, 86520, 86580, 86581, 86640}),
            60);
}

TEST(Gaps, AGapIsMoreThanOneAndAHalfIntervalsAndOnlyOnceSettled) {
  const std::vector<std::int64_t> t{0, 60, 150, 181, 600, 660};
  // 60 -> 150 is exactly 1.5 intervals: not a gap; 181 -> 600 misses six samples.
  auto gaps = find_gaps(t, 60, 1000);
  ASSERT_EQ(gaps.size(), 1u);
  EXPECT_EQ(gaps[0], (Gap{Range{182, 599}, 6}));
  // Ending after `settled`, it is not reported yet.
  EXPECT_TRUE(find_gaps(t, 60, 599).empty());
  EXPECT_TRUE(find_gaps(t, 0, 1000).empty());
  // A gap just over 1.5 intervals expects one sample.
  EXPECT_EQ(find_gaps(std::vector<std::int64_t>{0, 91}, 60, 100),
            (std::vector<Gap>{Gap{Range{1, 90}, 1}}));
}

}  // namespace
}  // namespace ml::core::gaps
