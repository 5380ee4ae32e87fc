// Capture files, read line by line within bounds (capture.hpp).
#include "server/capture.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace ml::server {
namespace {

constexpr std::size_t kChunk = 64 * 1024;

// 0..15 for a hex digit, -1 for any other byte: one table, read twice a payload byte.
constexpr std::array<std::int8_t, 256> kHexValue = [] {
  std::array<std::int8_t, 256> t{};
  t.fill(-1);
  for (int c = 0; c < 10; ++c)
    t[static_cast<std::size_t>('0' + c)] = static_cast<std::int8_t>(c);
  for (int c = 0; c < 6; ++c) {
    t[static_cast<std::size_t>('a' + c)] = static_cast<std::int8_t>(10 + c);
    t[static_cast<std::size_t>('A' + c)] = static_cast<std::int8_t>(10 + c);
  }
  return t;
}();
constexpr int hex_value(char c) {
  return kHexValue[static_cast<unsigned char>(c)];
}

// The first byte (0-based) where `text` stops being UTF-8 as MQTT allows it in a topic (no
// overlong forms, no surrogates, nothing above U+10FFFF), or npos.
std::size_t utf8_error(std::string_view text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const std::size_t n = text.size();
  for (std::size_t i = 0; i < n;) {
    const unsigned c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;  // overlong
      if (c == 0xED) hi = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;  // overlong
      if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
      return i;
    }
    if (i + len > n) return i;
    if (s[i + 1] < lo || s[i + 1] > hi) return i;
    for (std::size_t k = 2; k < len; ++k)
      if (s[i + k] < 0x80 || s[i + k] > 0xBF) return i;
    i += len;
  }
  return std::string_view::npos;
}

CaptureRead bad_line(BadLine& bad, std::uint64_t number, BadLineReason reason, std::string detail) {
  bad.line = number;
  bad.reason = reason;
  bad.detail = std::move(detail);
  return CaptureRead::bad_line;
}

// A character as an error message shows it: 'x', or 0x09 when it does not print.
std::string shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  static constexpr char kDigits[] = "0123456789ABCDEF";
  return std::string("0x") + kDigits[u >> 4] + kDigits[u & 15];
}

}  // namespace

CaptureRead parse_capture_line(std::string_view line, std::uint64_t number,
                               const CaptureLimits& limits, CapturedMessage& message,
                               BadLine& bad) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.empty() || line.front() == '#') return CaptureRead::note;
  if (line.size() > limits.max_line()) {
    return bad_line(
        bad, number, BadLineReason::too_long,
        std::to_string(line.size()) + " bytes, at most " + std::to_string(limits.max_line()));
  }
  const std::size_t tab = line.find('\t');
  if (tab == std::string_view::npos) {
    return bad_line(bad, number, BadLineReason::no_tab,
                    "no tab between the topic and the payload (capture with mosquitto_sub -v -F "
                    "'%t\\t%x')");
  }
  const std::string_view topic = line.substr(0, tab);
  const std::string_view hex = line.substr(tab + 1);
  if (topic.empty()) return bad_line(bad, number, BadLineReason::bad_topic, "an empty topic");
  if (topic.size() > limits.max_topic) {
    return bad_line(bad, number, BadLineReason::bad_topic,
                    "a topic of " + std::to_string(topic.size()) + " bytes, at most " +
                        std::to_string(limits.max_topic));
  }
  for (std::size_t i = 0; i < topic.size(); ++i) {
    const auto c = static_cast<unsigned char>(topic[i]);
    if (c < 0x20 || c == 0x7F || c == '+' || c == '#') {
      return bad_line(bad, number, BadLineReason::bad_topic,
                      (c == '+' || c == '#' ? "a wildcard " : "a control character ") +
                          shown(topic[i]) + " at column " + std::to_string(i + 1));
    }
  }
  if (const auto at = utf8_error(topic); at != std::string_view::npos) {
    return bad_line(bad, number, BadLineReason::bad_topic,
                    "not UTF-8 at column " + std::to_string(at + 1));
  }
  if (hex.size() % 2 != 0) {
    return bad_line(bad, number, BadLineReason::bad_hex,
                    "an odd number of hex digits (" + std::to_string(hex.size()) + ")");
  }
  if (hex.size() / 2 > limits.max_payload) {
    return bad_line(bad, number, BadLineReason::too_long,
                    "a payload of " + std::to_string(hex.size() / 2) + " bytes, at most " +
                        std::to_string(limits.max_payload));
  }
  message.line = number;
  message.topic.assign(topic);
  message.payload.resize(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_value(hex[i]);
    const int low = hex_value(hex[i + 1]);
    if (high < 0 || low < 0) {
      const std::size_t at = high < 0 ? i : i + 1;
      return bad_line(
          bad, number, BadLineReason::bad_hex,
          shown(hex[at]) + " at column " + std::to_string(tab + 2 + at) + " is not a hex digit");
    }
    message.payload[i / 2] = static_cast<std::uint8_t>(high << 4 | low);
  }
  return CaptureRead::message;
}

CaptureReader::CaptureReader(std::istream& in, CaptureLimits limits) : in_(in), limits_(limits) {}

bool CaptureReader::read_line(bool& too_long) {
  too_long = false;
  line_text_.clear();
  bool any = false;  // a byte of this line was read (a last line without LF counts)
  for (;;) {
    if (pos_ == buffer_.size()) {
      buffer_.resize(kChunk);
      in_.read(buffer_.data(), static_cast<std::streamsize>(buffer_.size()));
      buffer_.resize(static_cast<std::size_t>(std::max<std::streamsize>(in_.gcount(), 0)));
      pos_ = 0;
      if (buffer_.empty()) return any;
    }
    any = true;
    const char* start = buffer_.data() + pos_;
    const std::size_t left = buffer_.size() - pos_;
    const auto* lf = static_cast<const char*>(std::memchr(start, '\n', left));
    const std::size_t piece = lf != nullptr ? static_cast<std::size_t>(lf - start) : left;
    // One byte beyond the limit is kept, so that parse_capture_line can tell a CR-LF line of
    // exactly the limit from a longer one; more is dropped.
    if (!too_long) {
      if (line_text_.size() + piece > limits_.max_line() + 1) {
        too_long = true;
        line_text_.clear();
      } else {
        line_text_.append(start, piece);
      }
    }
    pos_ += piece;
    if (lf != nullptr) {
      ++pos_;
      return true;
    }
  }
}

CaptureRead CaptureReader::next(CapturedMessage& message, BadLine& bad) {
  for (;;) {
    bool too_long = false;
    if (!read_line(too_long)) return CaptureRead::end;
    ++line_;
    if (too_long) {
      return bad_line(bad, line_, BadLineReason::too_long,
                      "longer than " + std::to_string(limits_.max_line()) + " bytes");
    }
    const auto read = parse_capture_line(line_text_, line_, limits_, message, bad);
    if (read == CaptureRead::note) {
      ++notes_;
      continue;
    }
    return read;
  }
}

}  // namespace ml::server
