#include "platform/log/summary_log.hpp"

#include <vector>

namespace ml::platform::log {
namespace {

constexpr std::size_t kOverflowNamed = 5;  // kinds named in the overflow summary

std::string as_seconds(SummaryLog::Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
}

}  // namespace

SummaryLog::SummaryLog(Level level, std::chrono::seconds interval, std::size_t lines_per_interval,
                       Sink sink)
    : level_(level),
      interval_(interval),
      lines_per_interval_(lines_per_interval),
      sink_(std::move(sink)) {}

SummaryLog::~SummaryLog() {
  flush_all();
}

bool SummaryLog::note(const std::string& key, std::string_view line, Clock::time_point now) {
  flush(now);
  auto it = kinds_.find(key);
  if (it != kinds_.end()) {
    ++it->second.held;
    return false;
  }
  if (budget_used_ >= lines_per_interval_) {
    ++overflow_held_;
    auto named = overflow_keys_.find(key);
    if (named != overflow_keys_.end()) {
      ++named->second;
    } else if (overflow_keys_.size() < kOverflowNamed) {
      overflow_keys_.emplace(key, 1);
    }
    return false;
  }
  if (budget_used_ == 0) budget_start_ = now;
  ++budget_used_;
  kinds_.emplace(key, Kind{now, 0});
  sink_(level_, line);
  return true;
}

void SummaryLog::summarise(const std::string& key, const Kind& kind, Clock::time_point now) {
  if (kind.held == 0) return;
  sink_(level_, key + ": " + std::to_string(kind.held) + " more in the last " +
                    as_seconds(now - kind.start));
}

void SummaryLog::flush_overflow(Clock::time_point now) {
  if (overflow_held_ > 0) {
    std::string names;
    for (const auto& [key, n] : overflow_keys_)
      names += (names.empty() ? "" : "; ") + key + " (" + std::to_string(n) + ")";
    sink_(level_, std::to_string(overflow_held_) + " more lines held back in the last " +
                      as_seconds(now - budget_start_) + (names.empty() ? "" : ", among them: ") +
                      names);
  }
  overflow_held_ = 0;
  overflow_keys_.clear();
  budget_used_ = 0;
}

void SummaryLog::flush(Clock::time_point now) {
  for (auto it = kinds_.begin(); it != kinds_.end();) {
    if (now - it->second.start >= interval_) {
      summarise(it->first, it->second, now);
      it = kinds_.erase(it);
    } else {
      ++it;
    }
  }
  if (budget_used_ > 0 && now - budget_start_ >= interval_) flush_overflow(now);
}

void SummaryLog::flush_all() {
  const auto now = Clock::now();
  for (const auto& [key, kind] : kinds_)
    summarise(key, kind, std::max(now, kind.start));
  kinds_.clear();
  flush_overflow(std::max(now, budget_start_));
}

}  // namespace ml::platform::log
