// The time-left estimate of a meter from the store (estimates.hpp).
#include "server/usecases/estimates.hpp"

#include <algorithm>
#include <functional>
#include <iterator>
#include <optional>

#include "server/ledger.hpp"

namespace ml::server::usecase {

using core::Decimal;
using estimate::kDaySeconds;

namespace {

void add(estimate::DailyUse& h, std::int64_t day, const Decimal& units) {
  // The days come mostly in order: a new last day is appended without a search.
  if (h.empty() || h.rbegin()->first < day) {
    h.emplace_hint(h.end(), day, units);
    return;
  }
  auto it = h.lower_bound(day);
  if (it == h.end() || it->first != day) {
    h.emplace_hint(it, day, units);
    return;
  }
  auto s = core::sum(it->second, units);
  if (s) {
    if (auto w = s->multiplied(1, 1, estimate::kWorkDecimals)) it->second = *w;
  }
}

std::optional<Decimal> reading(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  auto d = Decimal::parse(*text);
  if (!d) return std::nullopt;
  return *d;
}

}  // namespace

estimate::DailyUse daily_use(std::span<const Rollup> days, bool water) {
  std::vector<const Rollup*> sorted;
  for (const auto& r : days)
    sorted.push_back(&r);
  std::sort(sorted.begin(), sorted.end(),
            [](const Rollup* a, const Rollup* b) { return a->bucket < b->bucket; });
  estimate::DailyUse h;
  const Rollup* prev = nullptr;
  std::optional<Decimal> prev_last;
  for (const Rollup* r : sorted) {
    const auto first = reading(water ? r->volume_first : r->energy_first);
    const auto last = reading(water ? r->volume_last : r->energy_last);
    if (!first || !last || r->samples <= 0) continue;
    const std::int64_t day = estimate::day_of(r->bucket);
    auto within = core::difference(*last, *first);
    add(h, day, within && !within->negative ? *within : Decimal{});
    if (prev != nullptr && r->first_time > prev->last_time) {
      auto between = core::difference(*first, *prev_last);
      if (between && !between->negative && !between->is_zero()) {
        // Shared among the days from the last reading before to the first one of this bucket.
        const std::int64_t t0 = prev->last_time;
        const std::int64_t t1 = r->first_time;
        for (std::int64_t d = estimate::day_of(t0); d <= estimate::day_of(t1 - 1); ++d) {
          const std::int64_t a = std::max(t0, d * kDaySeconds);
          const std::int64_t b = std::min(t1, (d + 1) * kDaySeconds);
          if (b <= a) continue;
          auto part =
              between->multiplied(static_cast<std::uint64_t>(b - a),
                                  static_cast<std::uint64_t>(t1 - t0), estimate::kWorkDecimals);
          if (part) add(h, d, *part);
        }
      }
    }
    prev = r;
    prev_last = last;
  }
  return h;
}

core::Result<estimate::DailyUse> read_daily_use(ServerStore& store, const std::string& serial,
                                                bool water, std::int64_t from, std::int64_t to) {
  auto rows = store.rollups(serial, Period::day, from, to - 1);
  if (!rows) return rows.error();
  return daily_use(*rows, water);
}

std::int64_t history_start(std::int64_t now) {
  const std::int64_t today = estimate::day_of(now);
  return (today - estimate::kMaxYearsBack * 366 - estimate::kGapWindow - 1) * kDaySeconds;
}

core::Result<std::shared_ptr<const estimate::DailyUse>> DailyUseCache::get(
    ServerStore& store, const std::string& serial, bool water, std::int64_t now) {
  const std::int64_t today = estimate::day_of(now);
  std::optional<Entry> kept;
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(serial);
    if (it != entries_.end() && it->second.water == water) {
      if (it->second.day == today) return it->second.use;
      kept = it->second;
    }
  }
  // Read outside the lock: two threads may both read a meter once, never block each other.
  Entry fresh{today, today, water, nullptr};
  if (kept && today > kept->day && today - kept->full_day < kFullReadDays) {
    // Up to date but for the last days: those are read again and replace what was kept. Days
    // up to the first one read keep their values (the use between that day's bucket and the
    // one before is not in the new read).
    const std::int64_t from = (kept->day - kRereadDays) * kDaySeconds;
    auto rows = store.rollups(serial, Period::day, from, now);
    if (!rows) return rows.error();
    auto recent = daily_use(*rows, water);
    auto merged = *kept->use;
    if (!recent.empty()) {
      merged.erase(merged.upper_bound(recent.begin()->first), merged.end());
      merged.insert(std::next(recent.begin()), recent.end());
    }
    merged.erase(merged.begin(), merged.lower_bound(history_start(now) / kDaySeconds));
    fresh.full_day = kept->full_day;
    fresh.use = std::make_shared<const estimate::DailyUse>(std::move(merged));
  } else {
    auto use = read_daily_use(store, serial, water, history_start(now), now + 1);
    if (!use) return use.error();
    // The first read of a meter spreads its next full reads over the period.
    if (!kept) {
      fresh.full_day = today - static_cast<std::int64_t>(std::hash<std::string>{}(serial) %
                                                         static_cast<std::size_t>(kFullReadDays));
    }
    fresh.use = std::make_shared<const estimate::DailyUse>(std::move(*use));
  }
  std::lock_guard lock(mutex_);
  if (auto it = entries_.find(serial); it != entries_.end()) {
    days_ -= it->second.use->size();
    entries_.erase(it);
  }
  if (days_ + fresh.use->size() > max_days_ || entries_.size() >= kMaxMeters) {
    entries_.clear();
    days_ = 0;
  }
  days_ += fresh.use->size();
  entries_[serial] = fresh;
  return fresh.use;
}

