// The timer wheel (timer_wheel.hpp).
#include "sim/timer_wheel.hpp"

#include <algorithm>

namespace ml::sim {

TimerWheel::TimerWheel(std::int64_t start_ms, std::int64_t tick_ms, std::size_t slots)
    : start_ms_(start_ms),
      tick_ms_(std::max<std::int64_t>(1, tick_ms)),
      mask_(std::max<std::size_t>(1, slots) - 1),
      slots_(std::max<std::size_t>(1, slots)) {}

std::uint32_t TimerWheel::tick_of(std::int64_t ms) const {
  const std::int64_t rel = ms - start_ms_;
  if (rel <= 0) return 0;
  return static_cast<std::uint32_t>((rel + tick_ms_ - 1) / tick_ms_);
}

std::uint32_t TimerWheel::schedule(std::uint32_t id, std::int64_t due_ms) {
  const std::uint32_t tick = std::max(tick_of(due_ms), current_ + 1);
  slots_[tick & mask_].push_back(Entry{id, tick});
  ++size_;
  return tick;
}

}  // namespace ml::sim
