// The store contract (store_contract.hpp) for the outbox of notifications and the contacts
// (store/notifications.hpp): run against every backend.
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreNotificationsContract : public StoreContract {
 protected:
  static StoredNotification message(const std::string& key, const std::string& recipient = "a@b.c",
                                    std::int64_t created = 100) {
    StoredNotification n;
    n.dedupe_key = key;
    n.channel = "mail";
    n.recipient = recipient;
    n.serial = "6892850";
    n.subject = "Varme \xC3\xA6";
    n.body = "line 1\nline 2";
    n.created = created;
    n.next_attempt = created;
    return n;
  }
};

TEST_P(StoreNotificationsContract, TheSameDedupeKeyIsStoredOnce) {
  auto first = store_->insert_notification(message("alarm:1:1")).value();
  EXPECT_TRUE(first.inserted);
  auto again = store_->insert_notification(message("alarm:1:1", "other@b.c")).value();
  EXPECT_FALSE(again.inserted);
  EXPECT_EQ(again.id, first.id);
  auto stored = store_->notification(first.id).value();
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->recipient, "a@b.c") << "the first one stays";
  EXPECT_EQ(stored->subject, "Varme \xC3\xA6");
  EXPECT_EQ(stored->body, "line 1\nline 2");
  EXPECT_EQ(stored->state, NotificationState::queued);
  EXPECT_EQ(store_->notification_by_key("alarm:1:1").value()->id, first.id);
  EXPECT_FALSE(store_->notification_by_key("alarm:1:2").value());
  EXPECT_FALSE(store_->notification(first.id + 10).value());
  EXPECT_TRUE(store_->insert_notification(message("alarm:1:2")).value().inserted);
}

TEST_P(StoreNotificationsContract, UpdatesAndDueMessages) {
  const auto a = store_->insert_notification(message("a", "a@b.c", 100)).value().id;
  const auto b = store_->insert_notification(message("b", "a@b.c", 50)).value().id;
  const auto c = store_->insert_notification(message("c", "a@b.c", 300)).value().id;
  auto due = store_->notifications_due(200, 10).value();
  ASSERT_EQ(due.size(), 2u);
  EXPECT_EQ(due[0].id, b) << "by next_attempt";
  EXPECT_EQ(due[1].id, a);
  EXPECT_EQ(store_->notifications_due(200, 1).value().size(), 1u);
  StoredNotification n = *store_->notification(b).value();
  n.state = NotificationState::sending;
  n.attempts = 1;
  n.last_attempt = 150;
  ASSERT_TRUE(store_->update_notification(n).ok());
  EXPECT_EQ(store_->notifications_due(200, 10).value().size(), 1u) << "sending is not due";
  EXPECT_EQ(store_->notifications_in_state(NotificationState::sending).value().size(), 1u);
  n.state = NotificationState::sent;
  n.sent_time = 160;
  ASSERT_TRUE(store_->update_notification(n).ok());
  auto got = *store_->notification(b).value();
  EXPECT_EQ(got.state, NotificationState::sent);
  EXPECT_EQ(got.sent_time, 160);
  EXPECT_EQ(got.attempts, 1);
  n = *store_->notification(c).value();
  n.state = NotificationState::rate_limited;
  n.next_attempt = 120;
  ASSERT_TRUE(store_->update_notification(n).ok());
  due = store_->notifications_due(200, 10).value();
  ASSERT_EQ(due.size(), 2u) << "rate-limited messages are due again when the window allows";
  EXPECT_EQ(due[0].id, a);
  EXPECT_EQ(due[1].id, c);
  n.id = 999;
  EXPECT_FALSE(store_->update_notification(n).ok());
}