core::Result<MeterEstimate> estimate_for(ServerStore& store, const Meter& meter,
                                         const Decimal& limit, const StoredSample* latest,
                                         std::int64_t now, DailyUseCache* cache) {
  MeterEstimate out;
  const bool water = meter.kind == core::meter::Kind::water;
  if (latest == nullptr) return out;
  const auto value = reading(water ? latest->volume_m3 : latest->energy_kwh);
  if (!value) return out;
  auto left = core::difference(limit, *value);
  if (!left) return left.error();
  out.left = *left;
  std::shared_ptr<const estimate::DailyUse> history;
  if (cache != nullptr) {
    auto cached = cache->get(store, meter.serial, water, now);
    if (!cached) return cached.error();
    history = *cached;
  } else {
    auto read = read_daily_use(store, meter.serial, water, history_start(now), now + 1);
    if (!read) return read.error();
    history = std::make_shared<const estimate::DailyUse>(std::move(*read));
  }
  auto e = estimate::estimate(*left, now, *history);
  if (!e) return e.error();
  out.estimate = *e;
  return out;
}

core::Result<MeterEstimate> estimate_for(ServerStore& store, const std::string& serial,
                                         std::int64_t now) {
  auto m = store.meter(serial);
  if (!m) return m.error();
  if (!*m) return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  auto entries = store.payments(serial);
  if (!entries) return entries.error();
  auto limit = open_until_limit(**m, *entries);
  if (!limit) return limit.error();
  auto latest = store.latest_sample(serial);
  if (!latest) return latest.error();
  return estimate_for(store, **m, *limit, *latest ? &**latest : nullptr, now);
}

std::optional<Decimal> days_left_of(const estimate::Estimate& e) {
  if (e.beyond_horizon) return Decimal{false, estimate::kHorizonDays, 0};
  return e.days_left;
}

core::Result<std::optional<Decimal>> days_left(ServerStore& store, const std::string& serial,
                                               std::int64_t now) {
  auto e = estimate_for(store, serial, now);
  if (!e) return e.error();
  return days_left_of(e->estimate);
}

core::Result<std::vector<estimate::BacktestRow>> backtest_meter(
    ServerStore& store, const std::string& serial, const estimate::BacktestOptions& options) {
  auto m = store.meter(serial);
  if (!m) return m.error();
  if (!*m) return core::make_error(core::Errc::invalid_argument, "no meter " + serial);
  int longest = 0;
  for (int n : options.ahead_days)
    longest = std::max(longest, n);
  const std::int64_t from = history_start(options.first_day * kDaySeconds);
  const std::int64_t to = (options.last_day + longest + 1) * kDaySeconds;
  auto history = read_daily_use(store, serial, (*m)->kind == core::meter::Kind::water, from, to);
  if (!history) return history.error();
  return estimate::backtest(*history, options);
}

}  // namespace ml::server::usecase
