// How long the paid energy lasts (estimate.hpp).
#include "server/estimate.hpp"

#include <algorithm>
#include <iterator>
#include <vector>

namespace ml::server::estimate {

using core::Decimal;

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

Decimal integer(std::int64_t v) {
  return Decimal{v < 0, static_cast<std::uint64_t>(v < 0 ? -v : v), 0};
}

// A whole number of the (rounded) decimal; the caller keeps it within int64.
std::int64_t to_int(const Decimal& d) {
  auto whole = d.multiplied(1, 1, 0);
  if (!whole) return 0;
  std::int64_t v = static_cast<std::int64_t>(whole->mantissa);
  for (std::int32_t e = 0; e < whole->exponent; ++e)
    v *= 10;
  return whole->negative ? -v : v;
}

core::Result<Decimal> work(const core::Result<Decimal>& d) {
  if (!d) return d.error();
  return d->multiplied(1, 1, kWorkDecimals);
}

// The value with exactly `n` fraction digits (rounded half-to-even, or padded with zeros).
core::Result<Decimal> fixed(const core::Result<Decimal>& d, int n) {
  if (!d) return d.error();
  auto r = d->multiplied(1, 1, n);
  if (!r) return r.error();
  Decimal v = *r;
  while (v.exponent > -n) {
    if (__builtin_mul_overflow(v.mantissa, std::uint64_t{10}, &v.mantissa)) {
      return core::make_error(core::Errc::decimal_overflow, "estimate: value too large");
    }
    --v.exponent;
  }
  return v;
}

bool positive(const Decimal& d) {
  return !d.negative && !d.is_zero();
}

// The median of a non-empty list (the mean of the middle two for an even count); may sort `v`.
core::Result<Decimal> median_of(std::vector<Decimal>& v) {
  // One or two values (one or two earlier years, the common case) need no sorting: the mean of
  // two does not depend on their order.
  if (v.size() > 2) {
    std::sort(v.begin(), v.end(),
              [](const Decimal& a, const Decimal& b) { return core::compare(a, b) < 0; });
  }
  const std::size_t n = v.size();
  if (n % 2 == 1) return v[n / 2];
  auto s = core::sum(v[n / 2 - 1], v[n / 2]);
  if (!s) return s.error();
  return s->multiplied(1, 2, kWorkDecimals);
}

core::Result<Decimal> median(std::vector<Decimal> v) {
  return median_of(v);
}

// The whole days before today of a history, a negative use read as 0: what the estimator looks
// at. Days from kMaxYearsBack years (and the gap window) before today on, the only ones the
// seasonal method's matching days reach, are looked up by index; older ones (the recent method's
// newest days with data may be anywhere) in the history itself. The estimator looks up about
// 10 000 days per call: a map lookup each was most of its time.
class Past {
 public:
  Past(const DailyUse& h, std::int64_t today) : h_(h), today_(today), end_(h.lower_bound(today)) {
    if (end_ == h.begin()) return;
    first_ = std::max(h.begin()->first, today - kMaxYearsBack * 366 - kGapWindow - 1);
    slots_.assign(static_cast<std::size_t>(today - first_), nullptr);
    for (auto it = h.lower_bound(first_); it != end_; ++it)
      slots_[static_cast<std::size_t>(it->first - first_)] = clamp(it->second);
  }
  bool empty() const { return end_ == h_.begin(); }
  const Decimal* find(std::int64_t day) const {
    if (day >= today_) return nullptr;
    if (day >= first_) return slots_[static_cast<std::size_t>(day - first_)];
    auto it = h_.find(day);
    return it == h_.end() ? nullptr : clamp(it->second);
  }
  // The days before today, newest first: f(units) until it returns false.
  template <class F>
  void newest_first(F f) const {
    for (auto it = std::make_reverse_iterator(end_); it != h_.rend(); ++it)
      if (!f(*clamp(it->second))) return;
  }

