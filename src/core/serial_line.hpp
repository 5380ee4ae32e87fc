// Serial line settings as data, shared by every meter protocol, and the arithmetic the serial
// layer needs: how long bytes take on the wire, and 7-bit characters with a parity bit carried
// through a port that only does 8 data bits without parity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::core {

enum class Parity : std::uint8_t { none, even, odd };

struct LineSettings {
  std::uint32_t baud = 1200;
  std::uint8_t data_bits = 8;
  Parity parity = Parity::none;
  std::uint8_t stop_bits = 1;
  bool operator==(const LineSettings&) const = default;
};

// KMP: 1200 baud, 8 data bits, no parity, 2 stop bits (docs/protocols/kmp.md, "Serial line").
inline constexpr LineSettings kKmpLine{1200, 8, Parity::none, 2};

// "1200 8N2" style text, and its parser (baud 50..4000000, 5..8 data bits, N/E/O, 1 or 2 stop
// bits).
std::string line_settings_text(const LineSettings& line);
Result<LineSettings> parse_line_settings(std::string_view text);

// Bits one character occupies on the wire: start + data + parity + stop.
unsigned bits_per_char(const LineSettings& line);
// Microseconds that `bytes` characters take on the wire at these settings.
std::uint64_t wire_time_us(const LineSettings& line, std::size_t bytes);

// Software parity. A 7-bit character with a parity bit is the same frame on the wire as an
// 8-bit character without parity whose bit 7 is the parity bit (7E1 = 8N1, 7E2 = 8N2 with
// bit 7 = parity). Serial ports that cannot do 7 data bits or parity (Linux pseudo-terminals,
// some USB adapters) are driven that way.
//
// The line settings that carry `line` on such a port: 8 data bits, no parity, same baud and stop
// bits. Unchanged when `line` needs no software parity.
LineSettings software_parity_carrier(const LineSettings& line);
// True when `line` is 7 data bits with even or odd parity.
bool needs_parity_bit(const LineSettings& line);
// The 7-bit character c (bit 7 ignored) with bit 7 set to the parity `line` asks for.
std::uint8_t add_parity_bit(std::uint8_t c, Parity parity);
// True when bit 7 of c is the right parity for bits 0..6.
bool parity_bit_ok(std::uint8_t c, Parity parity);

}  // namespace ml::core
