// Cron jobs of the device (docs/agent.md, "Cron": the original's, extended): parsing the `set_cron`
// argument, the stored text form of a job, matching a local time, and the DST-correct choice of
// what is due.
//
// Pure: no clock, no time-zone files. The caller passes UTC minutes and a ZoneRules (the agent
// uses ml::platform::Zone, an IANA zone from the system's tzdata).
//
//   auto job = cron::parse_set_cron("minute=30&hour=6&day_of_week=1-5&command=open");
//   std::string stored = cron::to_text(*job);          // what the agent keeps in its store
//   auto again = cron::parse_set_cron(stored);          // the same Job
//
// The agent's timer, once a minute (UTC minutes are unix seconds / 60, rounded down):
//
//   const std::int64_t now = cron::utc_minute(unix_seconds);
//   for (const cron::Due& d : cron::due(jobs, last, now, zone)) run(jobs[d.job]);
//   last = std::max(last, now);   // never move it backwards
//
// At start, last = now - 1, or better the last minute evaluated before a restart if it is kept
// in the store (then a restart within a minute runs nothing twice).
//
// The rule of due() (docs/agent.md, "Cron"): every UTC minute is evaluated at most once; it runs
// the jobs that match a local wall-clock minute reached for the first time at that UTC minute.
// A local time that occurs twice (the clock goes back) runs at its first occurrence only; local
// minutes skipped by a forward jump run at the first minute after the jump; a job runs at most
// once per UTC minute. A timer late by more than kMaxCatchUpMinutes evaluates only the last
// kMaxCatchUpMinutes minutes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace ml::core::cron {

inline constexpr std::size_t kMaxJobs = 16;            // the original's table size
inline constexpr std::size_t kMaxArgumentSize = 512;   // a set_cron argument (and a stored job)
inline constexpr std::size_t kMaxFieldSize = 64;       // one time field's text
inline constexpr std::size_t kMaxCommandSize = 31;     // the command name (as the original)
inline constexpr std::size_t kMaxParamsSize = 95;      // the command's parameters (as the original)
inline constexpr std::int64_t kMaxCatchUpMinutes = 5;  // due() evaluates at most this many minutes
// due() looks this far back for local times already reached. The largest backward jump in the
// tz database since 1970 is 7 h (Antarctica/Vostok 1994); DST changes are 1 h (Lord Howe 30 min).
inline constexpr std::int64_t kRepeatLookbackMinutes = 8 * 60;
// A forward jump runs the skipped local minutes at the first minute after it, at most this many
// (Samoa skipped a whole day in 2011).
inline constexpr std::int64_t kMaxSkippedMinutes = 2 * 24 * 60;

// ---- fields ----

enum class FieldKind : std::uint8_t { minute, hour, day_of_month, month, day_of_week };

// The key of the field in set_cron: "minute", "hour", "day_of_month", "month", "day_of_week".
std::string_view field_name(FieldKind kind);

// One time field. Syntax (comma-separated list of items):
//   *  or empty      any value
//   n                one value              5
//   a-b              a range, inclusive     1-5
//   */s  a-b/s       every s-th value       */15  10-50/10
// Ranges: minute 0-59, hour 0-23, day_of_month 1-31, month 1-12, day_of_week 0-7 (0 and 7 are
// Sunday). Strict: a number out of range, a reversed range, a step of 0 or beyond the range's
// maximum, a step on a single number, an empty item, any other character or a text over
// kMaxFieldSize is cron_invalid, the detail naming the field ("hour: 24 is out of range 0-23").
class Field {
 public:
  static Result<Field> parse(FieldKind kind, std::string_view text);
  // "*"
  static Field any(FieldKind kind);

  FieldKind kind() const { return kind_; }
  // The text as given (kept for storage and display).
  const std::string& text() const { return text_; }
  // True when the field allows `value` (day_of_week: 0-6, Sunday = 0; 7 is also Sunday).
  bool matches(int value) const;

  friend bool operator==(const Field&, const Field&) = default;

 private:
  Field(FieldKind kind, std::string text, std::uint64_t bits)
      : kind_(kind), text_(std::move(text)), bits_(bits) {}

  FieldKind kind_;
  std::string text_;
  std::uint64_t bits_;  // bit v set: value v allowed (day_of_week: Sunday is bit 0)
};

// ---- jobs ----

// The commands a cron job may run: the rows of the command table (core/topic/names.hpp) whose
// Source includes cron, in the table's order: set_ssid_pwd, reconnect, start_ap, stop_ap,
// clear_cron, open, close, off, test.
bool is_cron_command(std::string_view name);
std::span<const std::string_view> cron_commands();

