// prepaid_step: top-up once the valve opens, low with hysteresis, closed once per period.
#include "server/prepaid_notice.hpp"

#include <gtest/gtest.h>

namespace ml::server {
namespace {

using core::Decimal;
using core::alarm::ValveState;

Decimal dec(const char* text) {
  return *Decimal::parse(text);
}

std::vector<std::string> kinds(const PrepaidStep& step) {
  std::vector<std::string> out;
  for (const auto& n : step.notices)
    out.emplace_back(prepaid_notice_name(n.kind));
  return out;
}

PrepaidFacts paid(std::int64_t payment, ValveState valve, const char* remaining,
                  const char* days_left) {
  PrepaidFacts f;
  f.valve = valve;
  f.newest_payment_id = payment;
  f.newest_payment_time = 1000;
  f.remaining = dec(remaining);
  if (days_left) f.days_left = dec(days_left);
  return f;
}

using Kinds = std::vector<std::string>;

TEST(PrepaidNotice, TopupWaitsForTheValveToOpen) {
  const PrepaidNoticeConfig config;
  auto step = prepaid_step("6892850", {}, paid(1, ValveState::closed, "100", "20"), config, 1010);
  EXPECT_EQ(kinds(step), Kinds{});
  EXPECT_EQ(step.state.announced_payment_id, 0);
  step = prepaid_step("6892850", step.state, paid(1, ValveState::open, "100", "20"), config, 1070);
  ASSERT_EQ(kinds(step), Kinds{"topup"});
  EXPECT_EQ(step.notices[0].payment_id, 1);
  EXPECT_EQ(step.notices[0].dedupe_key, "prepaid:6892850:topup:1:1070");
  // Announced once.
  step = prepaid_step("6892850", step.state, paid(1, ValveState::open, "100", "20"), config, 1130);
  EXPECT_EQ(kinds(step), Kinds{});
}

TEST(PrepaidNotice, TopupAfterAnHourWithoutTheValveAndAtOnceWithoutOne) {
  const PrepaidNoticeConfig config;
  auto f = paid(4, ValveState::unknown, "100", nullptr);
  EXPECT_EQ(kinds(prepaid_step("1", {}, f, config, 1000 + kTopupWaitSeconds - 1)), Kinds{});
  EXPECT_EQ(kinds(prepaid_step("1", {}, f, config, 1000 + kTopupWaitSeconds)), Kinds{"topup"});
  f.valve_installed = false;
  EXPECT_EQ(kinds(prepaid_step("1", {}, f, config, 1001)), Kinds{"topup"});
}

TEST(PrepaidNotice, LowOnceWithHysteresis) {
  const PrepaidNoticeConfig config;  // low below 3 days, again after 4 days or more
  PrepaidNoticeState s{1, false, false};
  std::vector<std::pair<const char*, Kinds>> days = {{"5", {}},   {"2.9", {"low"}}, {"3.1", {}},
                                                     {"2.8", {}}, {"3.9", {}},      {"2.5", {}},
                                                     {"4", {}},   {"2.9", {"low"}}};
  for (const auto& [d, expected] : days) {
    auto step = prepaid_step("1", s, paid(1, ValveState::open, "50", d), config, 2000);
    EXPECT_EQ(kinds(step), expected) << "days_left " << d;
    s = step.state;
  }
  // Unknown never sends and never re-arms.
  auto step = prepaid_step("1", s, paid(1, ValveState::open, "50", nullptr), config, 2000);
  EXPECT_EQ(kinds(step), Kinds{});
  EXPECT_TRUE(step.state.low_sent);
}

TEST(PrepaidNotice, ClosedOncePerPeriodAndATopupRearmsEverything) {
  const PrepaidNoticeConfig config;
  PrepaidNoticeState s{1, true, false};
  auto step = prepaid_step("1", s, paid(1, ValveState::closed, "0", "0"), config, 3000);
  EXPECT_EQ(kinds(step), Kinds{"closed"});
  step = prepaid_step("1", step.state, paid(1, ValveState::closed, "-0.4", "0"), config, 3060);
  EXPECT_EQ(kinds(step), Kinds{}) << "still the same closing";
  // Closed with credit left (a manual close) is not this notice.
  EXPECT_EQ(kinds(prepaid_step("1", {1, false, false}, paid(1, ValveState::closed, "10", "9"),
                               config, 3000)),
            Kinds{});
  // A new payment: the valve opens, the top-up is announced, low may come again.
  step = prepaid_step("1", step.state, paid(2, ValveState::open, "1", "1"), config, 4000);
  EXPECT_EQ(kinds(step), (Kinds{"topup", "low"}));
  EXPECT_FALSE(step.state.closed_sent);
}

}  // namespace
}  // namespace ml::server
