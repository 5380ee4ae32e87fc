// queue_alarm_notification: the operators of the meter's group on each e-mail channel, every
// webhook once, nothing queued twice, nobody outside the group.
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

}  // namespace
}  // namespace ml::server
