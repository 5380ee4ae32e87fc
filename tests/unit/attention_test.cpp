// attention(): which meters land in which list, in what order, and the exact fleet sums.
#include "server/attention.hpp"

#include <gtest/gtest.h>

namespace ml::server {
namespace {

using core::Decimal;

Decimal d(const char* text) {
  return *Decimal::parse(text);
}

MeterFacts meter(const char* serial, const char* group, bool online) {
  MeterFacts m;
  m.serial = serial;
  m.group = group;
  m.online = online;
  m.valve_installed = true;
  m.valve = "open";
  m.remaining = d("100");
  m.days_left = d("30");
  return m;
}

std::vector<std::string> serials(const std::vector<MeterFacts>& ms,
                                 const std::vector<std::size_t>& idx) {
  std::vector<std::string> out;
  for (auto i : idx)
    out.push_back(ms[i].serial);
  return out;
}

using S = std::vector<std::string>;

TEST(Attention, SortsMetersIntoTheLists) {
  std::vector<MeterFacts> ms = {
      meter("1", "A", true), meter("2", "A", false), meter("3", "B", false), meter("4", "B", true),
      meter("5", "B", true), meter("6", "A", true),  meter("7", "A", true)};
  ms[1].last_seen = 500;
  ms[2].last_seen = 100;
  ms[3].days_left = d("2.5");
  ms[4].days_left = d("0.75");
  ms[5].valve = "close";        // closed with 100 left
  ms[6].remaining = d("-0.4");  // used up, still open
  ms[6].days_left = d("0");
  const auto a = attention(ms, 20000, 19990, {});
  EXPECT_EQ(serials(ms, a.offline), (S{"3", "2"})) << "the longest silent first";
  EXPECT_EQ(serials(ms, a.running_out), (S{"5", "4"})) << "soonest first; 0 days is not here";
  EXPECT_EQ(serials(ms, a.closed_with_credit), (S{"6"}));
  EXPECT_EQ(serials(ms, a.used_up), (S{"7"}));
  // A meter without a valve has no prepaid state to watch.
  ms[3].valve_installed = false;
  EXPECT_EQ(serials(ms, attention(ms, 20000, 19990, {}).running_out), (S{"5"}));
}

TEST(Attention, SumsEachGroupsEnergyExactly) {
  auto a = meter("1", "A", true);
  auto b = meter("2", "A", false);
  auto c = meter("3", "B", true);
  auto w = meter("4", "A", true);
  w.water = true;
  a.daily = {{19980, d("100")}, {19995, d("10.5")}, {20000, d("1.25")}};
  b.daily = {{19995, d("0.5")}, {20000, d("2")}, {20001, d("99")}};
  c.daily = {{20000, d("7")}};
  w.daily = {{20000, d("3")}};  // m3: not energy
  const std::vector<MeterFacts> ms = {a, b, c, w};
  const auto r = attention(ms, 20000, 19990, {});
  ASSERT_EQ(r.groups.size(), 2u);
  const auto& ga = r.groups[0];
  EXPECT_EQ(ga.group, "A");
  EXPECT_EQ(ga.meters, 3);
  EXPECT_EQ(ga.online, 2);
  EXPECT_EQ(ga.offline, 1);
  EXPECT_EQ(ga.today.to_string(), "3.25");
  EXPECT_EQ(ga.month.to_string(), "14.25") << "day 19980 is before the month, 20001 after today";
  ASSERT_EQ(ga.daily.size(), static_cast<std::size_t>(kSummaryDays));
  EXPECT_EQ(ga.daily.front().first, 20000 - kSummaryDays + 1);
  EXPECT_EQ(ga.daily.back().first, 20000);
  EXPECT_EQ(ga.daily.back().second.to_string(), "3.25");
  EXPECT_EQ(
      ga.daily[static_cast<std::size_t>(19995 - (20000 - kSummaryDays + 1))].second.to_string(),
      "11.0");
  EXPECT_EQ(r.groups[1].group, "B");
  EXPECT_EQ(r.groups[1].today.to_string(), "7");
}

}  // namespace
}  // namespace ml::server
