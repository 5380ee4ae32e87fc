// Simulated time for the emulated installations: wall time x time scale from a start time, with
// freeze, and the calendar helpers the meters need (dates and clocks as yymmdd / hhmmss numbers).
// Simulated time is Unix milliseconds, UTC.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::sim {

using WallClock = std::chrono::steady_clock;

struct CivilTime {
  int year = 1970, month = 1, day = 1, hour = 0, minute = 0, second = 0, millisecond = 0;
  bool operator==(const CivilTime&) const = default;
};

// Calendar date and time (UTC) of a Unix millisecond count, and back.
CivilTime civil_time(std::int64_t unix_ms);
std::int64_t unix_ms(const CivilTime& t);

// "2025-01-31T12:00:00.000Z".
std::string iso_time(std::int64_t unix_ms);
// "YYYY-MM-DDTHH:MM:SS[.mmm][Z]" (UTC; a space may replace the T) or whole Unix seconds.
core::Result<std::int64_t> parse_time(std::string_view text);

// The meter's date and clock registers as numbers: 250131 and 235959.
std::uint32_t yymmdd(std::int64_t unix_ms);
std::uint32_t hhmmss(std::int64_t unix_ms);

// The current system time in Unix milliseconds (the default simulation start).
std::int64_t system_now_ms();

inline constexpr double kMaxTimeScale = 1e6;

// Maps wall time to simulated time. The simulated time is continuous across every change.
class SimClock {
 public:
  SimClock(std::int64_t start_ms, double scale, WallClock::time_point wall);

  std::int64_t at(WallClock::time_point wall) const;

  // scale must be > 0 and <= kMaxTimeScale (checked by the caller; see valid_time_scale).
  void set_scale(double scale, WallClock::time_point wall);
  void set_frozen(bool frozen, WallClock::time_point wall);
  void set_time(std::int64_t sim_ms, WallClock::time_point wall);

  double scale() const { return scale_; }
  bool frozen() const { return frozen_; }

 private:
  void rebase(WallClock::time_point wall);

  std::int64_t base_ms_;
  WallClock::time_point base_wall_;
  double scale_;
  bool frozen_ = false;
};

// Empty when scale is usable, else why not.
std::string time_scale_problem(double scale);

}  // namespace ml::sim
