#include "core/bytes.hpp"

namespace ml::core {
namespace {

constexpr std::string_view kLower = "0123456789abcdef";
constexpr std::string_view kUpper = "0123456789ABCDEF";

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_separator(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == ':' || c == '-';
}

}  // namespace

std::string hex_byte(std::uint8_t b) {
  std::string out = "0x";
  out += kUpper[b >> 4];
  out += kUpper[b & 0x0F];
  return out;
}

std::string hex_word(std::uint16_t w) {
  return hex_byte(static_cast<std::uint8_t>(w >> 8)) +
         hex_byte(static_cast<std::uint8_t>(w)).substr(2);
}

bool is_hex_text(std::string_view text) {
  bool any = false;
  std::size_t group = 0;
  for (const char c : text) {
    if (hex_value(c) >= 0) {
      ++group;
      any = true;
      continue;
    }
    if (c != ' ' && c != '\n' && c != '\r' && c != '\t') return false;
    if (group % 2 != 0) return false;
    group = 0;
  }
  return any && group % 2 == 0;
}

std::string to_hex(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 2);
  for (std::uint8_t b : bytes) {
    out += kLower[b >> 4];
    out += kLower[b & 0x0F];
  }
  return out;
}

std::string to_hex_spaced(ByteView bytes) {
  std::string out;
  out.reserve(bytes.size() * 3);
  for (std::uint8_t b : bytes) {
    if (!out.empty()) out += ' ';
    out += kUpper[b >> 4];
    out += kUpper[b & 0x0F];
  }
  return out;
}

Result<Bytes> from_hex(std::string_view text, std::size_t max_bytes) {
  if (text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
  }
  Bytes out;
  int high = -1;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_separator(c)) {
      if (high >= 0) {
        return make_error(Errc::bad_hex, "separator inside a byte at offset " + std::to_string(i));
      }
      continue;
    }
    const int v = hex_value(c);
    if (v < 0) {
      return make_error(Errc::bad_hex, "character '" + std::string(1, c) + "' at offset " +
                                           std::to_string(i) + " is not a hex digit");
    }
    if (high < 0) {
      high = v;
    } else {
      if (out.size() >= max_bytes) {
        return make_error(Errc::bad_hex, "more than " + std::to_string(max_bytes) + " bytes");
      }
      out.push_back(static_cast<std::uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  if (high >= 0) return make_error(Errc::bad_hex, "odd number of hex digits");
  return out;
}

}  // namespace ml::core
