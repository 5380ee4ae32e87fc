// The summarising logger (src/platform/log/summary_log.hpp): first line per kind and interval,
// the rest counted and summarised, a budget of first lines across kinds.
#include "platform/log/summary_log.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ml::platform::log {
namespace {

using namespace std::chrono_literals;

struct Captured {
  std::vector<std::string> lines;
  SummaryLog::Sink sink() {
    return [this](Level, std::string_view l) { lines.emplace_back(l); };
  }
};

TEST(SummaryLog, FirstLineThenOneSummaryPerInterval) {
  Captured out;
  const auto t0 = SummaryLog::Clock::time_point{} + 1000s;
  {
    SummaryLog log(Level::warning, 60s, 20, out.sink());
    EXPECT_TRUE(log.note("6892850: bad_mac", "rejected 1", t0));
    for (int i = 0; i < 4999; ++i)
      EXPECT_FALSE(log.note("6892850: bad_mac", "rejected", t0 + 1s));
    EXPECT_TRUE(log.note("7654321: bad_mac", "other serial", t0 + 2s));
    ASSERT_EQ(out.lines.size(), 2u);
    log.flush(t0 + 59s);
    EXPECT_EQ(out.lines.size(), 2u) << "the interval has not ended";
    log.flush(t0 + 60s);
    ASSERT_EQ(out.lines.size(), 3u);
    EXPECT_EQ(out.lines[2], "6892850: bad_mac: 4999 more in the last 60 s");
    // A new interval: its first line is written again.
    EXPECT_TRUE(log.note("6892850: bad_mac", "rejected again", t0 + 61s));
    EXPECT_FALSE(log.note("6892850: bad_mac", "rejected", t0 + 62s));
  }
  // At the end everything held back is summarised.
  ASSERT_EQ(out.lines.size(), 5u);
  EXPECT_NE(out.lines[4].find("6892850: bad_mac: 1 more"), std::string::npos) << out.lines[4];
}

TEST(SummaryLog, ManyKindsShareABudget) {
  Captured out;
  const auto t0 = SummaryLog::Clock::time_point{} + 1000s;
  SummaryLog log(Level::warning, 60s, 3, out.sink());
  for (int i = 0; i < 2000; ++i)
    log.note("serial " + std::to_string(i), "line " + std::to_string(i), t0);
  EXPECT_EQ(out.lines.size(), 3u);
  log.flush(t0 + 60s);
  ASSERT_EQ(out.lines.size(), 4u);
  EXPECT_EQ(out.lines[3].rfind("1997 more lines held back in the last 60 s", 0), 0u)
      << out.lines[3];
}

}  // namespace
}  // namespace ml::platform::log
