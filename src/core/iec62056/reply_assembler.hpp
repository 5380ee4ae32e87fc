// Collects the reply to one EN 61107 step from the bytes a serial port delivers, in whatever
// chunks they come: skips the echo of the request (half-duplex optical heads) and line noise
// before the reply's first byte, stops at the step's end rule, and never holds more than
// kMaxReadoutBytes. Pure; the serial reader feeds it.
#pragma once

#include <cstddef>

#include "core/bytes.hpp"
#include "core/iec62056/readout.hpp"
#include "core/iec62056/steps.hpp"

namespace ml::core::iec {

class ReplyAssembler {
 public:
  explicit ReplyAssembler(const Step& step) : step_(step) {}

  // Feeds received bytes. Returns true once the reply is complete (further bytes are counted as
  // garbage) or has overflowed.
  bool feed(ByteView bytes);

  bool complete() const { return complete_; }
  bool overflow() const { return overflow_; }
  bool started() const { return !reply_.empty(); }
  // The reply so far (the whole reply once complete()).
  ByteView reply() const { return reply_; }
  std::size_t echo_bytes() const { return echo_; }
  std::size_t garbage_bytes() const { return garbage_; }

 private:
  bool starts_reply(std::uint8_t b) const;
  void take(std::uint8_t b);

  const Step& step_;
  Bytes reply_;
  std::size_t echo_pos_ = 0;
  std::size_t echo_ = 0;
  std::size_t garbage_ = 0;
  bool complete_ = false;
  bool overflow_ = false;
};

}  // namespace ml::core::iec
