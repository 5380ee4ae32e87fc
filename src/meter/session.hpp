// One conversation with a meter over a ByteLink: sending, receiving with deadlines, switching
// line settings, counting and tracing everything. The protocol readers build on it.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "meter/link_stats.hpp"
#include "meter/trace.hpp"
#include "platform/serial/link.hpp"

namespace ml::meter {

using Clock = platform::Clock;
using std::chrono::milliseconds;

class Session {
 public:
  Session(platform::ByteLink& link, LinkStats& stats, Trace* trace)
      : link_(link), stats_(stats), trace_(trace) {}

  platform::ByteLink& link() { return link_; }
  LinkStats& stats() { return stats_; }

  core::Result<platform::LineMode> set_line(const core::LineSettings& line);

  // Writes the bytes. Afterwards sent_done() is when the last of them leaves the wire, estimated
  // from the line settings (the OS accepts the bytes long before the UART has sent them).
  asio::awaitable<core::Status> send(core::ByteView bytes);
  Clock::time_point sent_done() const { return sent_done_; }

  // Bytes received before deadline (empty on timeout). Counted and traced.
  asio::awaitable<core::Result<core::Bytes>> receive(Clock::time_point deadline);

  asio::awaitable<void> sleep_until(Clock::time_point t);
  asio::awaitable<void> sleep_for(milliseconds d) { co_await sleep_until(Clock::now() + d); }

  void discard_input() { link_.discard_input(); }
  void note(const std::string& text) {
    if (trace_) trace_->note(text);
  }

  // Longest silence allowed inside a reply once it has started: 20 character times, at least
  // 100 ms (USB adapters and serial servers deliver in bursts).
  milliseconds gap_timeout() const;

 private:
  platform::ByteLink& link_;
  LinkStats& stats_;
  Trace* trace_;
  Clock::time_point sent_done_{};
};

// "<what> after N tries on <link>: <detail>", the one line a failed read prints.
core::Error read_failure(core::Errc code, const std::string& what, int tries,
                         const std::string& link, const std::string& detail);

}  // namespace ml::meter
