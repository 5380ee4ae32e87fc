// KMP physical and data-link layers (docs/protocols/kmp.md): start byte, destination address,
// command id, data, CRC-16/XMODEM sent high byte first, byte stuffing, stop byte.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::core::kmp {

inline constexpr std::uint8_t kStartRequest = 0x80;  // master -> meter
inline constexpr std::uint8_t kStartReply = 0x40;    // meter -> master
inline constexpr std::uint8_t kStop = 0x0D;
inline constexpr std::uint8_t kEscape = 0x1B;
inline constexpr std::uint8_t kAck = 0x06;

// Destination addresses.
inline constexpr std::uint8_t kDstHeatMeter = 0x3F;
inline constexpr std::uint8_t kDstLoggerTop = 0x7F;
inline constexpr std::uint8_t kDstLoggerBase = 0xBF;

// Longest frame accepted on the wire, start and stop included. The longest reply (8 registers
// with 8-byte mantissas, every byte stuffed) is 2 + 2 * (2 + 8 * 13 + 2) = 218 bytes.
inline constexpr std::size_t kMaxWireFrame = 256;

enum class Direction : std::uint8_t { request, reply };

struct Frame {
  Direction direction = Direction::request;
  std::uint8_t dst = kDstHeatMeter;
  std::uint8_t cid = 0;
  Bytes data;  // application data after the command id, unstuffed, without the CRC

  bool operator==(const Frame&) const = default;
};

// True for the bytes that are escaped on the wire: 0x06, 0x0D, 0x1B, 0x40, 0x80.
bool needs_stuffing(std::uint8_t b);
// Each byte that needs stuffing becomes 0x1B, byte XOR 0xFF.
Bytes stuff(ByteView bytes);
// Reverses stuff(). An escape at the end, an escaped byte that is not one of the five stuffed
// values, or one of those values unescaped, is an error (kmp_bad_stuffing).
Result<Bytes> unstuff(ByteView bytes);

// Start byte, stuffed (dst, cid, data, CRC high, CRC low), stop byte.
Bytes encode_frame(const Frame& frame);

// Decodes one complete frame, start and stop byte included. Checks the start byte (0x80 or
// 0x40), the stop byte, stuffing, the minimum length and the CRC.
Result<Frame> decode_frame(ByteView wire);

}  // namespace ml::core::kmp
