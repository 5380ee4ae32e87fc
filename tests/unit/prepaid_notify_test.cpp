// run_prepaid_notices over a temporary SQLite store: a top-up once the valve reports open, to the
// customer's e-mail only, once; then "running low" when the estimate drops below the threshold;
// the meter's residents as each chose.
#include "server/prepaid_notify.hpp"

#include <gtest/gtest.h>

#include <set>

#include "server/ledger.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

constexpr std::int64_t kDay = 86400;
constexpr std::int64_t kT0 = 1'780'000'000;

IngestItem item(IngestItem::Kind kind, const std::string& function, std::int64_t time,
                const std::string& text) {
  IngestItem i;
  i.kind = kind;
  i.serial = "6892850";
  i.time = time;
  i.function = function;
  i.text = text;
  if (kind == IngestItem::Kind::sample) i.sample = core::sample::parse_sample(text).value();
  return i;
}

// Meter 6892850 with a valve and eight days at 1 kWh an hour (24 kWh a day) before kT0.
void add_meter_with_use(SqliteStore& store) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.name = "Loppen 12";
  m.valve_installed = true;
  ASSERT_TRUE(store.add_meter(m).ok());
  std::vector<IngestItem> items;
  for (int h = 0; h <= 192; ++h) {
    items.push_back(item(IngestItem::Kind::sample, "sample", kT0 - 8 * kDay + h * 3600,
                         "heap=1&e1=" + std::to_string(h) + " kWh&"));
  }
  ASSERT_TRUE(store_items(store, items, kT0).ok());
}

// Three more days used (to kT0 + 3 days): 48 kWh left of 312 paid, 2 days.
void use_three_more_days(SqliteStore& store) {
  std::vector<IngestItem> items;
  for (int h = 193; h <= 264; ++h) {
    items.push_back(item(IngestItem::Kind::sample, "sample", kT0 - 8 * kDay + h * 3600,
                         "heap=1&e1=" + std::to_string(h) + " kWh&"));
  }
  ASSERT_TRUE(store_items(store, items, kT0 + 3 * kDay).ok());
}

// 312 kWh paid at kT0 (120 left, 5 days), and the valve reported open at kT0 + 90.
void pay_and_open(SqliteStore& store) {
  Payment p;
  p.serial = "6892850";
  p.time = kT0;
  p.amount = core::Decimal::parse("312").value();
  p.price = core::Decimal::parse("1").value();
  ASSERT_TRUE(record_payment(store, p, "bo", kT0).ok());
  ASSERT_TRUE(
      store_items(store, {item(IngestItem::Kind::diagnostic, "status", kT0 + 90, "open")}, kT0 + 90)
          .ok());
}

// An e-mail channel "mail" and an SMS channel "sms".
notify::NotifyConfig mail_and_sms() {
  notify::NotifyConfig config;
  notify::ChannelConfig mail;
  mail.name = "mail";
  mail.type = notify::ChannelType::email;
  mail.email.host = "127.0.0.1";
  mail.email.from = "meterlogger@example.org";
  notify::ChannelConfig sms;
  sms.name = "sms";
  sms.type = notify::ChannelType::sms;
  config.channels = {mail, sms};
  return config;
}

TEST(PrepaidNotify, TopupOnceThenLowToTheCustomersAddress) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("server.db")).value();
  add_meter_with_use(*store);
  ASSERT_TRUE(store->set_meter_contact("6892850", {"Anna", "anna@example.org", ""}).ok());
  const auto config = mail_and_sms();
  usecase::DailyUseCache cache;

  // 312 kWh paid: 120 left, 5 days. The valve has not opened yet: nothing.
  Payment p;
  p.serial = "6892850";
  p.time = kT0;
  p.amount = core::Decimal::parse("312").value();
  p.price = core::Decimal::parse("1").value();
  ASSERT_TRUE(record_payment(*store, p, "bo", kT0).ok());
  auto r = run_prepaid_notices(*store, config, kT0 + 60, &cache);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->meters, 1);
  EXPECT_EQ(r->queued, 0);
  // The device reports the valve open: the top-up, by e-mail only (no phone), once.
  ASSERT_TRUE(store_items(*store, {item(IngestItem::Kind::diagnostic, "status", kT0 + 90, "open")},
                          kT0 + 90)
                  .ok());
  r = run_prepaid_notices(*store, config, kT0 + 120, &cache);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->queued, 1);
  auto log = store->notification_log({}).value();
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0].recipient, "anna@example.org");
  EXPECT_EQ(log[0].subject, "Payment received for Loppen 12 (meter 6892850)");
  EXPECT_NE(log[0].body.find("120 kWh paid for, about 5.00 days"), std::string::npos)
      << log[0].body;
  EXPECT_EQ(run_prepaid_notices(*store, config, kT0 + 180, &cache)->queued, 0);
  // Three more days used: 48 kWh left, 2 days: running low, once.
  use_three_more_days(*store);
  r = run_prepaid_notices(*store, config, kT0 + 3 * kDay + 60, &cache);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(r->queued, 1);
  log = store->notification_log({}).value();
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[0].subject, "Running low: Loppen 12 (meter 6892850)");
  EXPECT_EQ(run_prepaid_notices(*store, config, kT0 + 3 * kDay + 120, &cache)->queued, 0);
  EXPECT_TRUE(store->prepaid_notice_states().value().at("6892850").low_sent);
}

