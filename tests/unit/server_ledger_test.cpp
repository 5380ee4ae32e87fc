// The prepaid ledger's arithmetic (server/ledger.hpp) and the confirmation of an open_until
// echo, without a store.
#include <gtest/gtest.h>

#include "server/commands.hpp"
#include "server/ledger.hpp"

namespace ml::server {
namespace {

Payment entry(const std::string& amount, const std::string& price,
              PaymentState state = PaymentState::active) {
  Payment p;
  p.amount = core::Decimal::parse(amount).value();
  p.price = core::Decimal::parse(price).value();
  p.state = state;
  return p;
}

StoredSample at(std::int64_t time, const std::string& kwh) {
  StoredSample s;
  s.time = time;
  s.energy_kwh = kwh;
  return s;
}

TEST(ServerLedger, OpenUntilIsPaidPlusSetupValue) {
  Meter m;
  m.setup_value = core::Decimal::parse("12345.5").value();
  // 17.00 / 1.70 = 10; 5.10 / 0.85 = 6; 100 / 3 = 33.333333333 (9 decimals), a voided entry and a
  // price-0 entry (a fee) credit nothing.
  const std::vector<Payment> ledger{entry("17.00", "1.70"), entry("5.10", "0.85"),
                                    entry("100", "3"), entry("999", "1", PaymentState::voided),
                                    entry("50", "0")};
  EXPECT_EQ(paid(ledger).value().to_string(), "49.333");
  EXPECT_EQ(open_until_limit(m, ledger).value().to_string(), "12394.833");
  EXPECT_EQ(paid({}).value().to_string(), "0");
  // A refund (negative amount) takes energy back.
  EXPECT_EQ(paid({entry("17.00", "1.70"), entry("-8.50", "1.70")}).value().to_string(), "5");
  EXPECT_FALSE(parse_money("12,50", "--amount").ok());
}

// MeterLoggerWeb deletes a queued open_until when |echo - sent| < 1; the device echoes whole kWh
// (or m3 with 3 decimals) of what it stored.
TEST(ServerCommands, OpenUntilConfirmedByAnEchoLessThanOneAway) {
  Command c;
  c.command = "open_until";
  c.state = CommandState::sent;
  c.first_sent = 1000;
  c.argument = "14345.5882352941098";
  EXPECT_TRUE(confirms(c, "open_until", "14345", 1001));
  EXPECT_TRUE(confirms(c, "open_until", "14345.588", 1001));
  EXPECT_FALSE(confirms(c, "open_until", "14344", 1001));
  EXPECT_FALSE(confirms(c, "open_until", "14346.6", 1001));
  EXPECT_FALSE(confirms(c, "status", "14345", 1001));
  c.argument = "1001";
  EXPECT_FALSE(confirms(c, "open_until", "1000", 1001));  // an older limit's echo
  EXPECT_TRUE(confirms(c, "open_until", "1001", 1001));
  // What the device accepts, the queue accepts.
  EXPECT_TRUE(check_command("open_until", "14345.5882352941098").ok());
  EXPECT_TRUE(check_command("open_until", "14345.").ok());
  EXPECT_TRUE(check_command("open_until", "-5").ok());  // changes nothing, as on the original
  EXPECT_FALSE(check_command("open_until", "12,5").ok());
}

TEST(ServerLedger, RemainingAndTimeLeftFromTheLastDay) {
  const auto limit = core::Decimal::parse("1100").value();
  // 24 kWh used in 24 hours: 1 kWh/h; 76 kWh left at the latest sample: 76 hours.
  const std::vector<StoredSample> day{at(0, "1000"), at(43200, "1012"), at(86400, "1024")};
  const auto r = remaining(limit, day, false);
  ASSERT_TRUE(r.units);
  EXPECT_EQ(r.units->to_string(), "76");
  EXPECT_EQ(r.rate_per_hour, "1.000");
  ASSERT_TRUE(r.hours);
  EXPECT_DOUBLE_EQ(*r.hours, 76.0);
  // Past the limit: nothing left, no time.
  const auto over = remaining(core::Decimal::parse("1020").value(), day, false);
  EXPECT_EQ(over.units->to_string(), "-4");
  EXPECT_EQ(over.hours, 0.0);
  // One sample: what is left, but no rate.
  const auto one = remaining(limit, {at(0, "1000")}, false);
  EXPECT_EQ(one.units->to_string(), "100");
  EXPECT_FALSE(one.hours);
  EXPECT_FALSE(remaining(limit, {}, false).units);
}

}  // namespace
}  // namespace ml::server
