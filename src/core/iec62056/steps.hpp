// The EN 61107 / IEC 62056-21 exchange with a Kamstrup MULTICAL 66C / 66B, as data.
// A serial layer walks this table: it sends `request` with `request_line`, waits
// `switch_delay_ms` after the last request byte has left the UART, switches the receiver to
// `reply_line`, and collects bytes until `reply_end` says the reply is complete or `timeout_ms`
// has passed. No other code should repeat these numbers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/bytes.hpp"
#include "core/serial_line.hpp"

namespace ml::core::iec {

using core::LineSettings;
using core::Parity;

// Requests always go out at 300 baud 7E2. Replies come back with one stop bit as far as the
// receiver is concerned (the meter may send two; a 7E1 receiver reads both).
inline constexpr LineSettings kRequestLine{300, 7, Parity::even, 2};
inline constexpr LineSettings kReadoutReplyLine{300, 7, Parity::even, 1};
inline constexpr LineSettings kDataStringReplyLine{1200, 7, Parity::even, 1};

// How the end of a reply is recognised.
enum class ReplyEnd : std::uint8_t {
  line_feed,       // up to and including the first LF (ident line)
  etx_then_bcc,    // up to and including the byte after the first ETX (data readout + BCC)
  carriage_return  // up to and including the first CR (/#n data strings)
};

enum class StepId : std::uint8_t {
  ident,            // A  "/?!" CR LF          -> "/KAM MC" CR LF
  data_readout,     // B  ACK "000" CR LF      -> STX records "!" CR LF ETX BCC
  inst_values,      // C  "/#C" (no CR)        -> inst. values (66C only)
  standard_data_1,  // D  "/#1" CR             -> standard data 1
  standard_data_2,  // E  "/#2" CR             -> standard data 2
};

struct Step {
  StepId id;
  std::string_view name;     // "ident", "data-readout", "inst-values", ...
  std::string_view request;  // the bytes sent, exactly
  LineSettings request_line;
  LineSettings reply_line;
  std::uint32_t switch_delay_ms;  // after the request has been sent, before the RX switch
  ReplyEnd reply_end;
  std::uint32_t timeout_ms;  // for the whole reply
  bool on_66b;               // the MULTICAL 66B has no /#C
};

inline constexpr std::array<Step, 5> kSteps{{
    {StepId::ident, "ident", "/?!\r\n", kRequestLine, kReadoutReplyLine, 400, ReplyEnd::line_feed,
     3000, true},
    {StepId::data_readout, "data-readout",
     "\x06"
     "000\r\n",
     kRequestLine, kReadoutReplyLine, 400, ReplyEnd::etx_then_bcc, 8000, true},
    {StepId::inst_values, "inst-values", "/#C", kRequestLine, kDataStringReplyLine, 300,
     ReplyEnd::carriage_return, 3200, false},
    {StepId::standard_data_1, "standard-data-1", "/#1\r", kRequestLine, kDataStringReplyLine, 220,
     ReplyEnd::carriage_return, 3000, true},
    {StepId::standard_data_2, "standard-data-2", "/#2\r", kRequestLine, kDataStringReplyLine, 220,
     ReplyEnd::carriage_return, 3000, true},
}};

const Step& step(StepId id);

// The order of one measurement cycle: 66C A B C D E, 66B A B D E.
inline constexpr std::array<StepId, 5> kCycle66C{StepId::ident, StepId::data_readout,
                                                 StepId::inst_values, StepId::standard_data_1,
                                                 StepId::standard_data_2};
inline constexpr std::array<StepId, 4> kCycle66B{StepId::ident, StepId::data_readout,
                                                 StepId::standard_data_1, StepId::standard_data_2};

// Wake-up sent before step A (the current firmware sends it; configurable by the caller).
struct WakeUp {
  std::uint8_t byte = 0x00;
  std::size_t count = 16;
  LineSettings line = kRequestLine;
};
inline constexpr WakeUp kDefaultWakeUp{};

// Length of the complete reply at the start of `received` under `rule`, or 0 while the reply is
// still incomplete.
std::size_t reply_length(ReplyEnd rule, ByteView received);

}  // namespace ml::core::iec
