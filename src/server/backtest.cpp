// How well the time-left estimator would have done (backtest.hpp).
#include "server/backtest.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace ml::server::estimate {
namespace {

inline constexpr std::array<std::string_view, 4> kMethodOrder = {"seasonal", "recent",
                                                                 "recent-only", "none"};

std::size_t order_of(const std::string& method) {
  for (std::size_t i = 0; i < kMethodOrder.size(); ++i) {
    if (kMethodOrder[i] == method) return i;
  }
  return kMethodOrder.size();
}

BacktestRow& row(std::vector<BacktestRow>& rows, const std::string& method, int ahead) {
  for (auto& r : rows) {
    if (r.method == method && r.ahead == ahead) return r;
  }
  rows.push_back({method, ahead, 0, 0});
  return rows.back();
}

void sort_rows(std::vector<BacktestRow>& rows) {
  std::sort(rows.begin(), rows.end(), [](const BacktestRow& a, const BacktestRow& b) {
    const auto oa = order_of(a.method), ob = order_of(b.method);
    return oa != ob ? oa < ob : a.ahead < b.ahead;
  });
}

std::int64_t error_of(const Estimate& e, std::int64_t start, std::int64_t actual) {
  const std::int64_t predicted =
      e.closes_at ? *e.closes_at : start + std::int64_t{kHorizonDays} * kDaySeconds;
  return predicted > actual ? predicted - actual : actual - predicted;
}

}  // namespace

std::optional<core::Decimal> BacktestRow::mean_error_days() const {
  if (count <= 0 || method == "none") return std::nullopt;
  auto d = core::Decimal{false, static_cast<std::uint64_t>(error_seconds), 0}.multiplied(
      1, static_cast<std::uint64_t>(count) * kDaySeconds, 2);
  if (!d) return std::nullopt;
  core::Decimal v = *d;
  while (v.exponent > -2) {  // always 2 decimals: "0.50", "3.00"
    v.mantissa *= 10;
    --v.exponent;
  }
  return v;
}

core::Result<std::vector<BacktestRow>> backtest(const DailyUse& history,
                                                const BacktestOptions& options) {
  std::vector<BacktestRow> rows;
  const int step = std::max(1, options.step_days);
  for (std::int64_t s = options.first_day; s <= options.last_day; s += step) {
    const std::int64_t start = s * kDaySeconds;
    for (int n : options.ahead_days) {
      if (n <= 0 || n > kHorizonDays) continue;
      // What the meter used over the next n days: all of them must be known.
      core::Decimal used{};
      bool complete = true;
      for (std::int64_t d = s; d < s + n && complete; ++d) {
        auto it = history.find(d);
        if (it == history.end()) {
          complete = false;
          break;
        }
        auto sum = core::sum(used, it->second.negative ? core::Decimal{} : it->second);
        if (!sum) return sum.error();
        used = *sum;
      }
      if (!complete || used.is_zero()) continue;
      const std::int64_t actual = (s + n) * kDaySeconds;
      auto e = estimate(used, start, history);
      if (!e) return e.error();
      auto& r = row(rows, std::string(method_name(e->method)), n);
      ++r.count;
      if (e->method == Method::none) continue;
      r.error_seconds += error_of(*e, start, actual);
      // The same start with the recent method only.
      DailyUse last_week;
      for (auto it = history.lower_bound(s - kRecentDays); it != history.end() && it->first < s;
           ++it)
        last_week.insert(*it);
      auto recent = estimate(used, start, last_week);
      if (!recent) return recent.error();
      if (recent->method == Method::none) continue;
      auto& rr = row(rows, "recent-only", n);
      ++rr.count;
      rr.error_seconds += error_of(*recent, start, actual);
    }
  }
  sort_rows(rows);
  return rows;
}

void merge_rows(std::vector<BacktestRow>& into, const std::vector<BacktestRow>& rows) {
  for (const auto& r : rows) {
    auto& target = row(into, r.method, r.ahead);
    target.count += r.count;
    target.error_seconds += r.error_seconds;
  }
  sort_rows(into);
}

}  // namespace ml::server::estimate
