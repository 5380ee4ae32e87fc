#include "core/topic/topic.hpp"

#include <algorithm>
#include <array>
#include <charconv>

namespace ml::core::topic {
namespace {

constexpr std::string_view kDeviceVersion = "v2";
constexpr std::string_view kOfflineVersion = "v1";
constexpr std::string_view kCommandPrefix = "config";
constexpr std::string_view kOfflinePrefix = "offline";

Error invalid(std::string detail) {
  return make_error(Errc::topic_invalid, std::move(detail));
}

// Text of an element for an error message: printable ASCII as is, other bytes as \xNN.
std::string quote(std::string_view text) {
  constexpr std::string_view kHex = "0123456789abcdef";
  std::string out = "'";
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7F && c != '\\') {
      out += c;
    } else {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 0x0F];
    }
  }
  out += "'";
  return out;
}

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

bool is_serial_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-';
}

// check_name with the element's role ("function", "command") in the messages.
Status check_name_as(std::string_view name, std::string_view role) {
  if (name.empty()) return invalid(std::string(role) + " name is empty");
  if (name.size() > kMaxNameSize) {
    return invalid(std::string(role) + " name " + quote(name) + " is longer than " +
                   std::to_string(kMaxNameSize) + " characters");
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!is_name_char(name[i])) {
      return invalid(std::string(role) + " name " + quote(name) + ": character " +
                     quote(name.substr(i, 1)) + " at position " + std::to_string(i) +
                     " is not one of a-z, 0-9, '_'");
    }
  }
  return Ok{};
}

Result<std::uint64_t> parse_time(std::string_view text) {
  if (text.size() > kMaxTimeDigits) {
    return invalid("time " + quote(text) + " has more than " + std::to_string(kMaxTimeDigits) +
                   " digits");
  }
  for (char c : text) {
    if (c < '0' || c > '9') {
      return invalid("time " + quote(text) + " is not an unsigned decimal number");
    }
  }
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) {
    return invalid("time " + quote(text) + " does not fit 64 bits");
  }
  return value;
}

// "v<digits>" -> the number; the caller states which version the kind requires.
Status expect_version(std::string_view element, std::string_view wanted, std::string_view kind) {
  if (element == wanted) return Ok{};
  return invalid(std::string(kind) + " topics have version " + std::string(wanted) + ", not " +
                 quote(element));
}

}  // namespace

// --- serial ------------------------------------------------------------------------------------

Serial Serial::from_number(std::uint32_t number) {
  std::string digits = std::to_string(number);
  if (digits.size() < 7) digits.insert(0, 7 - digits.size(), '0');
  return Serial(std::move(digits));
}

Result<Serial> Serial::parse(std::string_view text) {
  if (text.empty()) return invalid("serial is empty");
  if (text.size() > kMaxSerialSize) {
    return invalid("serial " + quote(text) + " is longer than " + std::to_string(kMaxSerialSize) +
                   " characters");
  }
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!is_serial_char(text[i])) {
      return invalid("serial " + quote(text) + ": character " + quote(text.substr(i, 1)) +
                     " at position " + std::to_string(i) +
                     " is not one of A-Z, a-z, 0-9, '_', '-'");
    }
  }
  return Serial(std::string(text));
}

Serial Serial::canonical() const {
  if (text_.find_first_not_of("0123456789") != std::string::npos) return *this;
  // At most kMaxSerialSize (12) digits: fits 64 bits.
  std::uint64_t number = 0;
  std::from_chars(text_.data(), text_.data() + text_.size(), number);
  const std::string digits = std::to_string(number);
  return Serial(digits.size() < 7 ? std::string(7 - digits.size(), '0') + digits : digits);
}

std::vector<Serial> Serial::topic_forms() const {
  Serial padded = canonical();
  std::vector<Serial> forms{padded};
  if (text_.find_first_not_of("0123456789") != std::string::npos) return forms;
  const std::size_t first = padded.text_.find_first_not_of('0');
  Serial plain(first == std::string::npos ? std::string("0") : padded.text_.substr(first));
  if (plain.text_ != padded.text_) forms.push_back(std::move(plain));
  return forms;
}

std::string canonical_serial(std::string_view text) {
  auto serial = Serial::parse(text);
  return serial ? serial->canonical().text() : std::string(text);
}

// --- names and kinds ---------------------------------------------------------------------------

Status check_name(std::string_view name) {
  return check_name_as(name, "the");
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::device_message:
      return "device_message";
    case Kind::command:
      return "command";
    case Kind::offline:
      return "offline";
  }
  return "?";
}

// --- build -------------------------------------------------------------------------------------

namespace {

// "/a/b/c": the elements joined, each preceded by '/'.
std::string join(std::initializer_list<std::string_view> elements) {
  std::string out;
  for (std::string_view e : elements) {
    out += '/';
    out += e;
  }
  return out;
}

}  // namespace

