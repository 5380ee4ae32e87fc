#include "sim/sim_clock.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace ml::sim {
namespace {

constexpr std::int64_t kMsPerDay = 86'400'000;

// Days since 1970-01-01 of a proleptic Gregorian date, and back (the era-based algorithm).
std::int64_t days_from_civil(std::int64_t y, int m, int d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void civil_from_days(std::int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const std::int64_t doe = z - era * 146097;
  const std::int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const std::int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2 ? 1 : 0));
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

int days_in_month(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

}  // namespace

CivilTime civil_time(std::int64_t ms) {
  const std::int64_t days = floor_div(ms, kMsPerDay);
  const std::int64_t rest = ms - days * kMsPerDay;
  CivilTime t;
  civil_from_days(days, t.year, t.month, t.day);
  t.hour = static_cast<int>(rest / 3'600'000);
  t.minute = static_cast<int>(rest / 60'000 % 60);
  t.second = static_cast<int>(rest / 1000 % 60);
  t.millisecond = static_cast<int>(rest % 1000);
  return t;
}

std::int64_t unix_ms(const CivilTime& t) {
  return days_from_civil(t.year, t.month, t.day) * kMsPerDay + t.hour * 3'600'000LL +
         t.minute * 60'000LL + t.second * 1000LL + t.millisecond;
}

std::string iso_time(std::int64_t ms) {
  const CivilTime t = civil_time(ms);
  char buf[40];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.year, t.month, t.day,
                t.hour, t.minute, t.second, t.millisecond);
  return buf;
}

core::Result<std::int64_t> parse_time(std::string_view text) {
  auto bad = [&] {
    return core::make_error(core::Errc::invalid_argument,
                            "time '" + std::string(text.substr(0, 40)) +
                                "' is not YYYY-MM-DDTHH:MM:SS[.mmm][Z] (UTC) or Unix seconds");
  };
  if (text.empty() || text.size() > 40) return bad();
  if (text.find('-') == std::string_view::npos) {
    std::int64_t secs = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), secs);
    if (ec != std::errc() || end != text.data() + text.size() || secs < 0 ||
        secs > 253'402'300'799LL) {
      return bad();
    }
    return secs * 1000;
  }
  CivilTime t;
  if (!digits(text, 0, 4, t.year) || text.size() < 19 || text[4] != '-' ||
      !digits(text, 5, 2, t.month) || text[7] != '-' || !digits(text, 8, 2, t.day) ||
      (text[10] != 'T' && text[10] != ' ') || !digits(text, 11, 2, t.hour) || text[13] != ':' ||
      !digits(text, 14, 2, t.minute) || text[16] != ':' || !digits(text, 17, 2, t.second)) {
    return bad();
  }
  std::size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {
    if (!digits(text, pos + 1, 3, t.millisecond)) return bad();
    pos += 4;
  }
  if (pos < text.size() && text[pos] == 'Z') ++pos;
  if (pos != text.size()) return bad();
  if (t.month < 1 || t.month > 12 || t.day < 1 || t.day > days_in_month(t.year, t.month) ||
      t.hour > 23 || t.minute > 59 || t.second > 59) {
    return bad();
  }
  return unix_ms(t);
}

std::uint32_t yymmdd(std::int64_t ms) {
  const CivilTime t = civil_time(ms);
  return static_cast<std::uint32_t>((t.year % 100) * 10000 + t.month * 100 + t.day);
}

std::uint32_t hhmmss(std::int64_t ms) {
  const CivilTime t = civil_time(ms);
  return static_cast<std::uint32_t>(t.hour * 10000 + t.minute * 100 + t.second);
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

SimClock::SimClock(std::int64_t start_ms, double scale, WallClock::time_point wall)
    : base_ms_(start_ms), base_wall_(wall), scale_(scale) {}

std::int64_t SimClock::at(WallClock::time_point wall) const {
  if (frozen_ || wall <= base_wall_) return base_ms_;
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wall - base_wall_).count();
  const long double sim_ms = static_cast<long double>(ns) * scale_ / 1e6L;
  return base_ms_ + static_cast<std::int64_t>(std::floor(sim_ms));
}

void SimClock::rebase(WallClock::time_point wall) {
  base_ms_ = at(wall);
  base_wall_ = wall;
}

void SimClock::set_scale(double scale, WallClock::time_point wall) {
  rebase(wall);
  scale_ = scale;
}

void SimClock::set_frozen(bool frozen, WallClock::time_point wall) {
  rebase(wall);
  frozen_ = frozen;
}

void SimClock::set_time(std::int64_t sim_ms, WallClock::time_point wall) {
  base_ms_ = sim_ms;
  base_wall_ = wall;
}

std::string time_scale_problem(double scale) {
  if (!std::isfinite(scale) || scale <= 0.0) return "the time scale must be a number above 0";
  if (scale > kMaxTimeScale) return "the time scale must be at most 1000000";
  return {};
}

}  // namespace ml::sim
