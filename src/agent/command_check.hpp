// The checks every command a device receives passes before it is carried out (docs/agent.md,
// Commands), in order: the topic and payload within the original's sizes, a command topic for
// this serial, the envelope opened with the meter's key, the topic time within the command window
// of the device's clock, and the replay memory in the agent's store (the same sealed message is
// accepted once). Each refusal has a reason name, the one the device counts and logs. No MQTT,
// no clock of its own: the message and the time are passed in.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "agent/store.hpp"
#include "core/bytes.hpp"
#include "core/envelope/envelope.hpp"
#include "core/result.hpp"

namespace ml::agent {

// A command that passed: its name (the topic's last level) and its argument (the opened text).
struct AcceptedCommand {
  std::string name;
  std::string argument;
};

// What the checks found: the command, or the reason it is refused: "too_long", "bad_topic",
// "wrong_serial", the envelope error's name ("envelope_bad_mac", …), the time check's name
// ("too_old", "too_new", "clock_unset") or "replay".
struct CommandVerdict {
  std::optional<AcceptedCommand> accepted;
  std::string rejected;
};

struct CommandCheckSettings {
  std::string_view serial;  // this device's
  const core::envelope::Keys& keys;
  std::int64_t window_s;  // command_window
  // After a key change, the previous key, still accepted for a while (core/keychange).
  const core::envelope::Keys* previous = nullptr;
};

// The checks before the replay memory, pure (no store): sizes, topic, serial, envelope, time
// window. An accepted message comes with what the replay memory needs: its MAC and topic time.
// The virtual devices of `meterlogger sim fleet` keep their replay memory in memory and call this.
struct MessageVerdict {
  CommandVerdict verdict;
  core::envelope::Mac mac{};
  std::int64_t topic_time = 0;
};
MessageVerdict check_command_message(const CommandCheckSettings& settings, std::string_view topic,
                                     core::ByteView payload, std::int64_t now);

// Checks one received message at wall-clock time `now` (unix seconds); an accepted command is
// remembered in the store's replay memory. An error (the store cannot remember it) is neither
// an acceptance nor a refusal: the command is not carried out.
core::Result<CommandVerdict> check_command(Store& store, const CommandCheckSettings& settings,
                                           std::string_view topic, core::ByteView payload,
                                           std::int64_t now);

}  // namespace ml::agent
