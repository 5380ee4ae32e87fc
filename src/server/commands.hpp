// The command queue's rules (docs/server.md, "Commands"; the original server's, with its
// failures fixed): which commands may be queued, which reply confirms a queued command, what is
// sent after a command that has no reply, and when a command is sent again. What each command
// is comes from the command table (core/topic/names.hpp); these functions only read it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/topic/topic.hpp"

namespace ml::server {

// Where a queued command is: waiting to be sent (queued), sent and waiting for its reply (sent),
// confirmed by a reply (acked), given up at its expiry (expired), or replaced by a newer one of
// the same name before a reply confirmed it (superseded; core/topic/names.hpp,
// CommandInfo::supersedes). Queued and sent commands are pending: they are (re)sent.
enum class CommandState : std::uint8_t { queued, sent, acked, expired, superseded };

struct CommandStateInfo {
  CommandState state;
  std::string_view name;  // as stored, shown by the API and the command line
  bool pending;
};

inline constexpr std::array<CommandStateInfo, 5> kCommandStates{{
    {CommandState::queued, "queued", true},
    {CommandState::sent, "sent", true},
    {CommandState::acked, "acked", false},
    {CommandState::expired, "expired", false},
    {CommandState::superseded, "superseded", false},
}};

std::string_view state_name(CommandState state);
std::optional<CommandState> command_state_from_name(std::string_view name);
bool is_pending(CommandState state);

struct Command {
  std::int64_t id = 0;
  std::string serial;
  std::string command;
  std::string argument;  // sent as is; "1" when empty (the server's customary argument)
  CommandState state = CommandState::queued;
  std::int64_t created = 0;
  std::int64_t expires = 0;  // 0: never
  std::int64_t next_send = 0;
  std::int64_t sent_count = 0;
  std::int64_t first_sent = 0;
  std::int64_t last_sent = 0;
  std::optional<std::string> reply;
  std::int64_t reply_time = 0;
};

// Every command a device obeys over MQTT (core::topic::find_command, both revisions), with an
// argument the device can take. Errors name an unknown command (`save` is one: the firmware
// never implemented it).
core::Status check_command(std::string_view command, std::string_view argument);

// The text sent for a command: its argument, or "1" when it has none.
std::string wire_argument(const Command& c);

// Whether a reply from the command's meter confirms the command, which was first sent at
// c.first_sent (server clock). `reply_time` is the reply's own topic time (the device's clock):
// a reply sealed more than kReplySkewSeconds before the first send cannot answer it (the device
// refuses a command whose time is that far ahead of its clock), so a recorded older reply that
// is published again confirms nothing. Then the reply must be the one the command's row of the
// table names (CommandInfo::confirming_function and its Confirmation): the command's own reply
// (open_until: echoing a value less than 1 away from the argument, as MeterLoggerWeb checks it,
// since the device replies whole kWh; scan: a scan_result); open / close: a status saying open /
// close; start_ap / stop_ap: an ap_status saying started / stopped; reconnect / restart: the
// version the device sends when it connects again. A command not in the table is confirmed by
// nothing.
bool confirms(const Command& c, std::string_view function, std::string_view text,
              std::int64_t reply_time);

// The clock skew between server and device a reply's time is allowed: the device's command
// window (docs/protocols/envelope.md, ±1800 s).
inline constexpr auto kReplySkewSeconds =
    static_cast<std::int64_t>(core::topic::kReplayWindowSeconds);

// The query sent right after a command that has no reply of its own (core::topic::follow_up):
// status after open and close, ap_status after start_ap and stop_ap.
std::optional<std::string> follow_up(std::string_view command);

// Seconds until the next send after `sent_count` sends: initial, doubling, at most max.
std::int64_t retry_delay(std::int64_t sent_count, int initial_s, int max_s);

}  // namespace ml::server
