// Fuzz target: the KMP receiver (byte at a time, with an expected echo) and the frame and
// application decoders. Invariants: no crash, no unbounded growth, every accepted frame is
// well-formed (re-encodes to a frame that decodes to the same content).
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "core/kmp/codec.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/receiver.hpp"

namespace {

using namespace ml::core;
using namespace ml::core::kmp;

void check(bool ok) {
  if (!ok) std::abort();
}

void decode_application(const Frame& f) {
  (void)decode_type_reply(f);
  (void)decode_serial_reply(f);
  (void)decode_put_register_reply(f);
  (void)decode_register_request(f);
  (void)decode_set_clock_request(f);
  (void)decode_put_register_request(f);
  auto regs = decode_register_reply(f);
  if (regs.ok()) {
    check(regs->size() <= kMaxRegistersPerRequest);
    // What decodes must encode back to the same data bytes.
    auto wire = encode_register_reply(*regs, f.dst);
    check(wire.ok());
    check(decode_frame(*wire).value().data == f.data);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);

  auto frame = decode_frame(input);
  if (frame.ok()) {
    check(encode_frame(*frame) == Bytes(input.begin(), input.end()));
    decode_application(*frame);
  }

  Receiver rx;
  rx.expect_echo(encode_get_serial());
  for (std::uint8_t b : input) {
    auto event = rx.feed(b);
    if (event && event->ok() && event->value().kind == Received::Kind::frame) {
      decode_application(event->value().frame);
    }
  }
  (void)rx.flush();
  check(rx.idle());
  check(rx.stats().bytes == size);
  return 0;
}