// The meter's residents get the notices as each chose (docs/residents.md, "Notices"): all of
// them by e-mail, the essential ones by SMS, none; and nobody twice at the contact's address.
TEST(PrepaidNotify, ResidentsGetTheNoticesTheyChoseOnTheirChannel) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("server.db")).value();
  add_meter_with_use(*store);
  ASSERT_TRUE(store->set_meter_contact("6892850", {"Anna", "anna@example.org", ""}).ok());
  const auto resident = [&](const std::string& email, const std::string& phone,
                            ResidentNotices notices, const std::string& channel,
                            const std::string& language = "") {
    Resident r;
    r.email = email;
    r.phone = phone;
    r.serials = {"6892850"};
    r.notices = notices;
    r.notice_channel = channel;
    r.language = language;
    ASSERT_TRUE(store->add_resident(r).ok());
  };
  resident("bo@example.org", "+4511111111", ResidentNotices::all, "");  // e-mail, all
  resident("", "+4522222222", ResidentNotices::essential, "", "da");    // SMS, essential, Danish
  resident("carl@example.org", "+4533333333", ResidentNotices::all, "sms");  // SMS, all
  resident("dora@example.org", "", ResidentNotices::none, "");               // none
  resident("ANNA@example.org", "", ResidentNotices::all, "");  // the contact's own address
  const auto config = mail_and_sms();
  usecase::DailyUseCache cache;
  pay_and_open(*store);
  auto r = run_prepaid_notices(*store, config, kT0 + 120, &cache);
  ASSERT_TRUE(r.ok()) << r.error().text();
  const auto to = [&](const std::string& subject_start) {
    std::multiset<std::string> out;
    const auto log = store->notification_log({}).value();  // kept: the loop reads it
    for (const auto& n : log)
      if (n.subject.rfind(subject_start, 0) == 0) out.insert(n.channel + ":" + n.recipient);
    return out;
  };
  EXPECT_EQ(to("Payment received"),
            (std::multiset<std::string>{"mail:anna@example.org", "mail:bo@example.org",
                                        "sms:+4533333333"}));
  use_three_more_days(*store);
  r = run_prepaid_notices(*store, config, kT0 + 3 * kDay + 60, &cache);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ(to("Running low"),
            (std::multiset<std::string>{"mail:anna@example.org", "mail:bo@example.org",
                                        "sms:+4533333333"}));
  // In the resident's language.
  EXPECT_EQ(to("Saldoen er lav: Loppen 12 (måler 6892850)"),
            (std::multiset<std::string>{"sms:+4522222222"}));
  NotificationFilter danish;
  danish.recipient = "+4522222222";
  const auto said = store->notification_log(danish).value();
  ASSERT_EQ(said.size(), 1u);
  EXPECT_NE(said[0].body.find("48 kWh betalt, cirka 2.00 dage"), std::string::npos) << said[0].body;
  // A meter with residents and no contact is looked at too.
  ASSERT_TRUE(store->set_meter_contact("6892850", {"", "", ""}).ok());
  EXPECT_EQ(run_prepaid_notices(*store, config, kT0 + 3 * kDay + 120, &cache)->meters, 1);
}

// A resident with a threshold of their own hears "running low" by it, once, and not again when
// the cooperative's threshold is crossed; the others hear it at the cooperative's.
TEST(PrepaidNotify, AResidentsOwnThresholdSendsTheirRunningLowOnce) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("server.db")).value();
  add_meter_with_use(*store);
  Resident early;
  early.email = "early@example.org";
  early.serials = {"6892850"};
  early.low_days = 7;
  early.notices = ResidentNotices::essential;
  const auto early_id = store->add_resident(early).value();
  Resident usual;
  usual.email = "usual@example.org";
  usual.serials = {"6892850"};
  usual.notices = ResidentNotices::essential;
  ASSERT_TRUE(store->add_resident(usual).ok());
  const auto config = mail_and_sms();
  usecase::DailyUseCache cache;
  const auto lows_to = [&](const std::string& to) {
    NotificationFilter f;
    f.recipient = to;
    const auto log = store->notification_log(f).value();  // kept: the loop reads it
    int n = 0;
    for (const auto& m : log)
      n += m.subject.rfind("Running low", 0) == 0 ? 1 : 0;
    return n;
  };
  // 5 days left after the payment: below 7, above 3.
  pay_and_open(*store);
  ASSERT_TRUE(run_prepaid_notices(*store, config, kT0 + 120, &cache).ok());
  EXPECT_EQ(lows_to("early@example.org"), 1);
  EXPECT_EQ(lows_to("usual@example.org"), 0);
  EXPECT_TRUE((store->resident_prepaid_states().value()[{early_id, "6892850"}].low_sent));
  ASSERT_TRUE(run_prepaid_notices(*store, config, kT0 + 180, &cache).ok());
  EXPECT_EQ(lows_to("early@example.org"), 1) << "once";
  // 2 days left: the cooperative's threshold; the early one was told already.
  use_three_more_days(*store);
  ASSERT_TRUE(run_prepaid_notices(*store, config, kT0 + 3 * kDay + 60, &cache).ok());
  EXPECT_EQ(lows_to("early@example.org"), 1);
  EXPECT_EQ(lows_to("usual@example.org"), 1);
}

}  // namespace
}  // namespace ml::server
