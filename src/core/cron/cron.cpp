// Cron jobs of the device (core/cron/cron.hpp).
#include "core/cron/cron.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <optional>
#include <utility>

#include "core/ascii.hpp"
#include "core/topic/names.hpp"

namespace ml::core::cron {
namespace {

struct FieldInfo {
  std::string_view name;
  int min;
  int max;  // day_of_week: 7, which is Sunday again
};

constexpr std::array kFields = {
    FieldInfo{"minute", 0, 59}, FieldInfo{"hour", 0, 23},       FieldInfo{"day_of_month", 1, 31},
    FieldInfo{"month", 1, 12},  FieldInfo{"day_of_week", 0, 7},
};

// The commands of the table a cron job may run (core/topic/names.hpp, Source), in its order.
constexpr auto kCommands = [] {
  constexpr auto from_cron = [](const topic::CommandInfo& c) { return c.from_cron(); };
  std::array<std::string_view,
             std::count_if(topic::kCommands.begin(), topic::kCommands.end(), from_cron)>
      out{};
  std::size_t n = 0;
  for (const auto& c : topic::kCommands) {
    if (from_cron(c)) out[n++] = c.name;
  }
  return out;
}();

constexpr std::string_view kCommandKey = "command=";

const FieldInfo& info(FieldKind kind) {
  return kFields.at(static_cast<std::size_t>(kind));
}

Error field_error(FieldKind kind, const std::string& what) {
  return make_error(Errc::cron_invalid, std::string(info(kind).name) + ": " + what);
}

// A decimal number of digits only; saturates at 1000 (out of every range, never overflows).
std::optional<int> parse_number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  int value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    value = std::min(value * 10 + (c - '0'), 1000);
  }
  return value;
}

std::string range_text(const FieldInfo& f) {
  return std::to_string(f.min) + "-" + std::to_string(f.max);
}

Result<int> field_number(FieldKind kind, std::string_view s, std::string_view item) {
  const FieldInfo& f = info(kind);
  const auto n = parse_number(s);
  if (!n) {
    if (s.empty()) return field_error(kind, "a number is missing in " + core::quoted_excerpt(item));
    return field_error(kind, core::quoted_excerpt(s) + " is not a number");
  }
  if (*n < f.min || *n > f.max) {
    const std::string shown = *n >= 1000 ? core::quoted_excerpt(s) : std::to_string(*n);
    return field_error(kind, shown + " is out of range " + range_text(f));
  }
  return *n;
}

// One list item: *, */s, n, a-b, a-b/s. Returns the bits it sets.
Result<std::uint64_t> parse_item(FieldKind kind, std::string_view item) {
  const FieldInfo& f = info(kind);
  if (item.empty()) return field_error(kind, "empty item in the list");
  std::string_view range = item;
  int step = 1;
  if (const auto slash = item.find('/'); slash != std::string_view::npos) {
    range = item.substr(0, slash);
    const std::string_view step_text = item.substr(slash + 1);
    const auto s = parse_number(step_text);
    if (!s) {
      if (step_text.empty())
        return field_error(kind, "a step is missing in " + core::quoted_excerpt(item));
      return field_error(kind, "step " + core::quoted_excerpt(step_text) + " is not a number");
    }
    if (*s == 0)
      return field_error(kind, "step 0 in " + core::quoted_excerpt(item) + " is not allowed");
    if (*s > f.max) {
      const std::string shown = *s >= 1000 ? core::quoted_excerpt(step_text) : std::to_string(*s);
      return field_error(kind, "step " + shown + " is out of range 1-" + std::to_string(f.max));
    }
    step = *s;
  }
  int first = f.min;
  int last = kind == FieldKind::day_of_week ? 6 : f.max;
  if (range != "*") {
    const auto dash = range.find('-');
    if (dash == std::string_view::npos) {
      auto n = field_number(kind, range, item);
      if (!n) return n.error();
      if (range.size() != item.size()) {
        return field_error(kind, core::quoted_excerpt(item) +
                                     " has a step without a range (write " + std::string(range) +
                                     "-" + std::to_string(f.max) + "/" + std::to_string(step) +
                                     " or */" + std::to_string(step) + ")");
      }
      first = last = *n;
    } else {
      auto a = field_number(kind, range.substr(0, dash), item);
      if (!a) return a.error();
      auto b = field_number(kind, range.substr(dash + 1), item);
      if (!b) return b.error();
      if (*a > *b) {
        return field_error(
            kind, "range " + std::to_string(*a) + "-" + std::to_string(*b) + " is reversed");
      }
      first = *a;
      last = *b;
    }
  }
  std::uint64_t bits = 0;
  for (int v = first; v <= last; v += step)
    bits |= std::uint64_t{1} << (kind == FieldKind::day_of_week ? v % 7 : v);
  return bits;
}

