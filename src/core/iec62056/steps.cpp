#include "core/iec62056/steps.hpp"

#include <algorithm>
#include <string>

namespace ml::core::iec {

const Step& step(StepId id) {
  for (const Step& s : kSteps) {
    if (s.id == id) return s;
  }
  return kSteps.front();  // unreachable: every StepId has a row
}

std::size_t reply_length(ReplyEnd rule, ByteView received) {
  auto find = [&](std::uint8_t byte) {
    return static_cast<std::size_t>(std::find(received.begin(), received.end(), byte) -
                                    received.begin());
  };
  switch (rule) {
    case ReplyEnd::line_feed: {
      const std::size_t at = find(0x0A);
      return at < received.size() ? at + 1 : 0;
    }
    case ReplyEnd::carriage_return: {
      const std::size_t at = find(0x0D);
      return at < received.size() ? at + 1 : 0;
    }
    case ReplyEnd::etx_then_bcc: {
      const std::size_t at = find(0x03);
      return at + 1 < received.size() ? at + 2 : 0;
    }
  }
  return 0;
}

}  // namespace ml::core::iec
