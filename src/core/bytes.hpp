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

// Parses hex digits (either case). Whitespace, ':' and '-' between byte pairs are ignored, and
// an optional "0x" prefix is accepted. At most max_bytes bytes are accepted.
Result<Bytes> from_hex(std::string_view text, std::size_t max_bytes = 1 << 20);

inline ByteView as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace ml::core
