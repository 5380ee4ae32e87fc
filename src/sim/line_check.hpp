// What a real meter's UART makes of the client's line settings. The emulators read the settings
// the client has put on the pseudo-terminal (Pty::slave_line) when a request arrives and again
// when the reply starts, and decide here whether the meter hears the request and whether the
// client can read the reply.
//
// Pseudo-terminals always carry 8 data bits without parity (CS7 is refused, PARENB cleared), so an
// EN 61107 client sends 7E1/7E2 characters with software parity: 8N1/8N2 at the same baud rate with
// bit 7 = the even-parity bit. A port that really shows CS7|PARENB (a real serial pair) carries
// plain 7-bit characters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/serial_line.hpp"

namespace ml::sim {

// Why a request or a reply did not go through. Stable names (reject_name) for counters and logs.
enum class Reject : std::uint8_t {
  request_baud,       // the request came at another baud rate: the meter hears garbage
  request_stop_bits,  // the request had the wrong number of stop bits
  request_format,     // data bits / parity the meter does not use
  parity_error,       // EN 61107: bytes with a wrong parity bit (line noise)
  bad_frame,          // KMP: CRC error, truncated frame, bad stuffing
  reply_baud,         // the client reads at another baud rate: it receives garbage
  reply_stop_bits,    // EN 61107: the client has not switched to 1 stop bit for the reply
  reply_format,       // the client reads with another character format
  wrong_destination,  // KMP: a destination address the meter does not answer
  wrong_address,      // EN 61107: "/?address!" for another meter
  unsupported,        // a command this meter does not have
  bad_request,        // a known command with malformed data
  read_only,          // KMP PutRegister of a register that cannot be written
  no_ident,           // EN 61107: option select (ACK) without an ident request before it
};

std::string_view reject_name(Reject r);

struct Verdict {
  enum class Action : std::uint8_t { accept, silent, garbage };
  Action action = Action::accept;
  Reject reason = Reject::request_baud;
  std::string detail;
  bool ok() const { return action == Action::accept; }
};

// How a client line carries 7-bit EN 61107 characters.
enum class CharMode : std::uint8_t {
  software_parity,  // 8 data bits, no parity, bit 7 = even parity (pseudo-terminals)
  native,           // 7 data bits + even parity set on the port
  invalid,          // anything else
};
CharMode iec_char_mode(const core::LineSettings& line);

// KMP, request: exactly 1200 baud, 8 data bits, no parity, 2 stop bits. Anything else: the meter
// hears nothing it can use (silent).
Verdict check_kmp_request(const std::optional<core::LineSettings>& line);
// KMP, reply start: the client must read at 1200 baud with 8 data bits and no parity; otherwise it
// receives garbage. Its stop bits do not matter to a receiver.
Verdict check_kmp_reply(const std::optional<core::LineSettings>& line);

// EN 61107, request: 300 baud, 2 stop bits, 7E (software parity or native).
Verdict check_iec_request(const std::optional<core::LineSettings>& line);
// EN 61107, reply start: the client must be at `expected` (300 or 1200 baud, 7E1). Wrong baud:
// garbage. Wrong stop bits (when strict_stop_bits) or character format: no answer.
Verdict check_iec_reply(const std::optional<core::LineSettings>& line,
                        const core::LineSettings& expected, bool strict_stop_bits);

// "1200 8N2", or "1200 7E1 (software parity)" for an 8N line carrying 7E characters.
std::string describe_line(const std::optional<core::LineSettings>& line);

}  // namespace ml::sim
