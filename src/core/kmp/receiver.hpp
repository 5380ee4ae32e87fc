// Byte-at-a-time KMP receiver for a serial line. It skips the echo of the request just sent
// (half-duplex optical heads echo every byte), resynchronises on the start byte, never holds more
// than kMaxWireFrame bytes, and reports CRC errors, truncated frames and garbage as distinct
// errors. Pure: the caller feeds bytes and decides about timeouts (flush()).
#pragma once

#include <cstdint>
#include <optional>

#include "core/bytes.hpp"
#include "core/kmp/codec.hpp"
#include "core/result.hpp"

namespace ml::core::kmp {

struct Received {
  enum class Kind : std::uint8_t { frame, ack };
  Kind kind = Kind::frame;
  Frame frame;  // valid when kind == frame
};

// Result of one complete unit on the line: a CRC-valid frame, a lone ACK (0x06), or an error:
// kmp_crc_mismatch, kmp_truncated, kmp_garbage, kmp_overflow, kmp_bad_stuffing, kmp_too_short.
using RxEvent = Result<Received>;

struct RxStats {
  std::uint64_t bytes = 0;          // every byte fed
  std::uint64_t frames_ok = 0;      // CRC-valid frames
  std::uint64_t acks = 0;           // lone 0x06 bytes
  std::uint64_t echo_bytes = 0;     // bytes recognised as the echo of our request
  std::uint64_t garbage_bytes = 0;  // bytes outside any frame that were not echo
  std::uint64_t crc_errors = 0;
  std::uint64_t truncated = 0;   // frames cut short by a new start byte or a flush
  std::uint64_t overflows = 0;   // frames longer than kMaxWireFrame
  std::uint64_t bad_frames = 0;  // other framing errors (stuffing, too short)
};

class Receiver {
 public:
  // accept: which frames to collect — replies (start 0x40, a reader) or requests (0x80, a meter).
  explicit Receiver(Direction accept = Direction::reply);

  // Call right after sending a request: if these bytes come back first, they are skipped.
  void expect_echo(ByteView request);

  // Feeds one byte. Returns an event when the byte completes something worth reporting.
  std::optional<RxEvent> feed(std::uint8_t byte);

  // The line went quiet (timeout) or the input ended: reports a partial frame (kmp_truncated)
  // or unreported garbage (kmp_garbage), then starts afresh. Returns nothing when idle.
  std::optional<RxEvent> flush();

  // Forgets partial input and any expected echo; statistics are kept.
  void reset();

  const RxStats& stats() const { return stats_; }
  bool idle() const { return state_ == State::hunting && garbage_pending_ == 0; }

 private:
  enum class State : std::uint8_t { hunting, in_frame, discarding };

  std::optional<RxEvent> on_hunting(std::uint8_t byte);
  RxEvent finish_frame();
  RxEvent garbage_error();

  std::uint8_t start_;
  State state_ = State::hunting;
  Bytes buf_;
  Bytes echo_;
  std::size_t echo_pos_ = 0;
  std::size_t garbage_pending_ = 0;
  RxStats stats_;
};

}  // namespace ml::core::kmp
