// The store contract (store_contract.hpp) for alarms (store/alarms.hpp): rules, group time zones,
// states with their `for` times, episodes, the append-only transitions log and the round's bulk
// reads; run against every backend.
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

namespace al = core::alarm;

class StoreAlarmsContract : public StoreContract {
 protected:
  static AlarmRule rule(const std::string& name) {
    AlarmRule r;
    r.name = name;
    r.group = "Loppen";
    r.text = "age > 30 min";
    r.severity = al::Severity::critical;
    r.settle_s = 120;
    r.repeat_s = 900;
    r.quiet = "22:00-07:00";
    r.template_name = "offline";
    return r;
  }
  static al::State state(std::int64_t rule_id, const std::string& serial) {
    al::State s;
    s.rule_id = rule_id;
    s.serial = serial;
    s.episode = 7;
    s.status = al::Status::acknowledged;
    s.raised = 100;
    s.last_true = 160;
    s.acked_by = "anna";
    s.ack_note = "on it";
    s.snoozed_until = 500;
    s.next_repeat = 1000;
    s.repeat_count = 2;
    s.held = {{3, 90}, {12, 140}};
    return s;
  }
};

TEST_P(StoreAlarmsContract, RulesAreStoredUpdatedAndRemoved) {
  const AlarmRule r = rule("offline");
  const std::int64_t id = store_->insert_alarm_rule(r).value();
  const std::int64_t id2 = store_->insert_alarm_rule(rule("second")).value();
  EXPECT_NE(id, id2);
  auto got = store_->alarm_rule(id).value();
  ASSERT_TRUE(got);
  AlarmRule expected = r;
  expected.id = id;
  EXPECT_EQ(*got, expected);
  expected.enabled = false;
  expected.severity = al::Severity::info;
  expected.group = "";
  ASSERT_TRUE(store_->update_alarm_rule(expected).ok());
  EXPECT_EQ(*store_->alarm_rule(id).value(), expected);
  const auto all = store_->alarm_rules().value();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].id, id);
  EXPECT_EQ(all[1].name, "second");
  ASSERT_TRUE(store_->write_alarm_state(state(id, "6892850")).ok());
  ASSERT_TRUE(store_->remove_alarm_rule(id).ok());
  EXPECT_FALSE(store_->alarm_rule(id).value());
  EXPECT_TRUE(store_->alarm_states().value().empty()) << "its states go with it";
  EXPECT_FALSE(store_->remove_alarm_rule(id).ok()) << "no such rule";
  expected.id = id + 100;
  EXPECT_FALSE(store_->update_alarm_rule(expected).ok()) << "no such rule";
}

TEST_P(StoreAlarmsContract, RecipientsAndChannelsAreKept) {
  AlarmRule r = rule("to the customer");
  EXPECT_EQ(r.recipients, std::vector<AlarmRecipient>{AlarmRecipient::operators})
      << "the default is the operators only";
  EXPECT_TRUE(r.channels.empty()) << "the default is every channel";
  const std::int64_t id = store_->insert_alarm_rule(r).value();
  EXPECT_EQ(store_->alarm_rule(id).value()->recipients, r.recipients);
  EXPECT_TRUE(store_->alarm_rule(id).value()->channels.empty());
  r.id = id;
  r.recipients = {AlarmRecipient::operators, AlarmRecipient::customer};
  r.channels = {"sms", "mail-2"};
  ASSERT_TRUE(store_->update_alarm_rule(r).ok());
  EXPECT_EQ(*store_->alarm_rule(id).value(), r);
  r.recipients = {AlarmRecipient::customer};
  r.channels = {"hook"};
  ASSERT_TRUE(store_->update_alarm_rule(r).ok());
  EXPECT_EQ(store_->alarm_rules().value().at(0), r);
}

TEST_P(StoreAlarmsContract, GroupZonesAreSetAndReplaced) {
  EXPECT_TRUE(store_->group_zones().value().empty());
  ASSERT_TRUE(store_->set_group_zone("Loppen", "Europe/Copenhagen").ok());
  ASSERT_TRUE(store_->set_group_zone("Loppen", "America/New_York").ok());
  ASSERT_TRUE(store_->set_group_zone("", "UTC").ok());
  const auto zones = store_->group_zones().value();
  ASSERT_EQ(zones.size(), 2u);
  EXPECT_EQ(zones.at("Loppen"), "America/New_York");
  EXPECT_EQ(zones.at(""), "UTC");
}

