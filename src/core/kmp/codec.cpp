#include "core/kmp/codec.hpp"

#include "core/crc.hpp"

namespace ml::core::kmp {
bool needs_stuffing(std::uint8_t b) {
  return b == kAck || b == kStop || b == kEscape || b == kStartReply || b == kStartRequest;
}

Bytes stuff(ByteView bytes) {
  Bytes out;
  out.reserve(bytes.size() + 4);
  for (std::uint8_t b : bytes) {
    if (needs_stuffing(b)) {
      out.push_back(kEscape);
      out.push_back(static_cast<std::uint8_t>(b ^ 0xFF));
    } else {
      out.push_back(b);
    }
  }
  return out;
}

Result<Bytes> unstuff(ByteView bytes) {
  Bytes out;
  out.reserve(bytes.size());
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != kEscape) {
      // A byte the sender must have escaped cannot appear as it is.
      if (needs_stuffing(bytes[i])) {
        return make_error(Errc::kmp_bad_stuffing,
                          "unescaped " + hex_byte(bytes[i]) + " at offset " + std::to_string(i));
      }
      out.push_back(bytes[i]);
      continue;
    }
    if (i + 1 == bytes.size()) {
      return make_error(Errc::kmp_bad_stuffing, "escape byte 0x1B at the end of the frame");
    }
    const auto b = static_cast<std::uint8_t>(bytes[++i] ^ 0xFF);
    if (!needs_stuffing(b)) {
      return make_error(Errc::kmp_bad_stuffing, "0x1B " + hex_byte(bytes[i]) + " at offset " +
                                                    std::to_string(i - 1) +
                                                    " does not escape a stuffed byte");
    }
    out.push_back(b);
  }
  return out;
}

Bytes encode_frame(const Frame& frame) {
  Bytes link;
  link.reserve(frame.data.size() + 4);
  link.push_back(frame.dst);
  link.push_back(frame.cid);
  link.insert(link.end(), frame.data.begin(), frame.data.end());
  const std::uint16_t crc = crc16_xmodem(link);
  link.push_back(static_cast<std::uint8_t>(crc >> 8));
  link.push_back(static_cast<std::uint8_t>(crc & 0xFF));
  Bytes wire;
  wire.reserve(link.size() * 2 + 2);
  wire.push_back(frame.direction == Direction::request ? kStartRequest : kStartReply);
  const Bytes stuffed = stuff(link);
  wire.insert(wire.end(), stuffed.begin(), stuffed.end());
  wire.push_back(kStop);
  return wire;
}

Result<Frame> decode_frame(ByteView wire) {
  if (wire.size() > kMaxWireFrame) {
    return make_error(Errc::kmp_overflow, std::to_string(wire.size()) + " bytes, at most " +
                                              std::to_string(kMaxWireFrame) + " allowed");
  }
  if (wire.empty()) return make_error(Errc::kmp_too_short, "no bytes");
  Frame frame;
  if (wire.front() == kStartRequest) {
    frame.direction = Direction::request;
  } else if (wire.front() == kStartReply) {
    frame.direction = Direction::reply;
  } else {
    return make_error(Errc::kmp_bad_start,
                      "first byte " + hex_byte(wire.front()) + ", expected 0x40 or 0x80");
  }
  if (wire.back() != kStop) {
    return make_error(Errc::kmp_bad_stop, "last byte " + hex_byte(wire.back()));
  }
  auto link = unstuff(wire.subspan(1, wire.size() > 1 ? wire.size() - 2 : 0));
  if (!link) return link.error();
  const Bytes& l = link.value();
  // Address, command id and two CRC bytes at least: 6 bytes on the wire.
  if (l.size() < 4) {
    return make_error(Errc::kmp_too_short,
                      std::to_string(wire.size()) + " bytes on the wire, a frame has at least 6");
  }
  const std::uint16_t computed = crc16_xmodem(ByteView(l).first(l.size() - 2));
  const auto received = static_cast<std::uint16_t>(l[l.size() - 2] << 8 | l[l.size() - 1]);
  if (computed != received) {
    return make_error(Errc::kmp_crc_mismatch,
                      "frame says " + hex_word(received) + ", computed " + hex_word(computed));
  }
  frame.dst = l[0];
  frame.cid = l[1];
  frame.data.assign(l.begin() + 2, l.end() - 2);
  return frame;
}

}  // namespace ml::core::kmp
