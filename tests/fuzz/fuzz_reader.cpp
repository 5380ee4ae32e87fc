// Fuzz target: the serial reader's receive path, fed the way a serial port delivers bytes — in
// arbitrary chunks, with echo, noise and garbage. The first byte picks the protocol step and the
// chunk size; the rest is the line. Invariants: no crash, bounded buffers, and whatever is
// accepted is what the protocol parser accepts.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/iec62056/reply_assembler.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/receiver.hpp"

namespace {

using namespace ml::core;

void check(bool ok) {
  if (!ok) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t control = data[0];
  const ByteView line(data + 1, size - 1);
  const std::size_t chunk = 1 + (control >> 4);  // 1..16 bytes per read

  if ((control & 0x07) == 7) {
    // KMP: the reply to a register request, with the request's echo expected first.
    kmp::Receiver rx;
    const Bytes request = kmp::encode_get_serial();
    rx.expect_echo(request);
    for (std::size_t i = 0; i < line.size(); i += chunk) {
      for (std::uint8_t b : line.subspan(i, std::min(chunk, line.size() - i))) {
        auto event = rx.feed(b);
        if (event && event->ok() && event->value().kind == kmp::Received::Kind::frame) {
          (void)kmp::decode_register_reply(event->value().frame);
          (void)kmp::decode_serial_reply(event->value().frame);
        }
      }
    }
    (void)rx.flush();
    check(rx.idle());
    return 0;
  }

  const auto& step = iec::kSteps[(control & 0x07) % iec::kSteps.size()];
  iec::ReplyAssembler reply(step);
  for (std::size_t i = 0; i < line.size() && !reply.complete() && !reply.overflow(); i += chunk) {
    reply.feed(line.subspan(i, std::min(chunk, line.size() - i)));
  }
  check(reply.reply().size() <= iec::kMaxReadoutBytes);
  check(reply.echo_bytes() <= step.request.size());
  if (!reply.complete()) return 0;
  check(iec::reply_length(step.reply_end, reply.reply()) == reply.reply().size());
  switch (step.id) {
    case iec::StepId::ident:
      check(reply.reply().front() == '/');
      break;
    case iec::StepId::data_readout:
      (void)iec::parse_readout(reply.reply());
      break;
    case iec::StepId::inst_values:
      (void)iec::parse_reply(iec::Mc66Request::inst_values, reply.reply());
      break;
    case iec::StepId::standard_data_1:
      (void)iec::parse_reply(iec::Mc66Request::standard_data_1, reply.reply());
      break;
    case iec::StepId::standard_data_2:
      (void)iec::parse_reply(iec::Mc66Request::standard_data_2, reply.reply());
      break;
  }
  return 0;
}
