// The life of one alarm (one rule on one meter), pure: no clock, no storage, no sending
// (docs/alarms.md, "Lifecycle"). The caller evaluates the rule (evaluate.hpp), says whether it
// is quiet hours now, and stores what step() returns; notifications are returned, never sent.
//
// Contract of step():
// - No open episode (episode 0, or the last one cleared) and the rule fires: a new episode
//   (Step::new_episode; the caller gives it an id) is raised, raised = last_true = now.
// - An open episode whose rule fires: last_true = now. One whose rule has not fired (false or
//   unknown) for settings.settle_s since last_true is cleared; a condition that comes back within
//   settle_s stays the same episode, so nothing is raised twice for one episode.
// - A raised episode notifies (Notify::raised) and becomes notified, unless it is snoozed
//   (now < snoozed_until) or it is quiet hours and its severity is not critical: then it stays
//   raised, held until the next step where it may.
// - A notified episode that is not acknowledged notifies again (Notify::repeat) at next_repeat:
//   the back-off starts at settings.repeat_s and doubles after every repeat, at most
//   kMaxRepeatSeconds; the same holds (snooze, quiet hours) delay a repeat.
// - Clearing an episode that notified gives Notify::cleared (dropped in quiet hours or a snooze
//   unless critical: the clear is news, not an alarm).
// - acknowledge() (raised or notified) stops the repeats; snooze() holds notifications until a
//   time. Both are transitions with the user as actor; the engine's actor is "".
// Every status change is one Transition (from nullopt for a new episode).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/cron/cron.hpp"
#include "core/result.hpp"

namespace ml::core::alarm {

enum class Severity : std::uint8_t { critical, warning, info };
struct SeverityRow {
  Severity severity;
  std::string_view name;
};
inline constexpr std::array<SeverityRow, 3> kSeverities{{
    {Severity::critical, "critical"},
    {Severity::warning, "warning"},
    {Severity::info, "info"},
}};
constexpr std::string_view severity_name(Severity s) {
  for (const auto& r : kSeverities)
    if (r.severity == s) return r.name;
  return "?";
}
constexpr std::optional<Severity> severity_from_name(std::string_view name) {
  for (const auto& r : kSeverities)
    if (r.name == name) return r.severity;
  return std::nullopt;
}

enum class Status : std::uint8_t { raised, notified, acknowledged, cleared };
struct StatusRow {
  Status status;
  std::string_view name;
};
inline constexpr std::array<StatusRow, 4> kStatuses{{
    {Status::raised, "raised"},
    {Status::notified, "notified"},
    {Status::acknowledged, "acknowledged"},
    {Status::cleared, "cleared"},
}};
constexpr std::string_view status_name(Status s) {
  for (const auto& r : kStatuses)
    if (r.status == s) return r.name;
  return "?";
}
constexpr std::optional<Status> status_from_name(std::string_view name) {
  for (const auto& r : kStatuses)
    if (r.name == name) return r.status;
  return std::nullopt;
}

enum class Notify : std::uint8_t { raised, repeat, cleared };
inline constexpr std::array<std::string_view, 3> kNotifyNames{"raised", "repeat", "cleared"};
constexpr std::string_view notify_name(Notify n) {
  return kNotifyNames[static_cast<int>(n)];
}

inline constexpr std::int64_t kDefaultSettleSeconds = 600;
inline constexpr std::int64_t kDefaultRepeatSeconds = 3600;
inline constexpr std::int64_t kMaxRepeatSeconds = 86400;

struct Settings {
  Severity severity = Severity::warning;
  std::int64_t settle_s = kDefaultSettleSeconds;
  std::int64_t repeat_s = kDefaultRepeatSeconds;
};

// The state of one rule on one meter. episode 0: none yet (the `for` times may still be kept).
struct State {
  std::int64_t rule_id = 0;
  std::string serial;
  std::int64_t episode = 0;
  Status status = Status::cleared;
  std::int64_t raised = 0;
  std::int64_t last_true = 0;  // when the rule last fired
  std::string acked_by;
  std::string ack_note;
  std::int64_t snoozed_until = 0;
  std::int64_t next_repeat = 0;
  std::int64_t repeat_count = 0;
  // For each `for` node (by node index) whose inner condition holds: since when.
  std::map<std::size_t, std::int64_t> held;
  bool open() const { return episode != 0 && status != Status::cleared; }
  bool operator==(const State&) const = default;
};

struct Transition {
  std::int64_t id = 0;
  std::int64_t episode = 0;
  std::int64_t rule_id = 0;
  std::string serial;
  std::int64_t time = 0;
  std::optional<Status> from;  // nullopt: the episode begins
  Status to = Status::raised;
  std::string actor;  // "" for the engine, else the user
  std::string note;
  bool operator==(const Transition&) const = default;
};

struct Step {
  State state;
  std::vector<Transition> transitions;  // episode 0 in them when new_episode: the caller fills
  std::optional<Notify> notify;
  bool new_episode = false;
};

Step step(const State& previous, bool fires, std::int64_t now, const Settings& settings,
          bool quiet);

// Errc::invalid_argument naming the status when the episode is not raised or notified.
Result<Step> acknowledge(const State& previous, const std::string& user, const std::string& note,
                         std::int64_t now);
// Errc::invalid_argument when the episode is not open. The status stays; one transition to the
// same status records who snoozed, until when.
Result<Step> snooze(const State& previous, std::int64_t until, const std::string& user,
                    std::int64_t now);

// ---- quiet hours: "HH:MM-HH:MM" in the group's local time ----
struct QuietHours {
  int start_minute = 0;  // minutes after local midnight
  int end_minute = 0;
  bool none = true;  // "" : never quiet
  bool operator==(const QuietHours&) const = default;
};
// "" (none) or "HH:MM-HH:MM" (00:00..23:59; start and end differ; an end before the start
// crosses midnight). Errors (Errc::invalid_argument) say what was wrong.
Result<QuietHours> parse_quiet_hours(std::string_view text);
std::string print_quiet_hours(const QuietHours& q);
// Whether local time `now` (the zone's wall clock) falls in [start, end).
bool is_quiet(const QuietHours& q, std::int64_t now, const cron::ZoneRules& zone);

// A duration as typed on the command line: "600" (seconds), "90s", "10min", "2h", "1d", a space
// allowed before the unit; 1 s .. 400 d. Errors name the text.
Result<std::int64_t> parse_duration(std::string_view text);

}  // namespace ml::core::alarm
