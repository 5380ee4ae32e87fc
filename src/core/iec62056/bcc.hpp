// Block check character of an EN 61107 / IEC 62056-21 data block.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "core/bytes.hpp"

namespace ml::core::iec {

inline constexpr std::uint8_t kSoh = 0x01;
inline constexpr std::uint8_t kStx = 0x02;
inline constexpr std::uint8_t kEtx = 0x03;
inline constexpr std::uint8_t kAck = 0x06;
inline constexpr std::uint8_t kCr = 0x0D;
inline constexpr std::uint8_t kLf = 0x0A;

enum class BccMethod : std::uint8_t {
  // Kamstrup MULTICAL 66: 7-bit arithmetic sum, (bcc + byte) & 0x7F over every byte after STX
  // up to and including ETX. Settled by two captured MC66C readouts (tests/data).
  kamstrup_sum,
  // IEC 62056-21 / ISO 1155: XOR of the same bytes (all 8 bits).
  xor_,
};

// "kamstrup-sum" or "xor".
std::string_view bcc_method_name(BccMethod method);
// Accepts "kamstrup-sum"/"sum" and "xor".
std::optional<BccMethod> bcc_method_from_name(std::string_view name);

// BCC of `block`: the bytes after STX up to and including ETX.
std::uint8_t compute_bcc(ByteView block, BccMethod method = BccMethod::kamstrup_sum);

}  // namespace ml::core::iec
