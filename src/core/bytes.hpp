// Byte strings and their hexadecimal text form.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::core {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

// Lower-case hex, no separators.
std::string to_hex(ByteView bytes);
// Upper-case hex with a space between bytes, as written in the specs ("80 3F 02").
std::string to_hex_spaced(ByteView bytes);

// "0x0D", "0x03EC": one byte or one 16-bit word, upper case, as error messages write them.
std::string hex_byte(std::uint8_t b);
std::string hex_word(std::uint16_t w);

// True when text is hex written for people: only hex digits and whitespace, with every
// whitespace-separated group of even length (so "40 3F 02" and "403F02" are hex, but a data
// string of 7-digit decimal tokens is not).
bool is_hex_text(std::string_view text);

// Parses hex digits (either case). Whitespace, ':' and '-' between byte pairs are ignored, and
// an optional "0x" prefix is accepted. At most max_bytes bytes are accepted.
Result<Bytes> from_hex(std::string_view text, std::size_t max_bytes = 1 << 20);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace ml::core
