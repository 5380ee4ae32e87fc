// Alarm rules, the groups' time zones, the state of every rule on every meter and the
// append-only log of alarm transitions: a focused part of the server's store (server/store.hpp).
// A backend only persists them; the lifecycle is core/alarm/lifecycle.hpp, the evaluation round
// server/alarm_round.hpp (docs/alarms.md).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/alarm/lifecycle.hpp"
#include "core/result.hpp"
#include "server/store/samples.hpp"

namespace ml::server {

inline constexpr std::string_view kDefaultGroupZone = "Europe/Copenhagen";

// Who hears of a rule's alarms (docs/alarms.md, "Who is notified").
enum class AlarmRecipient : std::uint8_t { operators, customer };
struct AlarmRecipientInfo {
  AlarmRecipient kind;
  std::string_view name;  // as written in `--to`, the API's "to" and the store
  std::string_view description;
};
inline constexpr std::array<AlarmRecipientInfo, 2> kAlarmRecipients{{
    {AlarmRecipient::operators, "operators",
     "the admins of the meter's group (or of every group) with an e-mail address or phone number "
     "(`users contact`)"},
    {AlarmRecipient::customer, "customer",
     "the meter's customer contact: its e-mail address, its phone number (`meters contact`)"},
}};
inline std::string_view alarm_recipient_name(AlarmRecipient kind) {
  for (const auto& row : kAlarmRecipients)
    if (row.kind == kind) return row.name;
  return "?";
}
inline std::optional<AlarmRecipient> alarm_recipient_from_name(std::string_view name) {
  for (const auto& row : kAlarmRecipients)
    if (row.name == name) return row.kind;
  return std::nullopt;
}

// An alarm rule as stored. text is canonical (core::alarm::print_rule); it is parsed again when
// the rules are loaded, and a row that no longer parses is reported there, not here.
struct AlarmRule {
  std::int64_t id = 0;
  std::string name;
  std::string group;  // "" : every group
  std::string text;
  core::alarm::Severity severity = core::alarm::Severity::warning;
  std::int64_t settle_s = core::alarm::kDefaultSettleSeconds;
  std::int64_t repeat_s = core::alarm::kDefaultRepeatSeconds;
  std::string quiet;  // "HH:MM-HH:MM" or "" (core::alarm::parse_quiet_hours)
  bool enabled = true;
  std::string template_name;  // the template it came from, or ""
  // Who gets its notifications: a set, in kAlarmRecipients order, never empty.
  std::vector<AlarmRecipient> recipients{AlarmRecipient::operators};
  // The [[notify.channel]] names it goes out on, each once; empty: every channel.
  std::vector<std::string> channels;
  bool operator==(const AlarmRule&) const = default;
};

// A meter's valve as the round reads it: the newest `status` reply and when its value last
// changed (the newest "valve" event), 0 when not known.
struct ValveInfo {
  std::string status;  // "open", "close", ...
  std::int64_t since = 0;
};

class AlarmStore {
 public:
  virtual ~AlarmStore() = default;

  // ---- rules ----
  // Stores a new rule (its id is ignored); returns the new id.
  virtual core::Result<std::int64_t> insert_alarm_rule(const AlarmRule& rule) = 0;
  // Writes every field of rule `rule.id`; Errc::invalid_argument when there is none.
  virtual core::Status update_alarm_rule(const AlarmRule& rule) = 0;
  // Removes the rule and its states (its transitions stay); Errc::invalid_argument when none.
  virtual core::Status remove_alarm_rule(std::int64_t id) = 0;
  virtual core::Result<std::optional<AlarmRule>> alarm_rule(std::int64_t id) = 0;
  // By id.
  virtual core::Result<std::vector<AlarmRule>> alarm_rules() = 0;

  // ---- group time zones (IANA names; checked by the caller) ----
  virtual core::Status set_group_zone(const std::string& group, const std::string& zone) = 0;
  // Every group with a zone set.
  virtual core::Result<std::map<std::string, std::string>> group_zones() = 0;

  // ---- states, one per (rule, serial) ----
  // Writes the state (rule_id, serial), replacing what was kept.
  virtual core::Status write_alarm_state(const core::alarm::State& state) = 0;
  virtual core::Status remove_alarm_state(std::int64_t rule_id, const std::string& serial) = 0;
  // Every state, by rule and serial.
  virtual core::Result<std::vector<core::alarm::State>> alarm_states() = 0;
  // The open states (raised, notified, acknowledged), newest raised first.
  virtual core::Result<std::vector<core::alarm::State>> open_alarms() = 0;
  // The state holding episode `episode`, if any.
  virtual core::Result<std::optional<core::alarm::State>> alarm_episode(std::int64_t episode) = 0;
  // A new episode's id (increasing) for rule and serial raised at `time`.
  virtual core::Result<std::int64_t> new_alarm_episode(std::int64_t rule_id,
                                                       const std::string& serial,
                                                       std::int64_t time) = 0;

  // ---- the transitions log (append-only: its id is ignored, nothing is changed) ----
  virtual core::Status append_alarm_transition(const core::alarm::Transition& t) = 0;
  // Newest first, at most `limit`: a meter's, an episode's, every one.
  virtual core::Result<std::vector<core::alarm::Transition>> alarm_transitions_of_meter(
      const std::string& serial, int limit) = 0;
  virtual core::Result<std::vector<core::alarm::Transition>> alarm_transitions_of_episode(
      std::int64_t episode) = 0;
  virtual core::Result<std::vector<core::alarm::Transition>> recent_alarm_transitions(
      int limit) = 0;

  // ---- bulk reads for the evaluation round ----
  // Every meter's valve: the newest `status` reply and the time of its newest "valve" event.
  virtual core::Result<std::map<std::string, ValveInfo>> valve_states() = 0;
};

}  // namespace ml::server
