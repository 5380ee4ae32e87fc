// attention(): the lists and sums of the "needs attention" page (contract in attention.hpp).
#include "server/attention.hpp"

#include <algorithm>

namespace ml::server {
namespace {

using core::Decimal;

bool positive(const std::optional<Decimal>& d) {
  return d && core::compare(*d, Decimal{}) > 0;
}

// a + b; on the (theoretical) overflow of a 64-bit mantissa the sum stays as it was.
void add(Decimal& total, const Decimal& value) {
  if (auto s = core::sum(total, value)) total = *s;
}

}  // namespace

Attention attention(const std::vector<MeterFacts>& meters, std::int64_t today,
                    std::int64_t month_start, const AttentionConfig& config) {
  Attention out;
  const std::int64_t first_day = today - kSummaryDays + 1;
  std::map<std::string, GroupSummary> groups;
  for (std::size_t i = 0; i < meters.size(); ++i) {
    const auto& m = meters[i];
    auto& g = groups[m.group];
    if (g.daily.empty()) {
      g.group = m.group;
      for (std::int64_t day = first_day; day <= today; ++day)
        g.daily.emplace_back(day, Decimal{});
    }
    ++g.meters;
    ++(m.online ? g.online : g.offline);
    if (!m.online) out.offline.push_back(i);
    if (m.valve_installed) {
      if (positive(m.days_left) && core::compare(*m.days_left, config.running_out_days) < 0) {
        out.running_out.push_back(i);
      }
      if (m.valve == "close" && positive(m.remaining)) out.closed_with_credit.push_back(i);
      if (m.valve == "open" && m.remaining && !positive(m.remaining)) out.used_up.push_back(i);
    }
    if (m.water) continue;
    for (auto it = m.daily.lower_bound(first_day); it != m.daily.end() && it->first <= today;
         ++it) {
      add(g.daily[static_cast<std::size_t>(it->first - first_day)].second, it->second);
      if (it->first == today) add(g.today, it->second);
      if (it->first >= month_start) add(g.month, it->second);
    }
  }
  for (auto& [name, g] : groups)
    out.groups.push_back(std::move(g));
  std::stable_sort(out.offline.begin(), out.offline.end(), [&](std::size_t a, std::size_t b) {
    return meters[a].last_seen < meters[b].last_seen;
  });
  std::stable_sort(out.running_out.begin(), out.running_out.end(),
                   [&](std::size_t a, std::size_t b) {
                     return core::compare(*meters[a].days_left, *meters[b].days_left) < 0;
                   });
  return out;
}

}  // namespace ml::server
