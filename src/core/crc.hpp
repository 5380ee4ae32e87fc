// CRC-16 variants used by the meter protocols and the original configuration record.
#pragma once

#include <cstdint>

#include "core/bytes.hpp"

namespace ml::core {

// CRC-16/XMODEM: polynomial 0x1021, init 0x0000, no reflection, no final XOR (KMP, spec §3.3).
std::uint16_t crc16_xmodem(ByteView data, std::uint16_t crc = 0x0000);

// CRC-16/CCITT-FALSE: polynomial 0x1021, init 0xFFFF (the original's config record, spec §12.2).
inline std::uint16_t crc16_ccitt_false(ByteView data) {
  return crc16_xmodem(data, 0xFFFF);
}

}  // namespace ml::core
