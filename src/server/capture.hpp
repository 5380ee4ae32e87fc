// Capture files: device messages as text, one a line, for `meterlogger-server ingest --from`
// (docs/server.md, "Ingesting a capture file"):
//
//   <topic> TAB <the payload in hex> LF
//
// which is what `mosquitto_sub -v -F '%t\t%x'` prints: %t the topic, \t a tab, %x every payload
// byte as two lower-case hex digits, and the newline mosquitto_sub adds after each message. Upper
// case hex (%X) is read too, a CR before the LF is dropped, and the last line may end without LF.
// An empty payload (a last will) is an empty hex field. Empty lines and lines that begin with '#'
// are notes, skipped: no topic a device publishes can begin with '#', MQTT's wildcard.
//
// Bounded: a line holds at most max_topic + 1 + 2 x max_payload bytes (the payload limit is the
// server's, server/ingest.hpp kMaxMessageSize); a longer line is read to its end in pieces and
// refused, never held whole. A bad line is reported with its number and a stable reason, and
// reading goes on with the next line: one bad line costs that line only.
//   too_long   the line, or its payload, is longer than the limits
//   no_tab     no tab between a topic and a payload
//   bad_topic  empty, longer than max_topic, a control character, a wildcard (+ or #), or not
//              UTF-8: nothing a broker delivers
//   bad_hex    an odd number of digits, or a character that is no hex digit (its column named)
// Whether a well-formed message is a device's, authentic and storable is the ingest's to say
// (server/ingest.hpp), exactly as for a message from the broker.
//
// Pure: reads the stream it is given, nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace ml::server {

struct CaptureLimits {
  std::size_t max_topic = 1024;          // bytes; device topics have at most 127
  std::size_t max_payload = 256 * 1024;  // bytes after decoding (kMaxMessageSize)
  std::size_t max_line() const { return max_topic + 1 + 2 * max_payload; }
};

// Why a line is bad: one table, names stable (tools count by them).
enum class BadLineReason : std::uint8_t { too_long, no_tab, bad_topic, bad_hex };
inline constexpr std::array<std::string_view, 4> kBadLineReasonNames = {"too_long", "no_tab",
                                                                        "bad_topic", "bad_hex"};
inline std::string_view bad_line_reason_name(BadLineReason r) {
  return kBadLineReasonNames[static_cast<std::size_t>(r)];
}

struct CapturedMessage {
  std::uint64_t line = 0;  // 1-based
  std::string topic;
  core::Bytes payload;
};

struct BadLine {
  std::uint64_t line = 0;
  BadLineReason reason = BadLineReason::no_tab;
  std::string detail;  // what exactly, e.g. "'x' at column 31 is not a hex digit"
};

// What a line is: a message, a bad line, or a note (empty, or beginning with '#'); `end`: no more
// lines.
enum class CaptureRead : std::uint8_t { message, bad_line, note, end };
// One line on its own, without its LF (a CR before it is dropped here).
CaptureRead parse_capture_line(std::string_view line, std::uint64_t number,
                               const CaptureLimits& limits, CapturedMessage& message, BadLine& bad);

class CaptureReader {
 public:
  explicit CaptureReader(std::istream& in, CaptureLimits limits = {});
  // The next message (into `message`) or bad line (into `bad`), skipping notes (never `note`);
  // `end` at the end of the input.
  CaptureRead next(CapturedMessage& message, BadLine& bad);
  std::uint64_t lines() const { return line_; }   // lines read so far
  std::uint64_t notes() const { return notes_; }  // of them empty or '#' lines

 private:
  // The next line without its LF into line_text_; false at the end. too_long: the line was
  // longer than the limit (line_text_ is then empty).
  bool read_line(bool& too_long);

  std::istream& in_;
  CaptureLimits limits_;
  std::string buffer_;
  std::size_t pos_ = 0;
  std::string line_text_;
  std::uint64_t line_ = 0;
  std::uint64_t notes_ = 0;
};

}  // namespace ml::server
