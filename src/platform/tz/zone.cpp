#include "platform/tz/zone.hpp"

#include <date/tz.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <limits>
#include <utility>

#include "core/ascii.hpp"

namespace ml::platform {
namespace {

constexpr std::int64_t kYear1800 = -5364662400;  // 1800-01-01T00:00:00Z
constexpr std::int64_t kYear2037 = 2114380800;   // 2037-01-01T00:00:00Z
constexpr std::int64_t kYear2038 = 2145916800;   // 2038-01-01T00:00:00Z
// 28 years in 1901-2099 (7 leap days): the calendar, weekdays included, repeats after them.
constexpr std::int64_t kCycleSeconds = (28 * 365 + 7) * std::int64_t{86400};

bool valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '/') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' ||
           c == '_' || c == '+' || c == '-';
  });
}

date::sys_seconds at(std::int64_t unix_seconds) {
  return date::sys_seconds{std::chrono::seconds{unix_seconds}};
}

// The instant whose offset stands for `unix_seconds`, and how far that instant is shifted:
// before 1800 the offset of 1800; from 2038 on a zone that still changes its clocks repeats its
// 2010-2037 cycle; a zone that does not keeps the offset it has after 2037.
struct Mapped {
  std::int64_t t;
  std::int64_t shift;  // unix_seconds - t, when unix_seconds maps to t one to one
  bool constant;       // every later instant has the same offset
};

Mapped map_instant(std::int64_t unix_seconds, bool cycles) {
  if (unix_seconds < kYear1800) return {kYear1800, 0, false};
  if (unix_seconds < kYear2038) return {unix_seconds, 0, false};
  if (!cycles) return {kYear2038, 0, true};
  const std::int64_t shift = ((unix_seconds - kYear2038) / kCycleSeconds + 1) * kCycleSeconds;
  return {unix_seconds - shift, shift, false};
}

}  // namespace

std::int32_t Zone::utc_offset_seconds(std::int64_t unix_seconds) const {
  const Mapped m = map_instant(unix_seconds, cycles_);
  return static_cast<std::int32_t>(zone_->get_info(at(m.t)).offset.count());
}

std::int64_t Zone::next_change(std::int64_t unix_seconds) const {
  if (unix_seconds < kYear1800) return kYear1800;
  const Mapped m = map_instant(unix_seconds, cycles_);
  if (m.constant) return std::numeric_limits<std::int64_t>::max();
  const std::int64_t end = zone_->get_info(at(m.t)).end.time_since_epoch().count();
  // Within one stretch of the mapping: 1800-2037 as is, or one 28-year window after 2037.
  const std::int64_t base = std::min(end, kYear2038);
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  return base > 0 && m.shift > kMax - base ? kMax : base + m.shift;
}

core::Result<Zone> load_zone(std::string_view name) {
  if (!valid_name(name)) {
    return core::make_error(
        core::Errc::time_zone_unknown,
        core::quoted_excerpt(name, 64) + " is not a time zone name (such as Europe/Copenhagen)");
  }
  try {
    const date::time_zone* zone = date::locate_zone(name);
    // Reads the zone's file now, so that utc_offset_seconds() never fails later.
    const auto in_2037 = zone->get_info(at(kYear2037));
    const bool cycles = in_2037.end < at(kYear2038);
    return Zone(std::string(name), zone, cycles);
  } catch (const std::exception& e) {
    return core::make_error(core::Errc::time_zone_unknown,
                            core::quoted_excerpt(name, 64) + ": " + e.what());
  }
}

}  // namespace ml::platform
