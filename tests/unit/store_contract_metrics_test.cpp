// The store contract (store_contract.hpp) for the aggregates of GET /metrics
// (store/metrics.hpp): meters by group and online, samples stored counted once, rejections by
// reason and serials, commands by state and their round trips, the outbox by channel and state,
// and the broker's health as `run` last heard it.
#include "server/commands.hpp"
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreMetricsContract : public StoreContract {};

TEST_P(StoreMetricsContract, AnEmptyStore) {
  auto m = store_->store_metrics(1000, 0).value();
  EXPECT_TRUE(m.groups.empty());
  EXPECT_EQ(m.samples_stored, 0);
  EXPECT_TRUE(m.rejected.empty());
  EXPECT_TRUE(m.commands.empty());
  EXPECT_EQ(m.newest_sample_time, 0);
  EXPECT_GT(m.database_bytes, 0);
  EXPECT_EQ(m.broker.time, 0);  // the broker not heard yet
}

// The broker's $SYS count as `run` last heard it; the latest replaces the one before.
TEST_P(StoreMetricsContract, TheBrokersHealthIsTheLatestRecorded) {
  EXPECT_EQ(store_->broker_health().value().time, 0);
  ASSERT_TRUE(store_->record_broker_health({12, 1000, 1000}).ok());
  ASSERT_TRUE(store_->record_broker_health({40, 1010, 1005}).ok());
  const auto m = store_->store_metrics(0, 0).value();
  EXPECT_EQ(m.broker.dropped, 40);
  EXPECT_EQ(m.broker.time, 1010);
  EXPECT_EQ(m.broker.increased, 1005);
  const auto h = store_->broker_health().value();
  EXPECT_EQ(h.dropped, 40);
  EXPECT_EQ(h.increased, 1005);
  EXPECT_EQ(m.samples_stored, 0);  // the counters beside it are untouched
}

TEST_P(StoreMetricsContract, CountsWhatWasStored) {
  add_test_meter();
  Meter other;
  other.serial = "5555555";
  other.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  other.group = "Loppen";
  ASSERT_TRUE(store_->add_meter(other).ok());
  ASSERT_TRUE(
      store_items(*store_,
                  {sample(1000, "heap=1&e1=1.000 kWh&"), sample(2000, "heap=1&e1=2.000 kWh&")},
                  2000)
          .ok());
  ASSERT_TRUE(
      store_items(*store_, {sample(2000, "heap=1&e1=2.000 kWh&")}, 2001).ok());  // a duplicate
  ASSERT_TRUE(store_items(*store_, {diag(2500, "version", "1.0")}, 2500).ok());
  Rejection r;
  r.reason = "bad_mac";
  r.serial = "7777777";
  r.time = 2000;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.reason = "bad_topic";
  r.serial = "";
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  Command c;
  c.serial = "6892850";
  c.command = "version";
  c.state = CommandState::acked;
  c.first_sent = 1000;
  c.reply_time = 1007;
  ASSERT_TRUE(store_->insert_command(c).ok());
  c.first_sent = 100;
  c.reply_time = 110;  // before the window
  ASSERT_TRUE(store_->insert_command(c).ok());
  c.state = CommandState::queued;
  c.first_sent = 0;
  c.reply_time = 0;
  ASSERT_TRUE(store_->insert_command(c).ok());
  StoredNotification n;
  n.dedupe_key = "a";
  n.channel = "sms";
  n.recipient = "+4512345678";
  n.subject = "s";
  n.created = 100;
  n.next_attempt = 100;
  ASSERT_TRUE(store_->insert_notification(n).ok());

  auto m = store_->store_metrics(2400, 500).value();
  ASSERT_EQ(m.groups.size(), 2u);
  EXPECT_EQ(m.groups[0].group, "");
  EXPECT_EQ(m.groups[0].meters, 1);
  EXPECT_EQ(m.groups[0].online, 1) << "seen at 2500 (a reply)";
  EXPECT_EQ(m.groups[1].group, "Loppen");
  EXPECT_EQ(m.groups[1].online, 0);
  EXPECT_EQ(store_->store_metrics(2600, 500).value().groups[0].online, 0);
  EXPECT_EQ(m.samples_stored, 2);
  EXPECT_EQ(m.newest_sample_time, 2000);
  EXPECT_EQ(m.rejected, (std::map<std::string, std::int64_t>{{"bad_mac", 2}, {"bad_topic", 1}}));
  EXPECT_EQ(m.rejected_serials, 1);
  EXPECT_EQ(m.commands, (std::map<std::string, std::int64_t>{{"acked", 2}, {"queued", 1}}));
  EXPECT_EQ(m.round_trips, (std::map<std::int64_t, std::int64_t>{{7, 1}}));
  EXPECT_EQ(m.notifications.size(), 1u);
  EXPECT_EQ(m.notifications.begin()->first.first, "sms");
  EXPECT_EQ(m.notifications.begin()->second, 1);
  EXPECT_TRUE(m.open_alarms.empty());
}

ML_STORE_CONTRACT(StoreMetricsContract);

}  // namespace
}  // namespace ml::server::test_store
