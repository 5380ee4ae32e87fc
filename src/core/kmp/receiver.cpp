#include "core/kmp/receiver.hpp"

namespace ml::core::kmp {

Receiver::Receiver(Direction accept)
    : start_(accept == Direction::reply ? kStartReply : kStartRequest) {
  buf_.reserve(kMaxWireFrame);
}

void Receiver::expect_echo(ByteView request) {
  echo_.assign(request.begin(), request.end());
  echo_pos_ = 0;
}

void Receiver::reset() {
  state_ = State::hunting;
  buf_.clear();
  echo_.clear();
  echo_pos_ = 0;
  garbage_pending_ = 0;
}

RxEvent Receiver::garbage_error() {
  const std::size_t n = garbage_pending_;
  garbage_pending_ = 0;
  return make_error(Errc::kmp_garbage,
                    std::to_string(n) + " byte" + (n == 1 ? "" : "s") + " outside a frame");
}

std::optional<RxEvent> Receiver::feed(std::uint8_t byte) {
  ++stats_.bytes;
  switch (state_) {
    case State::hunting:
      return on_hunting(byte);

    case State::in_frame:
      if (byte == start_) {
        // A new start byte before the stop byte: the frame in progress was cut short.
        const std::size_t had = buf_.size();
        buf_.assign(1, byte);
        ++stats_.truncated;
        return make_error(Errc::kmp_truncated, "new start byte after " + std::to_string(had) +
                                                   " bytes, before the stop byte");
      }
      buf_.push_back(byte);
      if (byte == kStop) {
        state_ = State::hunting;
        return finish_frame();
      }
      if (buf_.size() >= kMaxWireFrame) {
        state_ = State::discarding;
        buf_.clear();
        ++stats_.overflows;
        return make_error(Errc::kmp_overflow,
                          "no stop byte within " + std::to_string(kMaxWireFrame) + " bytes");
      }
      return std::nullopt;

    case State::discarding:
      if (byte == kStop) {
        state_ = State::hunting;
      } else if (byte == start_) {
        state_ = State::in_frame;
        buf_.assign(1, byte);
      }
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<RxEvent> Receiver::on_hunting(std::uint8_t byte) {
  if (echo_pos_ < echo_.size()) {
    if (byte == echo_[echo_pos_]) {
      ++echo_pos_;
      ++stats_.echo_bytes;
      return std::nullopt;
    }
    echo_.clear();  // not (or no longer) our echo
    echo_pos_ = 0;
  }
  if (byte == start_) {
    state_ = State::in_frame;
    buf_.assign(1, byte);
    if (garbage_pending_ > 0) return garbage_error();
    return std::nullopt;
  }
  if (byte == kAck) {
    ++stats_.acks;
    return Received{Received::Kind::ack, {}};
  }
  ++garbage_pending_;
  ++stats_.garbage_bytes;
  return std::nullopt;
}

RxEvent Receiver::finish_frame() {
  auto frame = decode_frame(buf_);
  buf_.clear();
  if (!frame) {
    if (frame.error().code == Errc::kmp_crc_mismatch) {
      ++stats_.crc_errors;
    } else {
      ++stats_.bad_frames;
    }
    return frame.error();
  }
  ++stats_.frames_ok;
  return Received{Received::Kind::frame, std::move(frame).value()};
}

std::optional<RxEvent> Receiver::flush() {
  std::optional<RxEvent> out;
  if (state_ == State::in_frame) {
    ++stats_.truncated;
    out = make_error(Errc::kmp_truncated,
                     "line quiet after " + std::to_string(buf_.size()) + " bytes, no stop byte");
    garbage_pending_ = 0;
  } else if (garbage_pending_ > 0) {
    out = garbage_error();
  }
  state_ = State::hunting;
  buf_.clear();
  echo_.clear();
  echo_pos_ = 0;
  return out;
}

}  // namespace ml::core::kmp
