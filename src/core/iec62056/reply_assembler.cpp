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
  const std::string_view request = step_.request;
  for (std::uint8_t b : bytes) {
    if (complete_ || overflow_) {
      ++garbage_;
      continue;
    }
    if (reply_.empty()) {
      if (echo_pos_ < request.size() && b == static_cast<std::uint8_t>(request[echo_pos_])) {
        ++echo_pos_;
        ++echo_;
        continue;
      }
      echo_pos_ = request.size();  // whatever echo there was is over
      if (!starts_reply(b)) {
        ++garbage_;
        continue;
      }
    }
    if (reply_.size() == kMaxReadoutBytes) {
      overflow_ = true;
      continue;
    }
    reply_.push_back(b);
    if (reply_length(step_.reply_end, reply_) == reply_.size()) complete_ = true;
  }
  return complete_ || overflow_;
}

}  // namespace ml::core::iec
