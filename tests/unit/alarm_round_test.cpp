// The alarm engine (server/alarm_round.hpp) over a temporary SQLite store with a fake clock:
// templates, rounds raising, repeating, acknowledging and clearing, `for` times kept across a
// restart, broken rules reported, groups, the credit terms, units, and the backtest.
#include "server/alarm_round.hpp"

#include <gtest/gtest.h>

#include "server/ledger.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

namespace al = core::alarm;

constexpr std::int64_t kT0 = 1'780'000'000;  // 2026-05-28T20:26:40Z (quiet hours are off)

class AlarmRoundTest : public ::testing::Test {
 protected:
  void SetUp() override { open(); }
  void open() {
    store_.reset();
    store_ = SqliteStore::open(dir_.file("s/server.db")).value();
  }
  void add_meter(const std::string& serial, const std::string& group, bool valve = false) {
    Meter m;
    m.serial = serial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.group = group;
    m.valve_installed = valve;
    ASSERT_TRUE(store_->add_meter(m).ok());
  }
  void sample(const std::string& serial, std::int64_t time, const std::string& text) {
    IngestItem i;
    i.kind = IngestItem::Kind::sample;
    i.serial = serial;
    i.time = time;
    i.function = "sample";
    i.text = text;
    i.sample = core::sample::parse_sample(text).value();
    ASSERT_TRUE(store_items(*store_, {i}, time).ok());
  }
  void status(const std::string& serial, std::int64_t time, const std::string& text) {
    IngestItem i;
    i.kind = IngestItem::Kind::diagnostic;
    i.serial = serial;
    i.time = time;
    i.function = "status";
    i.text = text;
    ASSERT_TRUE(store_items(*store_, {i}, time).ok());
  }
  std::int64_t rule(const std::string& text, const std::string& group = "",
                    al::Severity severity = al::Severity::warning, std::int64_t settle = 600) {
    AlarmRule r;
    r.name = "r";
    r.text = text;
    r.group = group;
    r.severity = severity;
    r.settle_s = settle;
    return add_alarm_rule(*store_, r, {}).value();
  }
  RoundResult round(std::int64_t now) {
    auto r = run_alarm_round(*store_, now);
    EXPECT_TRUE(r.ok()) << r.error().text();
    return r.ok() ? std::move(r).value() : RoundResult{};
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST(AlarmTemplates, EveryTemplateParsesAndPrintsCanonical) {
  for (const auto& t : kAlarmTemplates) {
    auto r = al::parse_rule(t.text);
    ASSERT_TRUE(r.ok()) << t.name << ": " << r.error().text();
    EXPECT_EQ(al::print_rule(*r), t.text) << t.name << " is written canonically";
    EXPECT_FALSE(t.description.empty());
    EXPECT_EQ(find_alarm_template(t.name), &t);
  }
  EXPECT_EQ(find_alarm_template("nope"), nullptr);
}

TEST_F(AlarmRoundTest, OfflineRaisesRepeatsIsAcknowledgedAndClears) {
  add_meter("1", "Loppen");
  sample("1", kT0, "heap=1&t1=50.00 C");
  rule("age > 30 min", "", al::Severity::warning, 300);
  EXPECT_TRUE(round(kT0 + 60).notifications.empty());
  RoundResult r = round(kT0 + 31 * 60);
  ASSERT_EQ(r.notifications.size(), 1u);
  const AlarmNotification n = r.notifications[0];
  EXPECT_EQ(n.kind, al::Notify::raised);
  EXPECT_EQ(n.serial, "1");
  EXPECT_GT(n.episode, 0);
  EXPECT_NE(n.text.find("raised on 1"), std::string::npos) << n.text;
  EXPECT_EQ(r.transitions, 2);
  EXPECT_TRUE(round(kT0 + 32 * 60).notifications.empty()) << "once per episode";
  r = round(kT0 + 31 * 60 + 3600);
  ASSERT_EQ(r.notifications.size(), 1u);
  EXPECT_EQ(r.notifications[0].kind, al::Notify::repeat);
  EXPECT_EQ(r.notifications[0].episode, n.episode);
  ASSERT_EQ(store_->open_alarms().value().size(), 1u);

  EXPECT_FALSE(acknowledge_alarm(*store_, n.episode + 1, "anna", "", kT0).ok());
  ASSERT_TRUE(acknowledge_alarm(*store_, n.episode, "anna", "power cut", kT0 + 2 * 3600).ok());
  EXPECT_TRUE(round(kT0 + 31 * 60 + 3 * 3600).notifications.empty()) << "acknowledged: quiet";

  EXPECT_TRUE(round(kT0 + 4 * 3600 - 60).notifications.empty()) << "still offline";
  sample("1", kT0 + 4 * 3600, "heap=1&t1=50.00 C");
  EXPECT_TRUE(round(kT0 + 4 * 3600 + 60).notifications.empty()) << "settling";
  r = round(kT0 + 4 * 3600 + 240);  // 300 s after it last fired
  ASSERT_EQ(r.notifications.size(), 1u);
  EXPECT_EQ(r.notifications[0].kind, al::Notify::cleared);
  EXPECT_TRUE(store_->open_alarms().value().empty());
  const auto history = store_->alarm_transitions_of_episode(n.episode).value();
  ASSERT_EQ(history.size(), 4u);  // raised, notified, acknowledged, cleared (newest first)
  EXPECT_EQ(history[0].to, al::Status::cleared);
  EXPECT_EQ(history[1].actor, "anna");
  EXPECT_EQ(history[1].note, "power cut");
}

TEST_F(AlarmRoundTest, ForTimesSurviveARestart) {
  add_meter("1", "");
  rule("t1 > 60 C for 5 min");
  for (int i = 0; i <= 3; ++i)
    sample("1", kT0 + i * 60, "heap=1&t1=70.00 C");
  EXPECT_TRUE(round(kT0).notifications.empty());
  EXPECT_TRUE(round(kT0 + 180).notifications.empty());
  open();  // the server restarts
  for (int i = 4; i <= 5; ++i)
    sample("1", kT0 + i * 60, "heap=1&t1=70.00 C");
  EXPECT_TRUE(round(kT0 + 240).notifications.empty());
  EXPECT_EQ(round(kT0 + 300).notifications.size(), 1u) << "held since kT0";
}

TEST_F(AlarmRoundTest, ABrokenRuleIsReportedAndTheOthersRun) {
  add_meter("1", "");
  sample("1", kT0, "heap=1&t1=50.00 C");
  AlarmRule broken;
  broken.name = "broken";
  broken.text = "age >> 5";
  const std::int64_t id = store_->insert_alarm_rule(broken).value();
  rule("age > 1 min");
  const RoundResult r = round(kT0 + 120);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_EQ(r.problems[0].rule_id, id);
  EXPECT_NE(r.problems[0].detail.find("no longer parses"), std::string::npos);
  EXPECT_EQ(r.notifications.size(), 1u);
}

TEST(AlarmRuleCheck, RecipientsAndChannelsAreCheckedAndCanonical) {
  AlarmRule r;
  r.name = "leak";
  r.text = "flow1>0 m3/h";
  r.recipients = {AlarmRecipient::customer, AlarmRecipient::operators, AlarmRecipient::customer};
  r.channels = {"sms", "mail", "sms"};
  ASSERT_TRUE(check_alarm_rule(r, {"mail", "sms", "hook"}).ok());
  EXPECT_EQ(r.text, "flow1 > 0 m3/h");
  EXPECT_EQ(r.recipients,
            (std::vector<AlarmRecipient>{AlarmRecipient::operators, AlarmRecipient::customer}));
  EXPECT_EQ(r.channels, (std::vector<std::string>{"sms", "mail"}));
  r.channels = {"pager"};
  auto bad = check_alarm_rule(r, {"mail", "sms"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("\"pager\""), std::string::npos) << bad.error().detail;
  EXPECT_NE(bad.error().detail.find("configured: mail, sms"), std::string::npos)
      << bad.error().detail;
  bad = check_alarm_rule(r, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("none is configured"), std::string::npos) << bad.error().detail;
  r.channels.clear();
  r.recipients.clear();
  bad = check_alarm_rule(r, {});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().detail.find("to:"), std::string::npos) << bad.error().detail;
}

TEST_F(AlarmRoundTest, AChannelNoLongerConfiguredIsReported) {
  add_meter("1", "Loppen");
  sample("1", kT0, "heap=1&t1=70.00 C");
  AlarmRule r;
  r.name = "flow";
  r.text = "t1 > 60 C";
  r.settle_s = 0;
  r.channels = {"sms"};
  const auto id = add_alarm_rule(*store_, r, {"mail", "sms"}).value();
  RoundOptions options;
  options.channel_names = std::vector<std::string>{"mail"};
  std::vector<AlarmNotification> handed;
  options.hand_off = [&](const AlarmNotification& n) {
    handed.push_back(n);
    return core::Status{core::Ok{}};
  };
  auto result = run_alarm_round(*store_, kT0 + 60, options).value();
  ASSERT_EQ(result.problems.size(), 1u);
  EXPECT_EQ(result.problems[0].rule_id, id);
  EXPECT_NE(result.problems[0].detail.find("\"sms\", which is not configured"), std::string::npos)
      << result.problems[0].detail;
  ASSERT_EQ(handed.size(), 1u) << "the rule still runs";
  EXPECT_EQ(handed[0].channels, std::vector<std::string>{"sms"});
  EXPECT_EQ(handed[0].recipients, std::vector<AlarmRecipient>{AlarmRecipient::operators});
}

TEST_F(AlarmRoundTest, EditingARuleKeepsItsAlarmsAndRestartsItsForTimes) {
  add_meter("1", "Loppen");
  sample("1", kT0, "heap=1&t1=70.00 C");
  AlarmRule r;
  r.name = "flow";
  r.text = "t1 > 60 C for 10 min";
  r.settle_s = 0;
  r.id = add_alarm_rule(*store_, r, {}).value();
  round(kT0 + 60);
  ASSERT_EQ(store_->alarm_states().value().size(), 1u);
  EXPECT_FALSE(store_->alarm_states().value()[0].held.empty()) << "the for time is kept";
  r.name = "flow renamed";
  ASSERT_TRUE(edit_alarm_rule(*store_, r, {}, "anna", kT0 + 120).ok());
  EXPECT_FALSE(store_->alarm_states().value()[0].held.empty()) << "same text: kept";
  r.text = "t1 > 60 C for 20 min";
  r.recipients = {AlarmRecipient::customer};
  ASSERT_TRUE(edit_alarm_rule(*store_, r, {}, "anna", kT0 + 120).ok());
  EXPECT_TRUE(store_->alarm_states().value()[0].held.empty()) << "a new text starts again";
  const auto stored = store_->alarm_rule(r.id).value().value();
  EXPECT_EQ(stored.name, "flow renamed");
  EXPECT_EQ(stored.recipients, std::vector<AlarmRecipient>{AlarmRecipient::customer});
  r.id += 100;
  EXPECT_FALSE(edit_alarm_rule(*store_, r, {}, "anna", kT0 + 120).ok()) << "no such rule";
  r.id -= 100;
  r.text = "flow1 >";
  EXPECT_FALSE(edit_alarm_rule(*store_, r, {}, "anna", kT0 + 120).ok())
      << "a rule that does not parse";
  EXPECT_EQ(store_->alarm_rule(r.id).value()->text, "t1 > 60 C for 20 min");
}

TEST_F(AlarmRoundTest, MovingARuleToAnotherGroupClearsItsAlarmsOutsideIt) {
  add_meter("1", "Loppen");
  add_meter("2", "Kildevang");
  sample("1", kT0, "heap=1&t1=70.00 C");
  sample("2", kT0, "heap=1&t1=70.00 C");
  AlarmRule r;
  r.name = "hot";
  r.text = "t1 > 60 C";
  r.settle_s = 0;
  r.id = add_alarm_rule(*store_, r, {}).value();
  EXPECT_EQ(round(kT0 + 60).notifications.size(), 2u);
  ASSERT_EQ(store_->open_alarms().value().size(), 2u);
  r.group = "Kildevang";
  ASSERT_TRUE(edit_alarm_rule(*store_, r, {}, "anna", kT0 + 120).ok());
  const auto open = store_->open_alarms().value();
  ASSERT_EQ(open.size(), 1u);
  EXPECT_EQ(open[0].serial, "2") << "still in the rule's group";
  const auto history = store_->alarm_transitions_of_meter("1", 10).value();
  ASSERT_FALSE(history.empty());
  EXPECT_EQ(history[0].to, al::Status::cleared);
  EXPECT_EQ(history[0].actor, "anna");
  EXPECT_EQ(history[0].note, "rule moved to group Kildevang");
  r.group = "";
  ASSERT_TRUE(edit_alarm_rule(*store_, r, {}, "anna", kT0 + 180).ok());
  EXPECT_EQ(store_->open_alarms().value().size(), 1u) << "every group: nothing to clear";
}

TEST_F(AlarmRoundTest, RulesApplyToTheirGroupOnlyAndDisabledOnesNot) {
  add_meter("1", "A");
  add_meter("2", "B");
  sample("1", kT0, "heap=1&t1=50.00 C");
  sample("2", kT0, "heap=1&t1=50.00 C");
  rule("age > 1 min", "A");
  const std::int64_t off = rule("age > 1 min");
  auto r = store_->alarm_rule(off).value().value();
  r.enabled = false;
  ASSERT_TRUE(store_->update_alarm_rule(r).ok());
  const RoundResult result = round(kT0 + 120);
  ASSERT_EQ(result.notifications.size(), 1u);
  EXPECT_EQ(result.notifications[0].serial, "1");
  EXPECT_EQ(result.evaluations, 1);
}

TEST_F(AlarmRoundTest, DisablingARuleClearsItsOpenAlarms) {
  add_meter("1", "");
  sample("1", kT0, "heap=1&t1=50.00 C");
  const std::int64_t id = rule("age > 1 min");
  ASSERT_EQ(round(kT0 + 120).notifications.size(), 1u);
  ASSERT_EQ(store_->open_alarms().value().size(), 1u);
  ASSERT_TRUE(set_alarm_rule_enabled(*store_, id, false, "anna", kT0 + 180).ok());
  EXPECT_TRUE(store_->open_alarms().value().empty());
  const auto t = store_->alarm_transitions_of_meter("1", 1).value();
  ASSERT_EQ(t.size(), 1u);
  EXPECT_EQ(t[0].to, al::Status::cleared);
  EXPECT_EQ(t[0].actor, "anna");
  EXPECT_EQ(t[0].note, "rule disabled");
  EXPECT_TRUE(round(kT0 + 240).notifications.empty());
  ASSERT_TRUE(set_alarm_rule_enabled(*store_, id, true, "anna", kT0 + 300).ok());
  EXPECT_EQ(round(kT0 + 360).notifications.size(), 1u) << "a new episode";
  EXPECT_FALSE(set_alarm_rule_enabled(*store_, id + 1, true, "anna", kT0).ok());
}

TEST_F(AlarmRoundTest, ValveAndDeltaTermsComeFromTheStore) {
  add_meter("1", "", true);
  sample("1", kT0, "heap=1&e1=100 kWh&flow1=120 l/h");
  status("1", kT0, "close");
  sample("1", kT0 + 1800, "heap=1&e1=99 kWh&flow1=120 l/h");
  rule("valve == closed for 10 min and flow1 > 0.1 m3/h");
  rule("delta(e1, 1 h) < 0 kWh");
  const RoundResult r = round(kT0 + 1860);
  EXPECT_EQ(r.notifications.size(), 2u);
}

TEST_F(AlarmRoundTest, CreditTermsComeFromTheLedgerAndTheEstimate) {
  add_meter("1", "");
  // Eight days at 1 kWh an hour, then 200 kWh paid: 8 kWh left, a third of a day.
  const std::int64_t start = kT0 - 8 * 86400;
  for (int h = 0; h <= 192; ++h)
    sample("1", start + h * 3600, "heap=1&e1=" + std::to_string(h) + " kWh");
  Payment p;
  p.serial = "1";
  p.time = kT0;
  p.amount = core::Decimal::parse("200").value();
  p.price = core::Decimal::parse("1").value();
  ASSERT_TRUE(record_payment(*store_, p, "anna", kT0).ok());
  const std::int64_t id = rule("credit_kwh < 50 kWh and days_left < 1");
  // The round's days_left is the estimate every screen shows.
  const auto shown = usecase::days_left(*store_, "1", kT0 + 60).value();
  ASSERT_TRUE(shown);
  EXPECT_EQ(shown->to_string(), "0.33");
  // The hand-off runs inside the round's transaction: its error undoes the round.
  RoundOptions failing;
  failing.hand_off = [](const AlarmNotification&) -> core::Status {
    return core::make_error(core::Errc::notify_failure, "outbox full");
  };
  auto r = run_alarm_round(*store_, kT0 + 60, failing);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().text().find("outbox full"), std::string::npos);
  EXPECT_TRUE(store_->open_alarms().value().empty()) << "nothing of the failed round is kept";
  usecase::DailyUseCache cache;
  std::vector<AlarmNotification> handed;
  RoundOptions options;
  options.daily_use = &cache;
  options.hand_off = [&](const AlarmNotification& n) -> core::Status {
    handed.push_back(n);
    return core::Ok{};
  };
  auto ok = run_alarm_round(*store_, kT0 + 60, options);
  ASSERT_TRUE(ok.ok()) << ok.error().text();
  ASSERT_EQ(handed.size(), 1u);
  EXPECT_EQ(handed[0].rule_id, id);
  EXPECT_EQ(handed[0].serial, "1");
  EXPECT_EQ(ok->notifications.size(), 1u);
  EXPECT_EQ(store_->open_alarms().value().size(), 1u);
}

TEST(AlarmKeys, ValuesAreInBaseUnits) {
  StoredSample s;
  s.values = {{"flow1", "120"}, {"hr", "2"}, {"effect1", "1500"}, {"t1", "50.5"}};
  s.units = {{"flow1", "l/h"}, {"hr", "h"}, {"effect1", "W"}, {"t1", "C"}};
  s.energy_kwh = "1500.0";
  EXPECT_EQ(key_value(s, "flow1")->to_string(), "0.120");
  EXPECT_EQ(key_value(s, "hr")->to_string(), "7200");
  EXPECT_EQ(key_value(s, "effect1")->to_string(), "1.500");
  EXPECT_EQ(key_value(s, "t1")->to_string(), "50.5");
  EXPECT_EQ(key_value(s, "e1")->to_string(), "1500.0");
  EXPECT_FALSE(key_value(s, "v1"));
  EXPECT_FALSE(key_value(s, "t2"));
}

TEST_F(AlarmRoundTest, TheBacktestReplaysWithoutWriting) {
  add_meter("1", "");
  for (int i = 0; i < 10; ++i)
    sample("1", kT0 + i * 60, "heap=1&t1=50.00 C");
  // A gap of an hour, then samples again.
  for (int i = 70; i < 80; ++i)
    sample("1", kT0 + i * 60, "heap=1&t1=50.00 C");
  AlarmRule r;
  r.name = "offline";
  r.text = "age > 30 min";
  r.settle_s = 120;
  const auto events = backtest(*store_, r, "1", kT0, kT0 + 80 * 60).value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].time, kT0 + 9 * 60 + 31 * 60);  // the last sample + 31 min
  EXPECT_EQ(events[0].notify, al::Notify::raised);
  EXPECT_EQ(events[1].time, kT0 + 71 * 60);  // fired last at 69 min, settled 2 min later
  EXPECT_EQ(events[1].notify, al::Notify::cleared);
  EXPECT_TRUE(store_->alarm_states().value().empty()) << "nothing written";
  EXPECT_FALSE(backtest(*store_, r, "9", kT0, kT0 + 60).ok()) << "no meter";
  EXPECT_FALSE(backtest(*store_, r, "1", kT0, kT0 - 60).ok()) << "to before from";
}

}  // namespace
}  // namespace ml::server