std::uint64_t all_bits(FieldKind kind) {
  const FieldInfo& f = info(kind);
  const int last = kind == FieldKind::day_of_week ? 6 : f.max;
  std::uint64_t bits = 0;
  for (int v = f.min; v <= last; ++v)
    bits |= std::uint64_t{1} << v;
  return bits;
}

Field& field_of(Job& job, FieldKind kind) {
  switch (kind) {
    case FieldKind::minute:
      return job.minute;
    case FieldKind::hour:
      return job.hour;
    case FieldKind::day_of_month:
      return job.day_of_month;
    case FieldKind::month:
      return job.month;
    case FieldKind::day_of_week:
      break;
  }
  return job.day_of_week;
}

std::optional<FieldKind> field_kind(std::string_view key) {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (kFields[i].name == key) return static_cast<FieldKind>(i);
  }
  return std::nullopt;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

}  // namespace

std::string_view field_name(FieldKind kind) {
  return info(kind).name;
}

Result<Field> Field::parse(FieldKind kind, std::string_view text) {
  if (text.size() > kMaxFieldSize) {
    return field_error(kind, "longer than " + std::to_string(kMaxFieldSize) + " characters");
  }
  if (text.empty()) return Field(kind, std::string(text), all_bits(kind));
  std::uint64_t bits = 0;
  std::string_view rest = text;
  while (true) {
    const auto comma = rest.find(',');
    auto item_bits = parse_item(kind, rest.substr(0, comma));
    if (!item_bits) return item_bits.error();
    bits |= *item_bits;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return Field(kind, std::string(text), bits);
}

Field Field::any(FieldKind kind) {
  return Field(kind, "*", all_bits(kind));
}

bool Field::matches(int value) const {
  if (kind_ == FieldKind::day_of_week && value == 7) value = 0;
  if (value < 0 || value > 63) return false;
  return (bits_ >> value) & 1u;
}

bool is_cron_command(std::string_view name) {
  return topic::find_cron_command(name) != nullptr;
}

std::span<const std::string_view> cron_commands() {
  return kCommands;
}

Result<Job> parse_set_cron(std::string_view argument) {
  if (argument.size() > kMaxArgumentSize) {
    return make_error(Errc::cron_invalid, "the job is " + std::to_string(argument.size()) +
                                              " bytes long, at most " +
                                              std::to_string(kMaxArgumentSize));
  }
  if (argument.find('\0') != std::string_view::npos) {
    return make_error(Errc::cron_invalid, "the job contains a NUL byte");
  }
  const auto at = argument.find(kCommandKey);
  if (at == std::string_view::npos) {
    return make_error(Errc::cron_invalid, "command: missing (command=<name> comes last)");
  }
  Job job;
  std::string_view command = argument.substr(at + kCommandKey.size());
  if (const auto eq = command.find('='); eq != std::string_view::npos) {
    const std::string_view params = command.substr(eq + 1);
    command = command.substr(0, eq);
    if (params.size() > kMaxParamsSize) {
      return make_error(Errc::cron_invalid, "command parameters: longer than " +
                                                std::to_string(kMaxParamsSize) + " characters");
    }
    for (std::size_t i = 0; i < params.size(); ++i) {
      const auto c = static_cast<unsigned char>(params[i]);
      if (c < 0x20 || c == 0x7f) {
        return make_error(Errc::cron_invalid,
                          "command parameters: control character at " + std::to_string(i));
      }
    }
    job.params = std::string(params);
  }
  if (command.empty()) return make_error(Errc::cron_invalid, "command: no name after command=");
  if (command.size() > kMaxCommandSize) {
    return make_error(Errc::cron_invalid,
                      "command: longer than " + std::to_string(kMaxCommandSize) + " characters");
  }
  if (!is_cron_command(command)) {
    std::string allowed;
    for (std::string_view c : kCommands)
      allowed += (allowed.empty() ? "" : ", ") + std::string(c);
    return make_error(Errc::cron_bad_command,
                      core::quoted_excerpt(command) + " (cron runs " + allowed + ")");
  }
  job.command = std::string(command);

  std::array<bool, kFields.size()> seen{};
  std::string_view rest = argument.substr(0, at);
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const std::string_view pair = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
    const auto eq = pair.find('=');
    const auto kind = field_kind(pair.substr(0, eq));
    if (!kind) continue;  // unknown keys (and empty pieces) are ignored, as the original
    if (eq == std::string_view::npos) return field_error(*kind, "no '=' and value");
    auto& was_seen = seen.at(static_cast<std::size_t>(*kind));
    if (was_seen) return field_error(*kind, "given twice");
    was_seen = true;
    auto field = Field::parse(*kind, pair.substr(eq + 1));
    if (!field) return field.error();
    field_of(job, *kind) = std::move(*field);
  }
  return job;
}

