#include "sim/transmitter.hpp"

#include <algorithm>

namespace ml::sim {

Transmitter::Transmitter(asio::posix::stream_descriptor& out, unsigned speedup)
    : out_(out), timer_(out.get_executor()), speedup_(speedup == 0 ? 1 : speedup) {}

std::chrono::nanoseconds Transmitter::char_time(const core::LineSettings& line) const {
  const std::uint64_t baud = line.baud == 0 ? 1 : line.baud;
  return std::chrono::nanoseconds(core::bits_per_char(line) * 1'000'000'000ULL / (baud * speedup_));
}

WallClock::time_point Transmitter::due(std::size_t index) const {
  const std::uint64_t baud = line_.baud == 0 ? 1 : line_.baud;
  const std::uint64_t ns =
      (index + 1) * core::bits_per_char(line_) * 1'000'000'000ULL / (baud * speedup_);
  return start_ + std::chrono::nanoseconds(ns);
}

void Transmitter::push(Entry entry) {
  queue_.push_back(std::move(entry));
  if (!waiting_) schedule();
}

void Transmitter::clear() {
  queue_.clear();
  if (active_) {
    free_at_ = due(sent_ == 0 ? 0 : sent_ - 1);
    active_ = false;
  }
  timer_.cancel();
  waiting_ = false;
}

void Transmitter::schedule() {
  WallClock::time_point when;
  if (active_) {
    when = due(sent_);
  } else if (!queue_.empty()) {
    when = std::max(queue_.front().earliest, free_at_);
  } else {
    return;
  }
  waiting_ = true;
  timer_.expires_at(when);
  timer_.async_wait([this](const asio::error_code& ec) {
    if (ec) return;  // cancelled: clear() or shutdown
    waiting_ = false;
    on_timer();
  });
}

void Transmitter::on_timer() {
  if (!active_) {
    if (queue_.empty()) return;
    Entry e = std::move(queue_.front());
    queue_.pop_front();
    start_ = std::max(e.earliest, free_at_);
    line_ = e.line;
    current_ = e.prepare ? e.prepare() : std::move(e.bytes);
    sent_ = 0;
    if (current_.empty()) {
      schedule();
      return;
    }
    active_ = true;
  }
  const WallClock::time_point now = WallClock::now();
  std::size_t n = 0;
  while (sent_ + n < current_.size() && due(sent_ + n) <= now)
    ++n;
  if (n > 0) {
    asio::error_code ec;
    std::size_t done = 0;
    while (done < n) {
      const std::size_t w =
          out_.write_some(asio::buffer(current_.data() + sent_ + done, n - done), ec);
      if (ec) break;
      done += w;
    }
    written_ += done;
    dropped_ += n - done;  // the client's input buffer is full (nobody reads): the bytes are lost
    sent_ += n;
  }
  if (sent_ >= current_.size()) {
    free_at_ = due(current_.size() - 1);
    active_ = false;
    current_.clear();
  }
  schedule();
}

}  // namespace ml::sim