struct Job {
  Field minute = Field::any(FieldKind::minute);
  Field hour = Field::any(FieldKind::hour);
  Field day_of_month = Field::any(FieldKind::day_of_month);
  Field month = Field::any(FieldKind::month);
  Field day_of_week = Field::any(FieldKind::day_of_week);
  std::string command;  // one of cron_commands()
  std::string params;   // the command's argument when it runs ("" for most commands)

  friend bool operator==(const Job&, const Job&) = default;
};

// Parses a set_cron argument, e.g. "minute=0&hour=6&command=open" or
// "minute=*/15&command=set_ssid_pwd=ssid=the_ssid&pwd=secret", exactly as the original splits it:
// the text after the first "command=" is split at its next '=' into the command name and the
// parameters (everything to the end, '&' included); the text before it is split on '&' into
// key=value pairs. The keys are the five field names; unknown keys are ignored; a missing field
// is "*". Errors (nothing to store): cron_invalid (argument over kMaxArgumentSize or with a NUL,
// no command, a field's error, a field given twice or without '=', a command or parameters too
// long, a control character in the parameters) and cron_bad_command (a command cron cannot run).
Result<Job> parse_set_cron(std::string_view argument);

// The stored form: "minute=<text>&hour=<text>&day_of_month=<text>&month=<text>&
// day_of_week=<text>&command=<command>[=<params>]" with each field's text as given. It is a
// set_cron argument: for every job from parse_set_cron, parse_set_cron(to_text(job)) == job, and
// it is never over kMaxArgumentSize.
std::string to_text(const Job& job);

// ---- time ----

// A local wall-clock minute.
struct LocalTime {
  int year = 1970;
  int month = 1;    // 1-12
  int day = 1;      // 1-31
  int hour = 0;     // 0-23
  int minute = 0;   // 0-59
  int weekday = 4;  // 0-6, Sunday = 0

  friend bool operator==(const LocalTime&, const LocalTime&) = default;
};

// A job fires when all five fields match (as the original: also when both day_of_month and
// day_of_week are restricted, unlike Vixie cron which then takes either; docs/agent.md, "Cron").
bool matches(const Job& job, const LocalTime& time);

// Unix seconds to UTC minutes, rounding down (also before 1970).
std::int64_t utc_minute(std::int64_t unix_seconds);

// Minutes since 1970-01-01 00:00 of a (local) calendar, to the calendar fields.
LocalTime local_time(std::int64_t minutes_since_epoch);

// A time zone's rules: the offset of local time from UTC at an instant.
class ZoneRules {
 public:
  virtual ~ZoneRules() = default;
  // Seconds east of UTC (Copenhagen: 3600 in winter, 7200 in summer) at unix time `unix_seconds`.
  virtual std::int32_t utc_offset_seconds(std::int64_t unix_seconds) const = 0;
  // Optional, for speed: an instant after `unix_seconds` up to which the offset stays the same
  // (the next transition, or any earlier instant). The default, the next second, is always right;
  // due() then asks for the offset of every minute it looks back over.
  virtual std::int64_t next_change(std::int64_t unix_seconds) const { return unix_seconds + 1; }
};

// A zone with one offset for ever: UTC (0) or a fixed offset.
class FixedOffset final : public ZoneRules {
 public:
  explicit FixedOffset(std::int32_t seconds = 0) : seconds_(seconds) {}
  std::int32_t utc_offset_seconds(std::int64_t) const override { return seconds_; }
  std::int64_t next_change(std::int64_t) const override {
    return std::numeric_limits<std::int64_t>::max();
  }

 private:
  std::int32_t seconds_;
};

struct Due {
  std::size_t job;          // index into the jobs passed to due()
  std::int64_t utc_minute;  // the minute it runs in
  LocalTime local;          // the local time it was scheduled for (before a forward jump, a
                            // skipped time such as 02:30; otherwise the local time of utc_minute)
  friend bool operator==(const Due&, const Due&) = default;
};

// The jobs to run for the UTC minutes in (from_exclusive, to_inclusive], ordered by minute and
// then by job index; see the rule at the top of this file. Only the last kMaxCatchUpMinutes of
// the interval are evaluated. Nothing is due when to_inclusive <= from_exclusive or
// to_inclusive lies beyond ±2^40 minutes.
std::vector<Due> due(std::span<const Job> jobs, std::int64_t from_exclusive,
                     std::int64_t to_inclusive, const ZoneRules& zone);

}  // namespace ml::core::cron
