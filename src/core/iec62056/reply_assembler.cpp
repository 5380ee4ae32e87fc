#include "core/iec62056/reply_assembler.hpp"

namespace ml::core::iec {

bool ReplyAssembler::starts_reply(std::uint8_t b) const {
  switch (step_.id) {
    case StepId::ident:
      return b == '/';
    case StepId::data_readout:
      return b == 0x02;  // STX
    default:
      return (b >= '0' && b <= '9') || b == '-';
  }
}

bool ReplyAssembler::feed(ByteView bytes) {
  for (std::uint8_t b : bytes)
    take(b);
  return complete_ || overflow_;
}

void ReplyAssembler::take(std::uint8_t b) {
  if (complete_ || overflow_) {
    ++garbage_;
    return;
  }
  if (reply_.empty()) {
    const std::string_view request = step_.request;
    if (echo_pos_ < request.size()) {
      // Possibly the echo of our request. The bytes matched so far are only echo once the whole
      // request has come back: a reply may begin like the request ("/KAM" after "/?!").
      if (b == static_cast<std::uint8_t>(request[echo_pos_])) {
        ++echo_pos_;
        if (echo_pos_ == request.size()) echo_ += request.size();
        return;
      }
      // Not (or no longer) the echo: what matched so far may start the reply.
      const std::size_t matched = echo_pos_;
      echo_pos_ = request.size();
      for (std::size_t k = 0; k < matched; ++k)
        take(static_cast<std::uint8_t>(request[k]));
      take(b);
      return;
    }
    if (!starts_reply(b)) {
      ++garbage_;
      return;
    }
  }
  if (reply_.size() == kMaxReadoutBytes) {
    overflow_ = true;
    return;
  }
  reply_.push_back(b);
  if (reply_length(step_.reply_end, reply_) == reply_.size()) complete_ = true;
}

}  // namespace ml::core::iec
