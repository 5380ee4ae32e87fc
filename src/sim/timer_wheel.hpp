// A hashed timer wheel: one clock for a hundred thousand virtual devices (`sim fleet`). Each
// device asks to be woken at a time; the runtime advances the wheel from one asio timer, so
// there is one timer for the whole fleet instead of one (with its allocation and its place in the
// reactor's heap) per device.
//
// Contract: advance(now) calls back every entry due at or before `now`, in order of due tick
// (entries of one tick in the order they were scheduled), each exactly once; an entry scheduled
// for a past time fires at the next advance. Time is in ticks of `tick_ms`; a due time is rounded
// up to a whole tick, so nothing fires early. An entry due more than one revolution ahead waits in
// its slot for its round. Entries are not cancelled: a caller that reschedules keeps its own
// "current" due tick and ignores the others when they fire (fleet.cpp does so). Memory: 8 bytes
// an entry. Pure: the caller passes the time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace ml::sim {

class TimerWheel {
 public:
  // slots: a power of two.
  TimerWheel(std::int64_t start_ms, std::int64_t tick_ms, std::size_t slots);

  // The tick a time falls in, rounded up (never earlier than the time).
  std::uint32_t tick_of(std::int64_t ms) const;
  std::int64_t ms_of(std::uint32_t tick) const { return start_ms_ + std::int64_t{tick} * tick_ms_; }
  // The last tick advance() has processed.
  std::uint32_t current() const { return current_; }

  // Schedules `id` at tick_of(due_ms) (at the next tick when that has passed) and returns the
  // tick it will fire at.
  std::uint32_t schedule(std::uint32_t id, std::int64_t due_ms);

  // Fires every entry due at or before now_ms: f(id, tick). f may schedule again.
  template <class F>
  void advance(std::int64_t now_ms, F&& f) {
    const std::int64_t target = (now_ms - start_ms_) / tick_ms_;
    while (static_cast<std::int64_t>(current_) < target) {
      ++current_;
      std::vector<Entry>& slot = slots_[current_ & mask_];
      if (slot.empty()) continue;
      std::vector<Entry> due;
      due.swap(slot);
      // Entries of later rounds go back into the slot; the due ones fire.
      for (const Entry& e : due) {
        if (e.tick > current_) slot.push_back(e);
      }
      for (const Entry& e : due) {
        if (e.tick <= current_) {
          --size_;
          f(e.id, e.tick);
        }
      }
    }
  }

  std::size_t size() const { return size_; }

 private:
  struct Entry {
    std::uint32_t id;
    std::uint32_t tick;
  };
  std::int64_t start_ms_;
  std::int64_t tick_ms_;
  std::size_t mask_;
  std::uint32_t current_ = 0;
  std::size_t size_ = 0;
  std::vector<std::vector<Entry>> slots_;
};

}  // namespace ml::sim