TEST_P(StoreAlarmsContract, StatesKeepEveryFieldAndTheirForTimes) {
  const al::State s = state(1, "6892850");
  ASSERT_TRUE(store_->write_alarm_state(s).ok());
  auto all = store_->alarm_states().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], s);
  al::State changed = s;
  changed.status = al::Status::cleared;
  changed.held.clear();
  ASSERT_TRUE(store_->write_alarm_state(changed).ok());
  all = store_->alarm_states().value();
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0], changed);
  EXPECT_TRUE(store_->open_alarms().value().empty()) << "a cleared episode is not open";
  EXPECT_TRUE(store_->alarm_episode(7).value()) << "but it can still be found";
  EXPECT_FALSE(store_->alarm_episode(8).value());
  ASSERT_TRUE(store_->remove_alarm_state(1, "6892850").ok());
  EXPECT_TRUE(store_->alarm_states().value().empty());
}

TEST_P(StoreAlarmsContract, OpenAlarmsAreTheNewestRaisedFirst) {
  al::State a = state(1, "1");
  a.status = al::Status::raised;
  a.raised = 100;
  a.episode = 1;
  al::State b = state(2, "1");
  b.status = al::Status::notified;
  b.raised = 200;
  b.episode = 2;
  al::State none = state(3, "1");
  none.episode = 0;  // only `for` times kept
  none.status = al::Status::cleared;
  for (const auto& s : {a, b, none})
    ASSERT_TRUE(store_->write_alarm_state(s).ok());
  const auto open = store_->open_alarms().value();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].episode, 2);
  EXPECT_EQ(open[1].episode, 1);
}

TEST_P(StoreAlarmsContract, EpisodesAreNumberedUpwards) {
  const std::int64_t a = store_->new_alarm_episode(1, "1", 100).value();
  const std::int64_t b = store_->new_alarm_episode(1, "1", 200).value();
  EXPECT_GT(a, 0);
  EXPECT_GT(b, a);
}

TEST_P(StoreAlarmsContract, TransitionsAreReadPerMeterPerEpisodeAndRecent) {
  al::Transition t;
  t.episode = 5;
  t.rule_id = 1;
  t.serial = "1";
  t.time = 100;
  t.to = al::Status::raised;
  ASSERT_TRUE(store_->append_alarm_transition(t).ok());
  t.from = al::Status::raised;
  t.to = al::Status::acknowledged;
  t.time = 110;
  t.actor = "anna";
  t.note = "valve checked";
  ASSERT_TRUE(store_->append_alarm_transition(t).ok());
  t.episode = 6;
  t.serial = "2";
  ASSERT_TRUE(store_->append_alarm_transition(t).ok());

  const auto of_meter = store_->alarm_transitions_of_meter("1", 10).value();
  ASSERT_EQ(of_meter.size(), 2u);
  EXPECT_EQ(of_meter[0].to, al::Status::acknowledged) << "newest first";
  EXPECT_EQ(of_meter[0].from, al::Status::raised);
  EXPECT_EQ(of_meter[0].actor, "anna");
  EXPECT_EQ(of_meter[0].note, "valve checked");
  EXPECT_FALSE(of_meter[1].from) << "the episode began";
  EXPECT_GT(of_meter[0].id, of_meter[1].id);
  EXPECT_EQ(store_->alarm_transitions_of_episode(6).value().size(), 1u);
  EXPECT_EQ(store_->recent_alarm_transitions(2).value().size(), 2u);
  EXPECT_EQ(store_->recent_alarm_transitions(10).value().front().serial, "2");
  EXPECT_EQ(store_->alarm_transitions_of_meter("1", 1).value().size(), 1u);
}

TEST_P(StoreAlarmsContract, NewestSamplesAndValveStatesAreRead) {
  add_test_meter();
  ASSERT_TRUE(store_items(*store_,
                          {sample(1000, "heap=1&t1=50.00 C&e1=100 kWh"),
                           sample(1060, "heap=1&t1=51.00 C&e1=101 kWh"),
                           sample(1120, "heap=1&t1=52.00 C&e1=102 kWh"),
                           diag(1050, "status", "open"), diag(1100, "status", "close")},
                          2000)
                  .ok());
  const auto newest = store_->newest_samples("6892850", 2).value();
  ASSERT_EQ(newest.size(), 2u);
  EXPECT_EQ(newest[0].time, 1120);
  EXPECT_EQ(newest[1].time, 1060);
  EXPECT_EQ(newest[0].values.at("t1").value_or(""), "52.00");
  const auto valves = store_->valve_states().value();
  ASSERT_EQ(valves.count("6892850"), 1u);
  EXPECT_EQ(valves.at("6892850").status, "close");
  EXPECT_EQ(valves.at("6892850").since, 1100);
}

ML_STORE_CONTRACT(StoreAlarmsContract);

}  // namespace
}  // namespace ml::server::test_store
