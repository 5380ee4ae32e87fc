// The alarm lifecycle, quiet hours and command-line durations (the contract is in lifecycle.hpp).
#include "core/alarm/lifecycle.hpp"

#include <algorithm>

namespace ml::core::alarm {
namespace {

Transition change(const State& s, std::int64_t now, std::optional<Status> from, Status to,
                  std::string actor = {}, std::string note = {}) {
  Transition t;
  t.episode = s.episode;
  t.rule_id = s.rule_id;
  t.serial = s.serial;
  t.time = now;
  t.from = from;
  t.to = to;
  t.actor = std::move(actor);
  t.note = std::move(note);
  return t;
}

// The back-off after `count` notifications: repeat_s doubled count - 1 times, at most the cap.
std::int64_t backoff(std::int64_t repeat_s, std::int64_t count) {
  std::int64_t b = std::clamp<std::int64_t>(repeat_s, 1, kMaxRepeatSeconds);
  for (std::int64_t i = 1; i < count && b < kMaxRepeatSeconds; ++i)
    b = std::min(b * 2, kMaxRepeatSeconds);
  return b;
}

}  // namespace

Step step(const State& previous, bool fires, std::int64_t now, const Settings& settings,
          bool quiet) {
  Step out;
  State& s = out.state;
  s = previous;
  const bool may_notify =
      now >= s.snoozed_until && (!quiet || settings.severity == Severity::critical);
  if (!s.open()) {
    if (!fires) return out;
    s.episode = 0;
    s.status = Status::raised;
    s.raised = now;
    s.last_true = now;
    s.acked_by.clear();
    s.ack_note.clear();
    s.snoozed_until = 0;
    s.next_repeat = 0;
    s.repeat_count = 0;
    out.new_episode = true;
    out.transitions.push_back(change(s, now, std::nullopt, Status::raised));
  } else if (fires) {
    s.last_true = now;
  } else if (now - s.last_true >= settings.settle_s) {
    const Status from = s.status;
    s.status = Status::cleared;
    s.next_repeat = 0;
    out.transitions.push_back(change(s, now, from, Status::cleared));
    if (from != Status::raised && may_notify) out.notify = Notify::cleared;
    return out;
  }
  if (s.status == Status::raised && may_notify) {
    s.status = Status::notified;
    s.repeat_count = 0;
    s.next_repeat = now + backoff(settings.repeat_s, 1);
    out.transitions.push_back(change(s, now, Status::raised, Status::notified));
    out.notify = Notify::raised;
  } else if (s.status == Status::notified && may_notify && now >= s.next_repeat) {
    ++s.repeat_count;
    s.next_repeat = now + backoff(settings.repeat_s, s.repeat_count + 1);
    out.notify = Notify::repeat;
  }
  return out;
}

Result<Step> acknowledge(const State& previous, const std::string& user, const std::string& note,
                         std::int64_t now) {
  if (previous.episode == 0 ||
      (previous.status != Status::raised && previous.status != Status::notified)) {
    return make_error(
        Errc::invalid_argument,
        "alarm " + std::to_string(previous.episode) + " is " +
            std::string(previous.episode == 0 ? "not raised" : status_name(previous.status)) +
            ": only a raised or notified alarm can be acknowledged");
  }
  Step out;
  out.state = previous;
  out.state.status = Status::acknowledged;
  out.state.acked_by = user;
  out.state.ack_note = note;
  out.state.next_repeat = 0;
  out.transitions.push_back(
      change(out.state, now, previous.status, Status::acknowledged, user, note));
  return out;
}

Result<Step> snooze(const State& previous, std::int64_t until, const std::string& user,
                    std::int64_t now) {
  if (!previous.open()) {
    return make_error(Errc::invalid_argument, "alarm " + std::to_string(previous.episode) +
                                                  " is cleared: only an open alarm can be snoozed");
  }
  Step out;
  out.state = previous;
  out.state.snoozed_until = until;
  out.transitions.push_back(change(out.state, now, previous.status, previous.status, user,
                                   "snoozed until " + std::to_string(until)));
  return out;
}

// ---- quiet hours ----

namespace {

// "HH:MM" at text[at..at+5): minutes after midnight, or -1.
int clock_minutes(std::string_view t) {
  if (t.size() != 5 || t[2] != ':') return -1;
  for (const int i : {0, 1, 3, 4})
    if (t[static_cast<std::size_t>(i)] < '0' || t[static_cast<std::size_t>(i)] > '9') return -1;
  const int h = (t[0] - '0') * 10 + (t[1] - '0');
  const int m = (t[3] - '0') * 10 + (t[4] - '0');
  if (h > 23 || m > 59) return -1;
  return h * 60 + m;
}

std::string two(int v) {
  return std::string(1, static_cast<char>('0' + v / 10)) + static_cast<char>('0' + v % 10);
}

}  // namespace

Result<QuietHours> parse_quiet_hours(std::string_view text) {
  QuietHours q;
  if (text.empty()) return q;
  const auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument,
                      "quiet hours \"" + std::string(text.substr(0, 32)) + "\": " + why +
                          " (write HH:MM-HH:MM, e.g. 22:00-07:00, or \"\" for none)");
  };
  if (text.size() != 11 || text[5] != '-') return bad("not two times joined by -");
  const int a = clock_minutes(text.substr(0, 5));
  const int b = clock_minutes(text.substr(6, 5));
  if (a < 0 || b < 0) return bad("a time is not HH:MM from 00:00 to 23:59");
  if (a == b) return bad("the start and the end are the same");
  q.start_minute = a;
  q.end_minute = b;
  q.none = false;
  return q;
}

std::string print_quiet_hours(const QuietHours& q) {
  if (q.none) return "";
  return two(q.start_minute / 60) + ":" + two(q.start_minute % 60) + "-" + two(q.end_minute / 60) +
         ":" + two(q.end_minute % 60);
}

bool is_quiet(const QuietHours& q, std::int64_t now, const cron::ZoneRules& zone) {
  if (q.none) return false;
  const std::int64_t local = now + zone.utc_offset_seconds(now);
  const std::int64_t day = 86400;
  const int minute = static_cast<int>(((local % day) + day) % day / 60);
  if (q.start_minute < q.end_minute) return minute >= q.start_minute && minute < q.end_minute;
  return minute >= q.start_minute || minute < q.end_minute;  // crosses midnight
}

// ---- durations ----

Result<std::int64_t> parse_duration(std::string_view text) {
  const auto bad = [&](const std::string& why) {
    return make_error(Errc::invalid_argument, "duration \"" + std::string(text.substr(0, 32)) +
                                                  "\": " + why +
                                                  " (write e.g. 600, 90s, 10min, 2h or 1d)");
  };
  if (text.empty() || text.size() > 32) return bad("empty or too long");
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    n = n * 10 + (text[i] - '0');
    if (n > 400LL * 86400) return bad("longer than 400 d");
    ++i;
  }
  if (i == 0) return bad("no number");
  std::string_view unit = text.substr(i);
  if (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  struct U {
    std::string_view name;
    std::int64_t factor;
  };
  static constexpr std::array<U, 5> kUnitsOfTime{
      {{"", 1}, {"s", 1}, {"min", 60}, {"h", 3600}, {"d", 86400}}};
  for (const auto& u : kUnitsOfTime) {
    if (u.name != unit) continue;
    const std::int64_t s = n * u.factor;
    if (s < 1 || s > 400LL * 86400) return bad("not between 1 s and 400 d");
    return s;
  }
  return bad("unknown unit (s, min, h, d)");
}

}  // namespace ml::core::alarm
