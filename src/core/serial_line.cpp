#include "core/serial_line.hpp"

#include <bit>
#include <charconv>

namespace ml::core {

std::string line_settings_text(const LineSettings& line) {
  char parity = 'N';
  if (line.parity == Parity::even) parity = 'E';
  if (line.parity == Parity::odd) parity = 'O';
  return std::to_string(line.baud) + ' ' + std::to_string(line.data_bits) + parity +
         std::to_string(line.stop_bits);
}

Result<LineSettings> parse_line_settings(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return make_error(Errc::invalid_argument, "line settings '" + std::string(text.substr(0, 32)) +
                                                  "': " + std::string(why) +
                                                  " (expected e.g. \"1200 8N2\")");
  };
  const std::size_t space = text.find(' ');
  if (space == std::string_view::npos || text.size() != space + 4) return bad("wrong format");
  LineSettings line;
  const std::string_view baud = text.substr(0, space);
  const auto [end, ec] = std::from_chars(baud.data(), baud.data() + baud.size(), line.baud);
  if (ec != std::errc() || end != baud.data() + baud.size() || line.baud < 50 ||
      line.baud > 4000000) {
    return bad("baud rate");
  }
  const char bits = text[space + 1];
  const char parity = text[space + 2];
  const char stop = text[space + 3];
  if (bits < '5' || bits > '8') return bad("data bits");
  line.data_bits = static_cast<std::uint8_t>(bits - '0');
  switch (parity) {
    case 'N':
      line.parity = Parity::none;
      break;
    case 'E':
      line.parity = Parity::even;
      break;
    case 'O':
      line.parity = Parity::odd;
      break;
    default:
      return bad("parity");
  }
  if (stop != '1' && stop != '2') return bad("stop bits");
  line.stop_bits = static_cast<std::uint8_t>(stop - '0');
  return line;
}

unsigned bits_per_char(const LineSettings& line) {
  return 1u + line.data_bits + (line.parity == Parity::none ? 0u : 1u) + line.stop_bits;
}

std::uint64_t wire_time_us(const LineSettings& line, std::size_t bytes) {
  if (line.baud == 0) return 0;
  return (static_cast<std::uint64_t>(bytes) * bits_per_char(line) * 1000000u + line.baud - 1) /
         line.baud;
}

bool needs_parity_bit(const LineSettings& line) {
  return line.data_bits == 7 && line.parity != Parity::none;
}

LineSettings software_parity_carrier(const LineSettings& line) {
  if (!needs_parity_bit(line)) return line;
  return LineSettings{line.baud, 8, Parity::none, line.stop_bits};
}

std::uint8_t add_parity_bit(std::uint8_t c, Parity parity) {
  const auto data = static_cast<std::uint8_t>(c & 0x7F);
  const bool odd_ones = (std::popcount(data) & 1) != 0;
  // Even parity: the bit makes the number of ones even; odd parity: odd.
  const bool bit = parity == Parity::even ? odd_ones : (parity == Parity::odd ? !odd_ones : false);
  return static_cast<std::uint8_t>(data | (bit ? 0x80 : 0x00));
}

bool parity_bit_ok(std::uint8_t c, Parity parity) {
  if (parity == Parity::none) return true;
  return add_parity_bit(c, parity) == c;
}

}  // namespace ml::core
