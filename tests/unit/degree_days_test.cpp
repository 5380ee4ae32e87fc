// The heating degree days file (server/degree_days.hpp): what `degree-days import` reads (a
// header, commas or semicolons with a decimal comma, a byte order mark, CRLF, blank lines), each
// refusal naming its line, the limits, and the sum over a range of days that refuses a gap.
#include "server/degree_days.hpp"

#include <gtest/gtest.h>

namespace ml::server {
namespace {

constexpr std::int64_t k20260101 = 20454;

std::string error_of(std::string_view text) {
  auto r = parse_degree_days(text);
  return r ? "accepted" : r.error().detail;
}

TEST(DegreeDays, AFileOfDaysReadsExactly) {
  auto days =
      parse_degree_days("day,degree_days\n2026-01-01,18.4\n2026-01-02, 0.000 \n\n2026-01-03,100\n");
  ASSERT_TRUE(days.ok()) << days.error().text();
  ASSERT_EQ(days->size(), 3u);
  EXPECT_EQ((*days)[0].day, k20260101);
  EXPECT_EQ((*days)[0].value.to_string(), "18.4");
  EXPECT_EQ((*days)[1].value.to_string(), "0.000");
  EXPECT_EQ((*days)[2].day, k20260101 + 2);
  EXPECT_EQ(day_text((*days)[2].day), "2026-01-03");
  // A Danish spreadsheet's export: byte order mark, semicolons, a decimal comma, CRLF.
  auto danish = parse_degree_days(
      "\xEF\xBB\xBF"
      "dato;graddage\r\n2026-02-28;12,5\r\n");
  ASSERT_TRUE(danish.ok()) << danish.error().text();
  ASSERT_EQ(danish->size(), 1u);
  EXPECT_EQ(day_text(danish->front().day), "2026-02-28");
  EXPECT_EQ(danish->front().value.to_string(), "12.5");
  EXPECT_TRUE(parse_degree_days("").value().empty());
}

TEST(DegreeDays, EachRefusalNamesItsLineAndWhatToWrite) {
  EXPECT_EQ(error_of("2026-01-01,1\n2026-02-30,1\n"),
            "line 2: '2026-02-30' is not a date as YYYY-MM-DD (1900 to 2199)");
  EXPECT_EQ(error_of("2026-01-01\n"), "line 1: expected YYYY-MM-DD,VALUE");
  EXPECT_EQ(error_of("2026-1-1,3\n"),
            "line 1: '2026-1-1' is not a date as YYYY-MM-DD (1900 to 2199)");
  EXPECT_EQ(error_of("2026-01-01,1\n2026-01-01,2\n"), "line 2: 2026-01-01 is there twice");
  for (const char* value : {"-1", "100.5", "1.2345", "ten", "", "1e3"}) {
    EXPECT_EQ(error_of(std::string("2026-01-01,") + value),
              std::string("line 1: '") + value +
                  "' is not a number of degree days from 0 to 100 with at most 3 decimals")
        << value;
  }
  // A header only on the first line: later text is a bad line.
  EXPECT_EQ(error_of("2026-01-01,1\nday,value\n"),
            "line 2: 'day' is not a date as YYYY-MM-DD (1900 to 2199)");
  EXPECT_EQ(error_of("1899-12-31,1"),
            "line 1: '1899-12-31' is not a date as YYYY-MM-DD (1900 to 2199)");
}

TEST(DegreeDays, TheLimitsHold) {
  EXPECT_EQ(error_of("2026-01-01," + std::string(kMaxDegreeDayLine, '1')),
            "line 1: longer than 200 bytes: one day a line, YYYY-MM-DD,VALUE");
  EXPECT_EQ(error_of(std::string(kMaxDegreeDayFile + 1, '\n')),
            "the file has more than 4 MiB: split it into years");
  std::string many;
  constexpr std::int64_t k19000101 = -25567;
  for (std::size_t i = 0; i <= kMaxDegreeDays; ++i)
    many += day_text(k19000101 + static_cast<std::int64_t>(i)) + ",1\n";
  EXPECT_EQ(error_of(many), "line 100001: more than 100000 days in one file: split it into years");
}

TEST(DegreeDays, ASumNeedsEveryDay) {
  const auto days = parse_degree_days("2026-01-01,1.5\n2026-01-02,2\n2026-01-04,3\n").value();
  EXPECT_EQ(degree_day_sum(days, k20260101, k20260101 + 2)->to_string(), "3.5");
  EXPECT_EQ(degree_day_sum(days, k20260101 + 1, k20260101 + 2)->to_string(), "2");
  EXPECT_FALSE(degree_day_sum(days, k20260101, k20260101 + 4)) << "2026-01-03 is missing";
  EXPECT_FALSE(degree_day_sum(days, k20260101 - 1, k20260101 + 1)) << "2025-12-31 is missing";
  EXPECT_FALSE(degree_day_sum(days, k20260101 + 3, k20260101 + 5)) << "2026-01-05 is missing";
  EXPECT_FALSE(degree_day_sum(days, k20260101, k20260101)) << "an empty range";
}

}  // namespace
}  // namespace ml::server
