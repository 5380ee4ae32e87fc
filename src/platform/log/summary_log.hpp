// Repeated log lines, summarised. Bad input arrives in floods (a device with a wrong key sends a
// sample a minute for months, an attacker thousands of forged commands a second), and one line
// per message fills a disk while hiding everything else. A SummaryLog writes the first line of
// each kind ("key": a serial and a reason) in an interval, counts the rest, and writes one
// summary line per kind when the interval has ended: "KEY: N more in the last 60 s". At most
// `lines_per_interval` first lines are written per interval across all kinds (the keys come from
// the network); what is held back beyond that is summarised in one line too.
//
// Not thread-safe: it belongs to one event loop, whose timer calls flush(). The clock is passed
// in, so it is tested without waiting.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "platform/log/log.hpp"

namespace ml::platform::log {

class SummaryLog {
 public:
  using Clock = std::chrono::steady_clock;
  using Sink = std::function<void(Level, std::string_view)>;

  explicit SummaryLog(Level level, std::chrono::seconds interval = std::chrono::seconds(60),
                      std::size_t lines_per_interval = 20, Sink sink = write);
  ~SummaryLog();  // flush_all()
  SummaryLog(const SummaryLog&) = delete;
  SummaryLog& operator=(const SummaryLog&) = delete;

  // Writes `line` when nothing of `key` was written in this interval (and the interval's budget
  // is not spent); otherwise counts it. Returns whether it was written.
  bool note(const std::string& key, std::string_view line, Clock::time_point now);
  // Writes the summary of every kind whose interval has ended, and forgets it.
  void flush(Clock::time_point now);
  // Writes every summary now (at stop).
  void flush_all();

  std::chrono::seconds interval() const { return interval_; }

 private:
  struct Kind {
    Clock::time_point start;
    std::uint64_t held = 0;
  };
  void summarise(const std::string& key, const Kind& kind, Clock::time_point now);
  void flush_overflow(Clock::time_point now);

  Level level_;
  std::chrono::seconds interval_;
  std::size_t lines_per_interval_;
  Sink sink_;
  std::map<std::string, Kind> kinds_;
  // The interval's budget of first lines, and what was held back once it was spent.
  Clock::time_point budget_start_{};
  std::size_t budget_used_ = 0;
  std::uint64_t overflow_held_ = 0;
  std::map<std::string, std::uint64_t> overflow_keys_;  // at most kOverflowNamed, by key
};

}  // namespace ml::platform::log