Result<std::string> device_topic(std::string_view function, const Serial& serial,
                                 std::uint64_t time) {
  if (auto s = check_name_as(function, "function"); !s) return s.error();
  if (function == kCommandPrefix || function == kOfflinePrefix) {
    return invalid("function name " + quote(function) + " is reserved for " +
                   (function == kCommandPrefix ? "commands" : "the last will"));
  }
  return join({function, kDeviceVersion, serial.text(), std::to_string(time)});
}

Result<std::string> command_topic(const Serial& serial, std::uint64_t time,
                                  std::string_view command) {
  if (auto s = check_name_as(command, "command"); !s) return s.error();
  return join({kCommandPrefix, kDeviceVersion, serial.text(), std::to_string(time), command});
}

std::string offline_topic(const Serial& serial) {
  return join({kOfflinePrefix, kOfflineVersion, serial.text()});
}

std::string command_filter(const Serial& serial) {
  return join({kCommandPrefix, kDeviceVersion, serial.text(), "#"});
}

Result<std::string> format(const Topic& topic) {
  switch (topic.kind) {
    case Kind::device_message:
      if (topic.version != 2) return invalid("device messages have version 2");
      return device_topic(topic.name, topic.serial, topic.time);
    case Kind::command:
      if (topic.version != 2) return invalid("commands have version 2");
      return command_topic(topic.serial, topic.time, topic.name);
    case Kind::offline:
      if (topic.version != 1 || topic.name != kOfflinePrefix || topic.time != 0) {
        return invalid("the last will is named offline, has version 1 and no time");
      }
      return offline_topic(topic.serial);
  }
  return invalid("unknown topic kind");
}

// --- parse -------------------------------------------------------------------------------------

Result<Topic> parse(std::string_view topic) {
  if (topic.empty()) return invalid("topic is empty");
  if (topic.size() > kMaxTopicSize) {
    return invalid("topic is " + std::to_string(topic.size()) + " bytes, at most " +
                   std::to_string(kMaxTopicSize));
  }
  if (topic.front() != '/') return invalid("topic does not start with '/'");
  if (const auto w = topic.find_first_of("+#"); w != std::string_view::npos) {
    return invalid("topic contains the MQTT wildcard '" + std::string(1, topic[w]) +
                   "' at offset " + std::to_string(w));
  }

  // Split after the leading '/'. At most 5 elements are kept; a sixth is an error anyway.
  std::array<std::string_view, 5> e{};
  std::size_t count = 0;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = topic.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? topic.size() : slash;
    if (end == start) {
      return invalid("empty element at offset " + std::to_string(start) +
                     (end == topic.size() ? " (trailing '/')" : " (\"//\")"));
    }
    if (count == e.size()) {
      return invalid("topic has more than " + std::to_string(e.size()) + " elements");
    }
    e[count++] = topic.substr(start, end - start);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }

  const std::string_view first = e[0];
  Kind kind = Kind::device_message;
  std::size_t expected = 4;
  std::string_view shape = "/<function>/v2/<serial>/<time>";
  std::string_view version = kDeviceVersion;
  std::string_view kind_text = "device message";
  if (first == kCommandPrefix) {
    kind = Kind::command;
    expected = 5;
    shape = "/config/v2/<serial>/<time>/<command>";
    kind_text = "command";
  } else if (first == kOfflinePrefix) {
    kind = Kind::offline;
    expected = 3;
    shape = "/offline/v1/<serial>";
    version = kOfflineVersion;
    kind_text = "last will";
  } else if (auto s = check_name_as(first, "function"); !s) {
    return s.error();
  }
  if (count != expected) {
    return invalid(std::string(kind_text) + " topics have " + std::to_string(expected) +
                   " elements (" + std::string(shape) + "), this one has " + std::to_string(count));
  }
  if (auto s = expect_version(e[1], version, kind_text); !s) return s.error();
  auto serial = Serial::parse(e[2]);
  if (!serial) return serial.error();

  Topic out{kind, std::string(first), kind == Kind::offline ? 1u : 2u, std::move(*serial), 0};
  if (kind == Kind::offline) return out;
  auto time = parse_time(e[3]);
  if (!time) return time.error();
  out.time = *time;
  if (kind == Kind::command) {
    if (auto s = check_name_as(e[4], "command"); !s) return s.error();
    out.name = std::string(e[4]);
  }
  return out;
}

// --- replay window -----------------------------------------------------------------------------

TimeCheck check_command_time(std::uint64_t topic_time, std::uint64_t device_time,
                             std::uint64_t window) {
  if (device_time == 0) return TimeCheck::clock_unset;
  if (topic_time < device_time && device_time - topic_time > window) return TimeCheck::too_old;
  if (topic_time > device_time && topic_time - device_time > window) return TimeCheck::too_new;
  return TimeCheck::ok;
}

std::string_view time_check_name(TimeCheck check) {
  switch (check) {
    case TimeCheck::ok:
      return "ok";
    case TimeCheck::clock_unset:
      return "clock_unset";
    case TimeCheck::too_old:
      return "too_old";
    case TimeCheck::too_new:
      return "too_new";
  }
  return "?";
}

}  // namespace ml::core::topic