TEST_P(StoreNotificationsContract, SentTimesPerRecipientAndTheLogNewestFirst) {
  for (int i = 0; i < 4; ++i) {
    auto n = message("k" + std::to_string(i), i % 2 == 0 ? "a@b.c" : "+4512345678");
    n.serial = i < 2 ? "6892850" : "0000040";
    const auto id = store_->insert_notification(n).value().id;
    n.id = id;
    n.state = NotificationState::sent;
    n.sent_time = 1000 + i;
    ASSERT_TRUE(store_->update_notification(n).ok());
  }
  EXPECT_EQ(store_->sent_times("a@b.c", 0).value(), (std::vector<std::int64_t>{1000, 1002}));
  EXPECT_EQ(store_->sent_times("a@b.c", 1001).value(), (std::vector<std::int64_t>{1002}));
  auto all = store_->notification_log({}).value();
  ASSERT_EQ(all.size(), 4u);
  EXPECT_EQ(all[0].dedupe_key, "k3");
  EXPECT_EQ(all[3].dedupe_key, "k0");
  NotificationFilter f;
  f.serial = "0000040";
  EXPECT_EQ(store_->notification_log(f).value().size(), 2u);
  f.recipient = "a@b.c";
  auto both = store_->notification_log(f).value();
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].dedupe_key, "k2");
  NotificationFilter limited;
  limited.limit = 3;
  EXPECT_EQ(store_->notification_log(limited).value().size(), 3u);
}

TEST_P(StoreNotificationsContract, ChannelActivity) {
  auto empty = store_->channel_activity("mail").value();
  EXPECT_EQ(empty.last_success, 0);
  EXPECT_EQ(empty.waiting, 0);
  auto sent = message("s");
  sent.id = store_->insert_notification(sent).value().id;
  sent.state = NotificationState::sent;
  sent.sent_time = 500;
  ASSERT_TRUE(store_->update_notification(sent).ok());
  auto failing = message("f");
  failing.id = store_->insert_notification(failing).value().id;
  failing.attempts = 2;
  failing.last_attempt = 600;
  failing.last_error = "connection refused";
  ASSERT_TRUE(store_->update_notification(failing).ok());
  store_->insert_notification(message("q")).value();
  auto other = message("o");
  other.channel = "sms";
  store_->insert_notification(other).value();
  auto a = store_->channel_activity("mail").value();
  EXPECT_EQ(a.last_success, 500);
  EXPECT_EQ(a.last_failure, 600);
  EXPECT_EQ(a.last_error, "connection refused");
  EXPECT_EQ(a.waiting, 2);
  EXPECT_EQ(a.failed, 0);
}

TEST_P(StoreNotificationsContract, Contacts) {
  add_test_meter();
  ASSERT_TRUE(
      store_->set_meter_contact("6892850", {"Anna Hansen", "anna@example.org", "+4512"}).ok());
  auto m = store_->meter("6892850").value();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->contact_name, "Anna Hansen");
  EXPECT_EQ(m->contact_email, "anna@example.org");
  EXPECT_EQ(m->contact_phone, "+4512");
  Meter changed = *m;
  changed.name = "Loppen 12";
  ASSERT_TRUE(store_->update_meter(changed).ok());
  EXPECT_EQ(store_->meter("6892850").value()->contact_email, "anna@example.org")
      << "update_meter keeps the contact";
  EXPECT_FALSE(store_->set_meter_contact("0000001", {}).ok());
  User u;
  u.name = "bo";
  u.password_hash = "h";
  ASSERT_TRUE(store_->add_user(u).ok());
  EXPECT_EQ(store_->user("bo").value()->email, "");
  ASSERT_TRUE(store_->set_user_contact("bo", {"bo@example.org", "+4587654321"}).ok());
  auto got = store_->user("bo").value();
  EXPECT_EQ(got->email, "bo@example.org");
  EXPECT_EQ(got->phone, "+4587654321");
  EXPECT_EQ(store_->users().value().at(0).phone, "+4587654321");
  EXPECT_FALSE(store_->set_user_contact("nobody", {}).ok());
}

TEST_P(StoreNotificationsContract, PrepaidNoticeStatesAreKeptPerMeter) {
  EXPECT_TRUE(store_->prepaid_notice_states().value().empty());
  ASSERT_TRUE(store_->write_prepaid_notice_state("6892850", {4, true, false}).ok());
  ASSERT_TRUE(store_->write_prepaid_notice_state("0000040", {1, false, true}).ok());
  ASSERT_TRUE(store_->write_prepaid_notice_state("6892850", {5, false, false}).ok());
  const auto states = store_->prepaid_notice_states().value();
  ASSERT_EQ(states.size(), 2u);
  EXPECT_EQ(states.at("6892850"), (PrepaidNoticeState{5, false, false}));
  EXPECT_EQ(states.at("0000040"), (PrepaidNoticeState{1, false, true}));
}

}  // namespace

ML_STORE_CONTRACT(StoreNotificationsContract);

}  // namespace ml::server::test_store
