// The alarm engine over any backend (docs/alarms.md, "The engine"): the built-in templates, the
// evaluation round that `meterlogger-server run` starts every [alarms] interval, the user's
// acknowledge and snooze, and the backtest of `alarms test`.
//
// A round, at `now`: reads in one snapshot the rules (a stored rule that no longer parses is
// reported in RoundResult::problems and skipped), the groups' zones, the meters, the alarm
// states and what the rules need of each meter (its newest samples, the sample each delta/rate
// window starts at, the valve, the prepaid credit and the time it lasts); evaluates every enabled
// rule that applies to a meter's group (core/alarm/evaluate.hpp), keeping the `for` times in the
// state; runs the lifecycle (core/alarm/lifecycle.hpp, quiet hours in the group's zone); and
// writes the changed states, the new episodes and their transitions in one write transaction.
// The notifications due are returned, for the caller to hand on: nothing is sent here.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alarm/evaluate.hpp"
#include "core/alarm/lifecycle.hpp"
#include "core/alarm/rule.hpp"
#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/ledger.hpp"
#include "server/store.hpp"
#include "server/usecases/estimates.hpp"

namespace ml::server {

// ---- templates ----
struct AlarmTemplate {
  std::string_view name;
  std::string_view text;
  core::alarm::Severity severity;
  std::string_view description;
};
inline constexpr std::array<AlarmTemplate, 6> kAlarmTemplates{{
    {"offline", "age > 30 min", core::alarm::Severity::warning,
     "no sample for 30 minutes: the meter, its power or its network is down"},
    {"leak", "flow1 > 0 m3/h for 5 min and valve == closed for 10 min",
     core::alarm::Severity::critical, "water flows although the valve has been closed: a leak"},
    {"closed-with-credit", "valve == closed for 30 min and credit_kwh > 0 kWh",
     core::alarm::Severity::warning,
     "the valve stays closed although credit is left: a stuck valve or a lost open_until"},
    {"low-credit", "days_left < 7", core::alarm::Severity::info,
     "the prepaid credit lasts less than a week by the time-left estimate"},
    {"temperature-range", "t1 < 5 C or t1 > 95 C or t2 < 5 C or t2 > 95 C",
     core::alarm::Severity::warning,
     "forward or return temperature out of range: a sensor fault or a heating fault"},
    {"consumption-backwards", "delta(e1, 1 h) < 0 kWh", core::alarm::Severity::warning,
     "the energy register went backwards: a swapped or reset meter, or a bad reading"},
}};
const AlarmTemplate* find_alarm_template(std::string_view name);

// ---- notifications, the hand-off to delivery ----
struct AlarmNotification {
  std::int64_t episode = 0;
  std::int64_t rule_id = 0;
  std::string rule_name;
  std::string serial;
  core::alarm::Severity severity = core::alarm::Severity::warning;
  core::alarm::Notify kind = core::alarm::Notify::raised;
  std::int64_t time = 0;
  std::string text;  // one line for a person: severity, rule, meter, what happened, the rule
  // The rule's recipients and channels (AlarmRule): who gets it, on which channels (empty:
  // every channel).
  std::vector<AlarmRecipient> recipients{AlarmRecipient::operators};
  std::vector<std::string> channels;
};

// A stored rule that could not be used, and why (its text no longer parses, a bad quiet hours
// setting, a group zone that is not one), or a channel it names that is not configured (its
// messages then go out on its other channels only).
struct AlarmProblem {
  std::int64_t rule_id = 0;
  std::string detail;
};

struct RoundResult {
  std::vector<AlarmNotification> notifications;
  std::vector<AlarmProblem> problems;
  std::int64_t meters = 0;       // meters with at least one rule
  std::int64_t evaluations = 0;  // rule x meter
  std::int64_t transitions = 0;
};

struct RoundOptions {
  // Keeps the meters' daily use between rounds (the days_left term); none: read every round.
  usecase::DailyUseCache* daily_use = nullptr;
  // Called for every notification due, inside the round's write transaction: an error undoes the
  // whole round's writes (the states and the queued notifications are kept together or not at
  // all). The notification outbox's queueing goes here.
  std::function<core::Status(const AlarmNotification&)> hand_off;
  // The configured [[notify.channel]] names: when given, every enabled rule naming a channel
  // not among them is reported in RoundResult::problems (and still evaluated).
  std::optional<std::vector<std::string>> channel_names;
};

core::Result<RoundResult> run_alarm_round(ServerStore& store, std::int64_t now,
                                          const RoundOptions& options = {});

// ---- what the round puts into core::alarm::Context ----

// The valve's state from the newest `status` reply ("open"; "close" or "closed"; else unknown).
core::alarm::ValveState valve_state(const std::string& status);

// The value of a sample key in the rule language's base units (rule.hpp kUnits): e1 and v1 from
// the normalised energy and volume, the others converted from their unit as sent; nullopt when
// the sample lacks it or its unit is unknown.
std::optional<core::Decimal> key_value(const StoredSample& sample, std::string_view key);

// A meter's inputs at one time: `samples` oldest first, the newest at or before `now` last.
struct MeterView {
  const Meter* meter = nullptr;
  const std::vector<StoredSample>* samples = nullptr;
  std::size_t end = 0;  // samples[0, end) are at or before now
  core::alarm::ValveState valve = core::alarm::ValveState::unknown;
  std::optional<std::int64_t> valve_since;
  std::optional<core::Decimal> credit_kwh;
  std::optional<core::Decimal> days_left;
};

// Evaluates `rule` for the meter at `now` and runs the lifecycle on `state` (its `for` times
// updated): what the round and the backtest both do for one rule on one meter.
core::alarm::Step evaluate_and_step(const core::alarm::Rule& rule, const AlarmRule& settings,
                                    const MeterView& view, const core::alarm::State& state,
                                    std::int64_t now, bool quiet);

// Parses a stored rule's text and quiet hours.
struct ParsedRule {
  core::alarm::Rule rule;
  core::alarm::QuietHours quiet;
};
core::Result<ParsedRule> parse_stored_rule(const AlarmRule& row);

// ---- a user's actions, each one write transaction with its transition ----
// Errc::invalid_argument "no alarm <episode>" when no state holds that episode.
core::Status acknowledge_alarm(ServerStore& store, std::int64_t episode, const std::string& user,
                               const std::string& note, std::int64_t now);
core::Status snooze_alarm(ServerStore& store, std::int64_t episode, std::int64_t until,
                          const std::string& user, std::int64_t now);

// Enables or disables rule `id` (Errc::invalid_argument when there is none). Disabling clears its
// open alarms, each with a transition by `user` (note "rule disabled"), in the same transaction.
core::Status set_alarm_rule_enabled(ServerStore& store, std::int64_t id, bool enabled,
                                    const std::string& user, std::int64_t now);

// Checks a rule as typed (name, text, quiet hours, settle, repeat, recipients, channels) and
// makes it canonical: the text printed again, the recipients in kAlarmRecipients order, each
// once. `channel_names` are the configured [[notify.channel]] names: a channel not among them is
// an error naming it and listing them. Errors (Errc::invalid_argument) name the field.
core::Status check_alarm_rule(AlarmRule& rule, const std::vector<std::string>& channel_names);
// check_alarm_rule, then stores it; returns its id.
core::Result<std::int64_t> add_alarm_rule(ServerStore& store, AlarmRule rule,
                                          const std::vector<std::string>& channel_names);
// check_alarm_rule, then writes every field of rule `rule.id` (Errc::invalid_argument "no alarm
// rule <id>" when there is none) in one write transaction. When its text changed, the `for` times
// kept in its states start again (they belong to the old rule's conditions); its open alarms
// stay open. When it moved to another group, its open alarms on meters outside that group are
// cleared, each with a transition by `user` noting "rule moved to group G".
core::Status edit_alarm_rule(ServerStore& store, AlarmRule rule,
                             const std::vector<std::string>& channel_names, const std::string& user,
                             std::int64_t now);
// Checks an IANA zone name and stores it for the group.
core::Status set_group_zone(ServerStore& store, const std::string& group, const std::string& zone);

// ---- backtest ----
struct BacktestEvent {
  std::int64_t time = 0;
  std::vector<core::alarm::Transition> transitions;
  std::optional<core::alarm::Notify> notify;
};
// Replays the meter's stored samples and valve events minute by minute over [from, to] (at most
// kMaxBacktestMinutes) through the same evaluation and lifecycle as the round, from a fresh
// state, writing nothing. credit_kwh and days_left are unknown in a backtest (the ledger then
// is not kept). The zone is the meter's group's.
inline constexpr std::int64_t kMaxBacktestMinutes = 93 * 24 * 60;
core::Result<std::vector<BacktestEvent>> backtest(ServerStore& store, const AlarmRule& rule,
                                                  const std::string& serial, std::int64_t from,
                                                  std::int64_t to);

}  // namespace ml::server
