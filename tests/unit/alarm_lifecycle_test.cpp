// The alarm lifecycle (core/alarm/lifecycle.hpp): raising, notifying, holding in quiet hours and
// snoozes, repeats with back-off, acknowledging, settling and clearing; quiet hours across
// midnight and the DST changes of Europe/Copenhagen; command-line durations.
#include <gtest/gtest.h>

#include "core/alarm/lifecycle.hpp"
#include "platform/tz/zone.hpp"

namespace ml::core::alarm {
namespace {

constexpr std::int64_t kT0 = 1'780'000'000;

State fresh() {
  State s;
  s.rule_id = 3;
  s.serial = "6892850";
  return s;
}

// Runs one step and, like the round, gives a new episode an id.
Step run(const State& prev, bool fires, std::int64_t now, const Settings& set = {},
         bool quiet = false) {
  Step st = step(prev, fires, now, set, quiet);
  if (st.new_episode) {
    st.state.episode = prev.episode + 1;
    for (auto& t : st.transitions)
      t.episode = st.state.episode;
  }
  return st;
}

TEST(AlarmLifecycle, NothingHappensWhileTheRuleDoesNotFire) {
  const Step s = run(fresh(), false, kT0);
  EXPECT_FALSE(s.new_episode);
  EXPECT_TRUE(s.transitions.empty());
  EXPECT_FALSE(s.notify);
  EXPECT_FALSE(s.state.open());
}

TEST(AlarmLifecycle, AFiringRuleRaisesAndNotifiesAtOnce) {
  const Step s = run(fresh(), true, kT0);
  EXPECT_TRUE(s.new_episode);
  ASSERT_EQ(s.transitions.size(), 2u);
  EXPECT_FALSE(s.transitions[0].from);
  EXPECT_EQ(s.transitions[0].to, Status::raised);
  EXPECT_EQ(s.transitions[1].from, Status::raised);
  EXPECT_EQ(s.transitions[1].to, Status::notified);
  EXPECT_EQ(s.transitions[0].actor, "");
  EXPECT_EQ(s.notify, Notify::raised);
  EXPECT_EQ(s.state.status, Status::notified);
  EXPECT_EQ(s.state.raised, kT0);
  EXPECT_EQ(s.state.last_true, kT0);
  EXPECT_EQ(s.state.next_repeat, kT0 + kDefaultRepeatSeconds);
}

TEST(AlarmLifecycle, QuietHoursHoldANotificationUntilTheyEnd) {
  Step s = run(fresh(), true, kT0, {}, true);
  EXPECT_TRUE(s.new_episode);
  EXPECT_EQ(s.state.status, Status::raised);
  EXPECT_FALSE(s.notify);
  s = run(s.state, true, kT0 + 60, {}, true);
  EXPECT_FALSE(s.notify);
  EXPECT_TRUE(s.transitions.empty());
  s = run(s.state, false, kT0 + 120, {}, false);  // quiet hours over; still within settle
  EXPECT_EQ(s.notify, Notify::raised);
  EXPECT_EQ(s.state.status, Status::notified);
}

TEST(AlarmLifecycle, CriticalAlarmsIgnoreQuietHours) {
  Settings critical;
  critical.severity = Severity::critical;
  const Step s = run(fresh(), true, kT0, critical, true);
  EXPECT_EQ(s.notify, Notify::raised);
}

TEST(AlarmLifecycle, ARaisedButHeldAlarmThatClearsSaysNothing) {
  Settings set;
  set.settle_s = 300;
  Step s = run(fresh(), true, kT0, set, true);
  s = run(s.state, false, kT0 + 300, set, true);
  EXPECT_EQ(s.state.status, Status::cleared);
  EXPECT_FALSE(s.notify) << "nobody was told it was raised";
}

TEST(AlarmLifecycle, RepeatsBackOffDoublingUpToADay) {
  Settings set;
  set.repeat_s = 3 * 3600;
  Step s = run(fresh(), true, kT0, set);
  std::int64_t now = kT0;
  std::vector<std::int64_t> gaps;
  for (int i = 0; i < 6; ++i) {
    const std::int64_t due = s.state.next_repeat;
    s = run(s.state, true, due - 1, set);
    EXPECT_FALSE(s.notify) << "not before it is due";
    s = run(s.state, true, due, set);
    ASSERT_EQ(s.notify, Notify::repeat);
    EXPECT_TRUE(s.transitions.empty()) << "a repeat is no status change";
    gaps.push_back(due - now);
    now = due;
  }
  EXPECT_EQ(gaps, (std::vector<std::int64_t>{3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600, 24 * 3600,
                                             24 * 3600}));
  EXPECT_EQ(s.state.repeat_count, 6);
}

TEST(AlarmLifecycle, AcknowledgingStopsRepeats) {
  Step s = run(fresh(), true, kT0);
  auto acked = acknowledge(s.state, "anna", "valve checked", kT0 + 10);
  ASSERT_TRUE(acked.ok());
  ASSERT_EQ(acked->transitions.size(), 1u);
  EXPECT_EQ(acked->transitions[0].actor, "anna");
  EXPECT_EQ(acked->transitions[0].note, "valve checked");
  EXPECT_EQ(acked->transitions[0].from, Status::notified);
  EXPECT_EQ(acked->state.status, Status::acknowledged);
  s = run(acked->state, true, kT0 + 10 * 86400);
  EXPECT_FALSE(s.notify);
  EXPECT_FALSE(acknowledge(s.state, "anna", "", kT0).ok()) << "acknowledged already";
  EXPECT_FALSE(acknowledge(fresh(), "anna", "", kT0).ok()) << "no episode";
}

TEST(AlarmLifecycle, AcknowledgedAlarmsClearAfterSettlingAndSayCleared) {
  Settings set;
  set.settle_s = 600;
  Step s = run(fresh(), true, kT0, set);
  s.state = acknowledge(s.state, "anna", "", kT0 + 5).value().state;
  s = run(s.state, false, kT0 + 599, set);
  EXPECT_EQ(s.state.status, Status::acknowledged);
  s = run(s.state, false, kT0 + 600, set);
  EXPECT_EQ(s.state.status, Status::cleared);
  EXPECT_EQ(s.notify, Notify::cleared);
  ASSERT_EQ(s.transitions.size(), 1u);
  EXPECT_EQ(s.transitions[0].from, Status::acknowledged);
  EXPECT_EQ(s.transitions[0].to, Status::cleared);
}

TEST(AlarmLifecycle, AConditionThatFlipsBackWithinSettleIsTheSameEpisode) {
  Settings set;
  set.settle_s = 600;
  Step s = run(fresh(), true, kT0, set);
  const std::int64_t episode = s.state.episode;
  s = run(s.state, false, kT0 + 60, set);
  s = run(s.state, false, kT0 + 500, set);
  EXPECT_TRUE(s.state.open());
  s = run(s.state, true, kT0 + 560, set);
  EXPECT_FALSE(s.new_episode);
  EXPECT_FALSE(s.notify) << "raised once per episode";
  EXPECT_EQ(s.state.episode, episode);
  s = run(s.state, false, kT0 + 1159, set);
  EXPECT_TRUE(s.state.open()) << "settle counts from the last time it fired";
  s = run(s.state, false, kT0 + 1160, set);
  EXPECT_FALSE(s.state.open());
  s = run(s.state, true, kT0 + 1200, set);
  EXPECT_TRUE(s.new_episode) << "after clearing, a new episode";
  EXPECT_EQ(s.state.episode, episode + 1);
  EXPECT_EQ(s.notify, Notify::raised);
}

TEST(AlarmLifecycle, ASnoozeHoldsNotificationsUntilItEnds) {
  Step s = run(fresh(), true, kT0, {}, true);  // held by quiet hours: raised
  auto snoozed = snooze(s.state, kT0 + 7200, "anna", kT0 + 1);
  ASSERT_TRUE(snoozed.ok());
  ASSERT_EQ(snoozed->transitions.size(), 1u);
  EXPECT_EQ(snoozed->transitions[0].actor, "anna");
  s = run(snoozed->state, true, kT0 + 3600);
  EXPECT_FALSE(s.notify);
  s = run(s.state, true, kT0 + 7200);
  EXPECT_EQ(s.notify, Notify::raised);
  // A snooze also delays a due repeat.
  snoozed = snooze(s.state, s.state.next_repeat + 600, "anna", kT0 + 7201);
  s = run(snoozed->state, true, snoozed->state.next_repeat);
  EXPECT_FALSE(s.notify);
  s = run(s.state, true, snoozed->state.snoozed_until);
  EXPECT_EQ(s.notify, Notify::repeat);
  EXPECT_FALSE(snooze(fresh(), kT0, "anna", kT0).ok()) << "nothing open";
}

TEST(AlarmLifecycle, ForTimesPassThroughUntouched) {
  State prev = fresh();
  prev.held = {{4, kT0 - 100}};
  EXPECT_EQ(run(prev, true, kT0).state.held, prev.held);
}

// ---- quiet hours ----

class UtcZone final : public cron::ZoneRules {
 public:
  std::int32_t utc_offset_seconds(std::int64_t) const override { return 0; }
  std::int64_t next_change(std::int64_t) const override { return INT64_MAX; }
};

TEST(QuietHours, ParseAndPrint) {
  auto q = parse_quiet_hours("22:00-07:00");
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->start_minute, 22 * 60);
  EXPECT_EQ(q->end_minute, 7 * 60);
  EXPECT_EQ(print_quiet_hours(*q), "22:00-07:00");
  EXPECT_TRUE(parse_quiet_hours("")->none);
  EXPECT_EQ(print_quiet_hours(*parse_quiet_hours("")), "");
  for (const char* bad : {"22:00", "24:00-07:00", "22:60-07:00", "07:00-07:00", "7:00-08:00",
                          "22:00 07:00", "aa:bb-cc:dd", "22:00-07:000"}) {
    auto r = parse_quiet_hours(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().text().find("HH:MM-HH:MM"), std::string::npos) << r.error().text();
  }
}

TEST(QuietHours, CrossingMidnight) {
  const UtcZone utc;
  const auto q = parse_quiet_hours("22:00-07:00").value();
  const std::int64_t midnight = 1'780'012'800;  // a UTC midnight (divisible by 86400)
  ASSERT_EQ(midnight % 86400, 0);
  EXPECT_TRUE(is_quiet(q, midnight, utc));
  EXPECT_TRUE(is_quiet(q, midnight - 2 * 3600, utc));        // 22:00
  EXPECT_FALSE(is_quiet(q, midnight - 2 * 3600 - 60, utc));  // 21:59
  EXPECT_TRUE(is_quiet(q, midnight + 7 * 3600 - 60, utc));   // 06:59
  EXPECT_FALSE(is_quiet(q, midnight + 7 * 3600, utc));       // 07:00
  const auto day = parse_quiet_hours("09:00-17:00").value();
  EXPECT_FALSE(is_quiet(day, midnight, utc));
  EXPECT_TRUE(is_quiet(day, midnight + 12 * 3600, utc));
  EXPECT_FALSE(is_quiet(QuietHours{}, midnight, utc));
}

TEST(QuietHours, FollowTheLocalClockAcrossDstInCopenhagen) {
  const auto zone = platform::load_zone("Europe/Copenhagen").value();
  const auto q = parse_quiet_hours("22:00-07:00").value();
  // Winter (CET, UTC+1): 2026-01-15 06:30 UTC is 07:30 local, not quiet; 05:30 UTC is 06:30.
  EXPECT_FALSE(is_quiet(q, 1768458600, zone));  // 2026-01-15T06:30:00Z
  EXPECT_TRUE(is_quiet(q, 1768455000, zone));   // 2026-01-15T05:30:00Z
  // Summer (CEST, UTC+2): 2026-07-15 05:30 UTC is 07:30 local, not quiet; 04:30 UTC is 06:30.
  EXPECT_FALSE(is_quiet(q, 1784093400, zone));  // 2026-07-15T05:30:00Z
  EXPECT_TRUE(is_quiet(q, 1784089800, zone));   // 2026-07-15T04:30:00Z
  // The spring change (2026-03-29 01:00 UTC, 02:00 -> 03:00 local): 20:30 UTC the evening
  // before is 21:30 local, 21:00 UTC is 22:00 local; 05:00 UTC on the 29th is 07:00 CEST.
  EXPECT_FALSE(is_quiet(q, 1774729800, zone));  // 2026-03-28T20:30:00Z
  EXPECT_TRUE(is_quiet(q, 1774731600, zone));   // 2026-03-28T21:00:00Z
  EXPECT_TRUE(is_quiet(q, 1774760340, zone));   // 2026-03-29T04:59:00Z = 06:59 CEST
  EXPECT_FALSE(is_quiet(q, 1774760400, zone));  // 2026-03-29T05:00:00Z = 07:00 CEST
  // The autumn change (2026-10-25 01:00 UTC, 03:00 -> 02:00 local): 06:00 UTC is 07:00 CET.
  EXPECT_TRUE(is_quiet(q, 1792907940, zone));   // 2026-10-25T05:59:00Z = 06:59 CET
  EXPECT_FALSE(is_quiet(q, 1792908000, zone));  // 2026-10-25T06:00:00Z = 07:00 CET
}

TEST(Durations, AsTypedOnTheCommandLine) {
  EXPECT_EQ(parse_duration("600").value(), 600);
  EXPECT_EQ(parse_duration("90s").value(), 90);
  EXPECT_EQ(parse_duration("10min").value(), 600);
  EXPECT_EQ(parse_duration("10 min").value(), 600);
  EXPECT_EQ(parse_duration("2h").value(), 7200);
  EXPECT_EQ(parse_duration("1d").value(), 86400);
  for (const char* bad : {"", "0", "min", "10 m", "401d", "1.5h", "-5", "99999999999999999999"}) {
    auto r = parse_duration(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().text().find("10min"), std::string::npos) << r.error().text();
  }
}

}  // namespace
}  // namespace ml::core::alarm
