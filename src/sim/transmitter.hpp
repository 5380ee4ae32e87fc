// Sends bytes to the client at the pace of a real serial line: one character every
// bits_per_char / baud seconds, byte i of a burst written when its stop bit would have left the
// meter's UART. Times are absolute (start + (i + 1) x character time), so timer wake-up delays do
// not accumulate. Entries (an echo, a reply) are sent one after the other; an entry can decide
// its bytes at the moment it starts (the line check of a reply).
#pragma once

#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>

#include "core/bytes.hpp"
#include "core/serial_line.hpp"
#include "sim/sim_clock.hpp"

namespace ml::sim {

class Transmitter {
 public:
  struct Entry {
    WallClock::time_point earliest;  // not before this time
    core::LineSettings line;         // pacing
    core::Bytes bytes;
    // Called when the entry starts; its result replaces `bytes` (empty: nothing is sent).
    std::function<core::Bytes()> prepare;
  };

  // `out` must outlive the transmitter. speedup > 1 sends faster than the line (tests only).
  Transmitter(asio::posix::stream_descriptor& out, unsigned speedup);

  void push(Entry entry);
  // Drops everything not yet sent.
  void clear();

  // Time one character takes at these settings (divided by the speedup).
  std::chrono::nanoseconds char_time(const core::LineSettings& line) const;

  std::uint64_t bytes_written() const { return written_; }
  // Bytes the client's input buffer had no room for (nobody reading the pseudo-terminal).
  std::uint64_t bytes_dropped() const { return dropped_; }
  bool idle() const { return !active_ && queue_.empty(); }

 private:
  void schedule();
  void on_timer();
  WallClock::time_point due(std::size_t index) const;

  asio::posix::stream_descriptor& out_;
  asio::steady_timer timer_;
  unsigned speedup_;
  std::deque<Entry> queue_;
  bool waiting_ = false;
  bool active_ = false;
  core::Bytes current_;
  core::LineSettings line_;
  std::size_t sent_ = 0;
  WallClock::time_point start_{};
  WallClock::time_point free_at_{};
  std::uint64_t written_ = 0;
  std::uint64_t dropped_ = 0;
};

}  // namespace ml::sim
