// MQTT topics of the MeterLogger protocol: building, strict parsing, and the replay window of
// commands.
//
//   device -> server  /<function>/v2/<serial>/<unix time>        e.g. /sample/v2/7210086/1466572820
//   server -> device  /config/v2/<serial>/<unix time>/<command>  e.g.
//   /config/v2/7210086/1466572820/open last will         /offline/v1/<serial> subscription
//   /config/v2/<serial>/#
//
// Numeric serials are always written with at least 7 digits ("%07u"). The original firmware wrote
// the KMP sample topic with "%u"; both agree for the usual 7-digit serials.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::core::topic {

inline constexpr std::size_t kMaxTopicSize = 127;  // the firmware drops topics of 128 bytes or more
inline constexpr std::size_t kMaxNameSize = 31;    // function and command names
inline constexpr std::size_t kMaxSerialSize = 12;
inline constexpr std::size_t kMaxTimeDigits = 20;  // a 64-bit unsigned decimal
inline constexpr std::uint64_t kReplayWindowSeconds = 1800;

// The meter serial that names a device: 1..12 characters of A-Z a-z 0-9 '_' '-'.
class Serial {
 public:
  // A numeric serial (KMP and EN 61107 meters), zero-padded to 7 digits: 40 -> "0000040".
  static Serial from_number(std::uint32_t number);
  // A serial given as text (pulse meters have a configured string); also "7210086".
  static Result<Serial> parse(std::string_view text);

  const std::string& text() const { return text_; }

  // Serials compare as numbers: a serial of digits only is written as its number with at least
  // 7 digits ("40", "0000040" and "00000000040" are all "0000040"); any other serial is itself.
  // The server keys its meters by this form.
  Serial canonical() const;
  // The topic forms of this serial the original firmware uses: the KMP sample topic prints the
  // serial with %u, every other topic with %07u. For a numeric serial of fewer than 7 digits
  // that is two forms, {"0000040", "40"}; otherwise one, the canonical form.
  std::vector<Serial> topic_forms() const;

  friend bool operator==(const Serial&, const Serial&) = default;

 private:
  explicit Serial(std::string text) : text_(std::move(text)) {}
  std::string text_;
};

// Serial::parse(text)->canonical() as text, for looking a serial up as the user typed it; text
// that is no serial is returned unchanged (it then finds nothing).
std::string canonical_serial(std::string_view text);

// Function and command names: 1..31 characters of a-z 0-9 '_'.
// Errors: topic_invalid naming the offending character or the length.
Status check_name(std::string_view name);

enum class Kind : std::uint8_t {
  device_message,  // /<function>/v2/<serial>/<time>
  command,         // /config/v2/<serial>/<time>/<command>
  offline,         // /offline/v1/<serial>
};

// "device_message", "command" or "offline".
std::string_view kind_name(Kind kind);

struct Topic {
  Kind kind;
  std::string name;  // the function (device message), the command, or "offline"
  unsigned version;  // 2, or 1 for the last will
  Serial serial;
  std::uint64_t time;  // unix seconds; 0 for the last will, which has no time element

  friend bool operator==(const Topic&, const Topic&) = default;
};

// /<function>/v2/<serial>/<time>. The function must be a valid name other than the reserved
// first elements "config" and "offline".
Result<std::string> device_topic(std::string_view function, const Serial& serial,
                                 std::uint64_t time);
// /config/v2/<serial>/<time>/<command>
Result<std::string> command_topic(const Serial& serial, std::uint64_t time,
                                  std::string_view command);
// /offline/v1/<serial>
std::string offline_topic(const Serial& serial);
// /config/v2/<serial>/# — what a device subscribes to.
std::string command_filter(const Serial& serial);

// Classifies and splits a topic. Strict: at most 127 bytes, a leading '/', no empty element, no
// MQTT wildcard, exactly the elements of its kind, valid names, serial and time (decimal, no
// sign, at most 20 digits, fits 64 bits). Every failure is topic_invalid with the reason.
Result<Topic> parse(std::string_view topic);

// The topic text of a parsed (or hand-made) Topic; format(*parse(t)) == t for every t that
// parses, except that a time written with leading zeros comes back without them.
Result<std::string> format(const Topic& topic);

// Replay window of commands (the device accepts a command when
// device_time - window <= topic_time <= device_time + window; device time 0 means the clock has
// not been set yet, and then nothing is accepted).
enum class TimeCheck : std::uint8_t {
  ok,
  clock_unset,  // device_time is 0
  too_old,      // topic_time < device_time - window
  too_new,      // topic_time > device_time + window
};

TimeCheck check_command_time(std::uint64_t topic_time, std::uint64_t device_time,
                             std::uint64_t window = kReplayWindowSeconds);

// "ok", "clock_unset", "too_old", "too_new".
std::string_view time_check_name(TimeCheck check);

}  // namespace ml::core::topic