 private:
  static const Decimal* clamp(const Decimal& units) {
    static const Decimal zero{};
    return units.negative ? &zero : &units;
  }
  const DailyUse& h_;
  std::int64_t today_;
  DailyUse::const_iterator end_;  // the first day not before today
  std::int64_t first_ = 0;
  std::vector<const Decimal*> slots_;  // [first_, today_)
};

struct Year {
  int back = 0;
  Decimal level{};
};

}  // namespace

std::string_view method_name(Method m) {
  switch (m) {
    case Method::none:
      return "none";
    case Method::recent:
      return "recent";
    case Method::seasonal:
      return "seasonal";
  }
  return "none";
}

std::int64_t day_of(std::int64_t unix_seconds) {
  return floor_div(unix_seconds, kDaySeconds);
}

bool leap_year(std::int64_t y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

// Howard Hinnant's days_from_civil / civil_from_days (public domain, "chrono-Compatible
// Low-Level Date Algorithms").
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = floor_div(y, 400);
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

Civil civil_from_days(std::int64_t z) {
  z += 719468;
  const std::int64_t era = floor_div(z, 146097);
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  return {y + (m <= 2 ? 1 : 0), m, d};
}

std::int64_t matching_day(std::int64_t day, int years_back) {
  const Civil c = civil_from_days(day);
  const std::int64_t y = c.year - years_back;
  const unsigned d = c.month == 2 && c.day == 29 && !leap_year(y) ? 28 : c.day;
  return days_from_civil(y, c.month, d);
}

core::Result<Estimate> estimate(const Decimal& left, std::int64_t now, const DailyUse& history) {
  Estimate out;
  const std::int64_t today = day_of(now);
  // Whole days before today only.
  const Past past(history, today);
  if (past.empty()) return out;  // none

  // ---- the earlier years that take part, and those kept ----
  std::vector<Year> taking;
  for (int k = 1; k <= kMaxYearsBack; ++k) {
    Decimal total{};
    std::int64_t count = 0;
    for (int i = 0; i < kPeriodDays; ++i) {
      const std::int64_t m = matching_day(today + i, k);
      if (m >= today) continue;
      if (const Decimal* v = past.find(m)) {
        auto s = core::sum(total, *v);
        if (!s) return s.error();
        total = *s;
        ++count;
      }
    }
    if (count < kMinPeriodDays) continue;
    auto level = total.multiplied(1, static_cast<std::uint64_t>(count), kWorkDecimals);
    if (!level) return level.error();
    taking.push_back({k, *level});
  }
  std::vector<Year> kept;
  if (!taking.empty()) {
    std::vector<Decimal> levels;
    for (const auto& y : taking)
      levels.push_back(y.level);
    auto mid = median(levels);
    if (!mid) return mid.error();
    auto low = mid->multiplied(1, 2, kWorkDecimals + 1);
    auto high = mid->multiplied(2, 1, kWorkDecimals);
    if (!low) return low.error();
    if (!high) return high.error();
    for (const auto& y : taking) {
      if (core::compare(y.level, *low) >= 0 && core::compare(y.level, *high) <= 0) {
        kept.push_back(y);
      } else {
        ++out.years_discarded;
      }
    }
  }

  // ---- the use of each day ahead ----
  // ahead[i]: units used on day today + i. Seasonal: made as the walk reaches each day (a walk
  // ends at the closing day, usually long before the horizon; each day costs a median).
  std::vector<Decimal> ahead;
  ahead.reserve(static_cast<std::size_t>(kHorizonDays) + 1);
  std::vector<Decimal> v;  // one buffer for every day
  Decimal level{};
  // Appends ahead[ahead.size()] (seasonal).
  const auto next_day = [&]() -> core::Status {
    const auto i = static_cast<std::int64_t>(ahead.size());
    const auto values_at = [&](std::int64_t day, int from, int to) {
      v.clear();
      for (const auto& y : kept) {
        for (int off = from; off <= to; ++off) {
          const std::int64_t m = matching_day(day + off, y.back);
          if (m >= today) continue;
          if (const Decimal* x = past.find(m)) v.push_back(*x);
        }
      }
    };
    values_at(today + i, 0, 0);
    if (v.empty()) values_at(today + i, -kGapWindow, kGapWindow);
    if (!v.empty()) {
      auto m = median_of(v);
      if (!m) return m.error();
      ahead.push_back(*m);
    } else if (i >= 365) {
      ahead.push_back(ahead[static_cast<std::size_t>(i - 365)]);
    } else {
      ahead.push_back(level);
    }
    return core::Ok{};
  };
  if (!kept.empty()) {
    out.method = Method::seasonal;
    out.years_used = static_cast<int>(kept.size());
    std::vector<Decimal> levels;
    for (const auto& y : kept)
      levels.push_back(y.level);
    auto mid = median(levels);
    if (!mid) return mid.error();
    level = *mid;
    v.reserve(kept.size() * (2 * kGapWindow + 1));
  } else {
    out.method = Method::recent;
    Decimal total{};
    std::int64_t count = 0;
    core::Status failed = core::Ok{};
    past.newest_first([&](const Decimal& units) {
      auto s = core::sum(total, units);
      if (!s) {
        failed = s.error();
        return false;
      }
      total = *s;
      return ++count < kRecentDays;
    });
    if (!failed) return failed.error();
    auto mean = total.multiplied(1, static_cast<std::uint64_t>(count), kWorkDecimals);
    if (!mean) return mean.error();
    ahead.assign(static_cast<std::size_t>(kHorizonDays) + 1, *mean);
  }

  // ---- the walk ----
  Decimal rest = left;
  std::int64_t t = now;
  Decimal used{};           // over the days walked
  std::int64_t walked = 0;  // seconds walked
  for (int i = 0; i <= kHorizonDays; ++i) {
    if (ahead.size() <= static_cast<std::size_t>(i)) ML_TRY(next_day());
    const Decimal& u = ahead[static_cast<std::size_t>(i)];
    const std::int64_t end = (today + i + 1) * kDaySeconds;
    const std::int64_t span = end - t;
    auto avail = u.multiplied(static_cast<std::uint64_t>(span), kDaySeconds, kWorkDecimals);
    if (!avail) return avail.error();
    if (!positive(rest) || (positive(u) && core::compare(*avail, rest) >= 0)) {
      std::int64_t secs = 0;
      if (positive(rest)) {
        auto scaled = core::product(rest, integer(kDaySeconds));
        if (!scaled) return scaled.error();
        auto q = core::quotient(*scaled, u, 0);
        if (!q) return q.error();
        secs = std::min(to_int(*q), span);
      }
      auto part = u.multiplied(static_cast<std::uint64_t>(secs), kDaySeconds, kWorkDecimals);
      if (!part) return part.error();
      auto s = work(core::sum(used, *part));
      if (!s) return s.error();
      used = *s;
      walked += secs;
      t += secs;
      if (t - now > std::int64_t{kHorizonDays} * kDaySeconds) break;
      out.closes_at = t;
      auto days = fixed(integer(t - now).multiplied(1, kDaySeconds, 2), 2);
      if (!days) return days.error();
      out.days_left = *days;
      break;
    }
    auto r = work(core::difference(rest, *avail));
    auto s = work(core::sum(used, *avail));
    if (!r) return r.error();
    if (!s) return s.error();
    rest = *r;
    used = *s;
    walked += span;
    t = end;
  }
  out.beyond_horizon = !out.closes_at;
  // The rate: what the walk used per hour; nothing left at all: today's use per hour.
  core::Result<Decimal> rate = ahead.front().multiplied(1, 24, 3);
  if (walked > 0) {
    auto x = core::product(used, integer(3600));
    if (!x) return x.error();
    rate = core::quotient(*x, integer(walked), 3);
  }
  rate = fixed(rate, 3);
  if (!rate) return rate.error();
  out.rate = *rate;
  return out;
}

}  // namespace ml::server::estimate