std::string to_text(const Job& job) {
  std::string out;
  for (const Field* f : {&job.minute, &job.hour, &job.day_of_month, &job.month, &job.day_of_week}) {
    out += field_name(f->kind());
    out += '=';
    out += f->text();
    out += '&';
  }
  out += kCommandKey;
  out += job.command;
  if (!job.params.empty()) {
    out += '=';
    out += job.params;
  }
  return out;
}

bool matches(const Job& job, const LocalTime& t) {
  return job.minute.matches(t.minute) && job.hour.matches(t.hour) &&
         job.day_of_month.matches(t.day) && job.month.matches(t.month) &&
         job.day_of_week.matches(t.weekday);
}

std::int64_t utc_minute(std::int64_t unix_seconds) {
  return floor_div(unix_seconds, 60);
}

LocalTime local_time(std::int64_t minutes_since_epoch) {
  // Howard Hinnant's civil_from_days (http://howardhinnant.github.io/date_algorithms.html).
  const std::int64_t days = floor_div(minutes_since_epoch, 1440);
  const std::int64_t minute_of_day = minutes_since_epoch - days * 1440;
  const std::int64_t z = days + 719468;
  const std::int64_t era = floor_div(z, 146097);
  const std::int64_t doe = z - era * 146097;                                       // [0, 146096]
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;  // [0, 399]
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                // [0, 365]
  const std::int64_t mp = (5 * doy + 2) / 153;                                     // [0, 11]
  const std::int64_t month = mp < 10 ? mp + 3 : mp - 9;
  LocalTime t;
  t.year = static_cast<int>(yoe + era * 400 + (month <= 2 ? 1 : 0));
  t.month = static_cast<int>(month);
  t.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  t.hour = static_cast<int>(minute_of_day / 60);
  t.minute = static_cast<int>(minute_of_day % 60);
  t.weekday = static_cast<int>(days + 4 - floor_div(days + 4, 7) * 7);  // 1970-01-01: Thursday
  return t;
}

std::vector<Due> due(std::span<const Job> jobs, std::int64_t from_exclusive,
                     std::int64_t to_inclusive, const ZoneRules& zone) {
  constexpr std::int64_t kLimit = std::int64_t{1} << 40;
  std::vector<Due> out;
  if (to_inclusive <= from_exclusive || to_inclusive > kLimit || to_inclusive < -kLimit) return out;
  const std::int64_t from = std::max(from_exclusive, to_inclusive - kMaxCatchUpMinutes);
  const auto local_minute = [&zone](std::int64_t m) {
    return m + floor_div(zone.utc_offset_seconds(m * 60), 60);
  };
  // The latest local minute reached before the first evaluated minute: the maximum of
  // local_minute(k) for k in [from - lookback, from], one stretch of constant offset at a time
  // (where the offset is constant, the last minute of the stretch is the latest).
  std::int64_t reached = std::numeric_limits<std::int64_t>::min();
  for (std::int64_t k = from - kRepeatLookbackMinutes; k <= from;) {
    const std::int64_t offset = floor_div(zone.utc_offset_seconds(k * 60), 60);
    const std::int64_t until = zone.next_change(k * 60);  // unix seconds
    // The minutes starting before `until` share the offset: up to ceil(until / 60) - 1.
    const std::int64_t last = std::clamp(until / 60 + (until % 60 > 0 ? 1 : 0) - 1, k, from);
    reached = std::max(reached, last + offset);
    k = last + 1;
  }

  std::vector<LocalTime> newly;
  for (std::int64_t m = from + 1; m <= to_inclusive; ++m) {
    const std::int64_t now = local_minute(m);
    if (now <= reached) continue;  // the clock went back: this wall time has run already
    newly.clear();
    for (std::int64_t l = std::max(reached + 1, now - kMaxSkippedMinutes + 1); l <= now; ++l)
      newly.push_back(local_time(l));
    reached = now;
    for (std::size_t j = 0; j < jobs.size(); ++j) {
      const auto hit = std::find_if(newly.begin(), newly.end(),
                                    [&](const LocalTime& t) { return matches(jobs[j], t); });
      if (hit != newly.end()) out.push_back(Due{j, m, *hit});
    }
  }
  return out;
}

}  // namespace ml::core::cron
