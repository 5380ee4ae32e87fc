// queue_alarm_notification: the operators of the meter's group on each e-mail channel, every
// webhook once, nothing queued twice, nobody outside the group; a rule's recipients (the
// customer's contact) and channels.
#include "server/alarm_notices.hpp"

#include <gtest/gtest.h>

#include "server/sqlite/store.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

TEST(AlarmNotices, OperatorsOfTheGroupOnEveryChannel) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("server.db")).value();
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.group = "Loppen";
  ASSERT_TRUE(store->add_meter(m).ok());
  struct Person {
    const char* name;
    Role role;
    std::vector<std::string> groups;
    const char* email;
  };
  for (const Person& p : {Person{"anna", Role::admin, {"Loppen"}, "anna@example.org"},
                          Person{"bo", Role::admin, {"*"}, "bo@example.org"},
                          Person{"carl", Role::admin, {"Kildevang"}, "carl@example.org"},
                          Person{"dora", Role::viewer, {}, "dora@example.org"},
                          Person{"eik", Role::admin, {"Loppen"}, ""}}) {
    User u;
    u.name = p.name;
    u.password_hash = "h";
    u.role = p.role;
    u.groups = p.groups;
    ASSERT_TRUE(store->add_user(u).ok());
    ASSERT_TRUE(store->set_user_contact(p.name, {p.email, ""}).ok());
  }
  notify::NotifyConfig config;
  notify::ChannelConfig mail;
  mail.name = "mail";
  mail.type = notify::ChannelType::email;
  mail.email.host = "127.0.0.1";
  mail.email.from = "meterlogger@example.org";
  notify::ChannelConfig hook;
  hook.name = "hook";
  hook.type = notify::ChannelType::webhook;
  hook.webhook.url = "http://127.0.0.1:9/";
  config.channels = {mail, hook};

  AlarmNotification n;
  n.episode = 7;
  n.rule_id = 3;
  n.rule_name = "leak";
  n.serial = "6892850";
  n.severity = core::alarm::Severity::critical;
  n.kind = core::alarm::Notify::raised;
  n.time = 1'780'000'000;
  n.text = "critical: leak raised on 6892850: flow1 > 0 m3/h";
  auto q = queue_alarm_notification(*store, config, n, n.time);
  ASSERT_TRUE(q.ok()) << q.error().text();
  EXPECT_EQ(*q, 3) << "anna and bo by mail, one webhook";
  auto log = store->notification_log({}).value();
  std::set<std::string> to;
  for (const auto& e : log) {
    to.insert(e.channel + ":" + e.recipient);
    EXPECT_EQ(e.serial, "6892850");
    EXPECT_NE(e.subject.find("leak raised"), std::string::npos) << e.subject;
    EXPECT_NE(e.body.find("group Loppen"), std::string::npos) << e.body;
  }
  EXPECT_EQ(to, (std::set<std::string>{"mail:anna@example.org", "mail:bo@example.org", "hook:"}));
  // The same notification again queues nothing; a repeat later is a new message.
  EXPECT_EQ(queue_alarm_notification(*store, config, n, n.time).value(), 0);
  n.kind = core::alarm::Notify::repeat;
  n.time += 3600;
  EXPECT_EQ(queue_alarm_notification(*store, config, n, n.time).value(), 3);
}

// A rule's recipients and channels: the customer alone, on the channels it names.
TEST(AlarmNotices, CustomerOnlyOnTheRulesChannels) {
  test::TempDir dir;
  auto store = SqliteStore::open(dir.file("server.db")).value();
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.group = "Loppen";
  ASSERT_TRUE(store->add_meter(m).ok());
  ASSERT_TRUE(store->set_meter_contact("6892850", {"Kim", "kim@example.org", "+4512345678"}).ok());
  User anna;
  anna.name = "anna";
  anna.password_hash = "h";
  anna.role = Role::admin;
  anna.groups = {"Loppen"};
  ASSERT_TRUE(store->add_user(anna).ok());
  ASSERT_TRUE(store->set_user_contact("anna", {"anna@example.org", "+4587654321"}).ok());
  notify::NotifyConfig config;
  notify::ChannelConfig mail;
  mail.name = "mail";
  mail.type = notify::ChannelType::email;
  mail.email.host = "127.0.0.1";
  mail.email.from = "meterlogger@example.org";
  notify::ChannelConfig sms;
  sms.name = "sms";
  sms.type = notify::ChannelType::sms;
  notify::ChannelConfig hook;
  hook.name = "hook";
  hook.type = notify::ChannelType::webhook;
  hook.webhook.url = "http://127.0.0.1:9/";
  config.channels = {mail, sms, hook};

  AlarmNotification n;
  n.episode = 7;
  n.rule_id = 3;
  n.rule_name = "leak";
  n.serial = "6892850";
  n.kind = core::alarm::Notify::raised;
  n.time = 1'780'000'000;
  n.text = "critical: leak raised on 6892850";
  const auto sent_to = [&] {
    std::set<std::string> to;
    const auto log = store->notification_log({}).value();  // not a temporary's value in the for
    for (const auto& e : log)
      to.insert(e.channel + ":" + e.recipient);
    return to;
  };
  // The customer only, every channel: the customer's address and number, the webhook once.
  n.recipients = {AlarmRecipient::customer};
  EXPECT_EQ(queue_alarm_notification(*store, config, n, n.time).value(), 3);
  EXPECT_EQ(sent_to(), (std::set<std::string>{"mail:kim@example.org", "sms:+4512345678", "hook:"}))
      << "the operators do not get it";
  // Both, on mail and the webhook only.
  n.time += 60;
  n.recipients = {AlarmRecipient::operators, AlarmRecipient::customer};
  n.channels = {"mail", "hook"};
  const auto before = store->notification_log({}).value().size();
  EXPECT_EQ(queue_alarm_notification(*store, config, n, n.time).value(), 3);
  const auto log = store->notification_log({}).value();
  ASSERT_EQ(log.size(), before + 3);
  std::set<std::string> second;
  for (std::size_t i = 0; i < 3; ++i)
    second.insert(log[i].channel + ":" + log[i].recipient);
  EXPECT_EQ(second,
            (std::set<std::string>{"mail:anna@example.org", "mail:kim@example.org", "hook:"}))
      << "no SMS: not among the rule's channels";
  // A channel the rule names that is no longer configured is skipped.
  n.time += 60;
  n.recipients = {AlarmRecipient::customer};
  n.channels = {"pager", "sms"};
  EXPECT_EQ(queue_alarm_notification(*store, config, n, n.time).value(), 1);
  EXPECT_EQ(store->notification_log({}).value()[0].recipient, "+4512345678");
  // No customer contact: nothing for the customer.
  ASSERT_TRUE(store->set_meter_contact("6892850", {}).ok());
  n.time += 60;
  n.channels = {"mail", "sms"};
  EXPECT_EQ(queue_alarm_notification(*store, config, n, n.time).value(), 0);
}

}  // namespace
}  // namespace ml::server
