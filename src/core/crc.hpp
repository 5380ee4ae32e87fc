// CRC-16 variants used by the meter protocols and the original configuration record.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"

namespace ml::core {

// CRC-16/XMODEM: polynomial 0x1021, init 0x0000, no reflection, no final XOR (KMP:
// docs/protocols/kmp.md).
std::uint16_t crc16_xmodem(ByteView data, std::uint16_t crc = 0x0000);

// CRC-16/CCITT-FALSE: polynomial 0x1021, init 0xFFFF, no reflection, no final XOR (the
// original firmware's check of its stored configuration).
inline std::uint16_t crc16_ccitt_false(ByteView data) {
  return crc16_xmodem(data, 0xFFFF);
}

}  // namespace ml::core
