// The vocabulary of the protocol, as data: the function names a device publishes under
// (/<function>/v2/...) and the commands it obeys (/config/v2/<serial>/<time>/<command>), with
// everything the rest of the program knows about each: which build carries it, its reply, what
// confirms it, whether cron may run it, what its argument is, which part is a secret. Nothing
// else lists commands or reply functions: the server's command check, its subscriptions and its
// confirmation rule, the agent's gating by build, cron's commands and the API's list of commands
// (GET /api/commands, docs/api.md) and which command supersedes its older unconfirmed ones
// are all read from here. A name that is not listed is not part
// of the original protocol; the firmware ignores unknown commands (docs/compatibility.md).
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ml::core::topic {

// The first firmware revision that has a name: the 2018 one, or the current one; or none:
// an extension of this project's agent (docs/compatibility.md, "Extension commands"), which the
// original firmware ignores as it ignores every command it does not know.
enum class Revision : std::uint8_t { seed, head, extension };

// Which build of the firmware carries a command.
enum class Feature : std::uint8_t {
  base,          // every build
  valve,         // builds with a valve (not pulse meters)
  cron,          // builds with a valve and cron
  access_point,  // builds with the mesh access point
};

// What part of a command's argument or a reply's text is a secret (a Wi-Fi or access point
// password). The device needs it, so a queued command stores it; nothing shows it (the API, the
// command line, the logs, the audit log all go through masked()).
enum class Secret : std::uint8_t {
  none,
  whole,      // the whole text is a password: set_pwd, set_ap_mesh_pwd
  pwd_field,  // the value of every `pwd=` field: set_ssid_pwd, and cron jobs that run it
};

// Which replies go to a meter's event log (docs/server.md, "Ingest"); the others are kept as the
// meter's newest value of that function only.
enum class Logged : std::uint8_t {
  no,
  each,       // every new reply is an event: reset_reason, flash_error
  on_change,  // a reply that changes the newest value is an event: status (the valve)
  only,       // an event and nothing else, no newest value: scan_result (one per network)
};

// The `version` reply of this project's agent begins with this (docs/compatibility.md, "Replies
// to commands"); a device whose newest version says so obeys the extension commands
// (Revision::extension). The original firmware's begins with its SDK's version.
inline constexpr std::string_view kAgentVersionPrefix = "linux-";

struct FunctionInfo {
  std::string_view name;
  Revision since;
  Secret secret = Secret::none;  // in what the device publishes under this name
  Logged logged = Logged::no;
  std::string_view event_kind = {};  // the event's kind when logged ("" : the function's name)
};

// Who may give a command.
enum class Source : std::uint8_t {
  mqtt,           // the server, over MQTT
  mqtt_and_cron,  // the server, and a cron job on the device (docs/agent.md, "Cron")
  cron,           // only a cron job: the valve's `off` and `test`; over MQTT it is unknown
  server,         // the server, over MQTT, as part of a procedure of its own (set_key: `meters
                  // rekey`), never as a command an operator queues by name
};

// What the text of a confirming reply must be.
enum class Match : std::uint8_t {
  any,     // anything
  text,    // exactly Confirmation::text
  amount,  // a number less than 1 away from the argument, as MeterLoggerWeb checks open_until
           // (the device replies whole kWh)
};

// The reply that tells the server a queued command was carried out (docs/server.md, "Commands").
struct Confirmation {
  std::string_view function;  // its function; empty: the command's own reply
  Match match = Match::any;
  std::string_view text = {};  // with Match::text
  // The server asks for it right after sending the command (sends the command named `function`,
  // whose reply it is); otherwise the device sends it of its own accord (`version` on connecting).
  bool asked = false;
};

struct CommandInfo {
  std::string_view name;
  Revision since;
  Feature feature;
  std::string_view reply;  // function of the reply topic; empty when the device does not reply
  bool then_status;        // a `status` reply follows the first one
  Secret secret = Secret::none;  // in the argument; the reply's is its function's
  Source source = Source::mqtt;
  // What the operator gives as the argument, as a hint ("kWh (m3 for water)"); empty: the
  // command takes none (the server sends "1").
  std::string_view argument = {};
  Confirmation confirmation = {};
  // Queuing it supersedes the meter's older ones of the same name that no reply has confirmed
  // yet (queued or sent): only the newest is sent (open_until: the limit from the whole ledger).
  bool supersedes = false;

  // The device obeys it over MQTT: the server may queue it.
  constexpr bool over_mqtt() const { return source != Source::cron; }
  // An operator may queue it by name (send, the API); Source::server commands only the server.
  constexpr bool operator_may_queue() const {
    return source == Source::mqtt || source == Source::mqtt_and_cron;
  }
  // A cron job may run it.
  constexpr bool from_cron() const {
    return source == Source::mqtt_and_cron || source == Source::cron;
  }
  // The function of the reply that confirms it: Confirmation::function, or the reply.
  constexpr std::string_view confirming_function() const {
    return confirmation.function.empty() ? reply : confirmation.function;
  }
};

// Every function a device publishes under (docs/agent.md, "Commands", and the sample); the
// server subscribes to each. The last will /offline/v1/<serial> is not one of them.
inline constexpr std::array<FunctionInfo, 32> kDeviceFunctions{{
    {"sample", Revision::seed},
    {"version", Revision::seed},
    {"uptime", Revision::seed},
    {"status", Revision::seed, Secret::none, Logged::on_change, "valve"},
    {"ping", Revision::seed},
    {"vdd", Revision::seed},
    {"rssi", Revision::seed},
    {"ssid", Revision::seed},
    {"set_ssid", Revision::seed},
    {"set_pwd", Revision::seed, Secret::whole},
    {"set_ssid_pwd", Revision::seed, Secret::pwd_field},
    {"scan_result", Revision::seed, Secret::none, Logged::only},
    {"wifi_status", Revision::seed},
    {"ap_status", Revision::seed},
    {"mem", Revision::seed},
    {"crypto", Revision::seed},
    {"reset_reason", Revision::seed, Secret::none, Logged::each},
    {"set_cron", Revision::seed, Secret::pwd_field},
    {"clear_cron", Revision::seed},
    {"cron", Revision::seed, Secret::pwd_field},
    {"open_until", Revision::seed},
    {"open_until_delta", Revision::seed},
    {"set_ap_mesh_pwd", Revision::head, Secret::whole},
    {"disconnect_count", Revision::head},
    {"network_quality", Revision::head},
    {"chip_id", Revision::head},
    {"flash_id", Revision::head},
    {"flash_size", Revision::head},
    {"stack_trace", Revision::head},
    {"flash_error", Revision::head, Secret::none, Logged::each},
    {"resend", Revision::extension, Secret::none, Logged::each},
    {"set_key", Revision::extension, Secret::whole, Logged::each},
}};

// Every command the firmware obeys (docs/agent.md, "Commands"), and the two only cron runs.
// `save` appears in the firmware README but was never implemented, so it is not listed: the
// server refuses it, and the agent ignores it as the firmware does.
inline constexpr std::array<CommandInfo, 38> kCommands{{
    {"ping", Revision::seed, Feature::base, "ping", false},
    {"version", Revision::seed, Feature::base, "version", false},
    {"crypto", Revision::seed, Feature::base, "crypto", false},
    {"uptime", Revision::seed, Feature::base, "uptime", false},
    {"vdd", Revision::seed, Feature::base, "vdd", false},
    {"rssi", Revision::seed, Feature::base, "rssi", false},
    {"ssid", Revision::seed, Feature::base, "ssid", false},
    {"scan", Revision::seed, Feature::base, "scan_result", false},
    {"set_ssid", Revision::seed, Feature::base, "set_ssid", false, Secret::none, Source::mqtt,
     "SSID"},
    {"set_pwd", Revision::seed, Feature::base, "set_pwd", false, Secret::whole, Source::mqtt,
     "Wi-Fi password"},
    {"set_ssid_pwd", Revision::seed, Feature::base, "set_ssid_pwd", false, Secret::pwd_field,
     Source::mqtt_and_cron, "ssid=<SSID>&pwd=<password>"},
    {"reconnect",
     Revision::seed,
     Feature::base,
     "",
     false,
     Secret::none,
     Source::mqtt_and_cron,
     "",
     {"version"}},
    {"wifi_status", Revision::seed, Feature::base, "wifi_status", false},
    {"ap_status", Revision::seed, Feature::access_point, "ap_status", false},
    {"start_ap",
     Revision::seed,
     Feature::access_point,
     "",
     false,
     Secret::none,
     Source::mqtt_and_cron,
     "",
     {"ap_status", Match::text, "started", true}},
    {"stop_ap",
     Revision::seed,
     Feature::access_point,
     "",
     false,
     Secret::none,
     Source::mqtt_and_cron,
     "",
     {"ap_status", Match::text, "stopped", true}},
    {"mem", Revision::seed, Feature::base, "mem", false},
    {"reset_reason", Revision::seed, Feature::base, "reset_reason", false},
    {"set_cron", Revision::seed, Feature::cron, "set_cron", false, Secret::pwd_field, Source::mqtt,
     "minute=0&hour=6&day_of_week=1-5&command=open"},
    {"cron", Revision::seed, Feature::cron, "cron", false},
    {"clear_cron", Revision::seed, Feature::cron, "clear_cron", false, Secret::none,
     Source::mqtt_and_cron},
    {"open",
     Revision::seed,
     Feature::valve,
     "",
     false,
     Secret::none,
     Source::mqtt_and_cron,
     "",
     {"status", Match::text, "open", true}},
    {"close",
     Revision::seed,
     Feature::valve,
     "",
     false,
     Secret::none,
     Source::mqtt_and_cron,
     "",
     {"status", Match::text, "close", true}},
    {"status", Revision::seed, Feature::valve, "status", false},
    {"open_until",
     Revision::seed,
     Feature::valve,
     "open_until",
     true,
     Secret::none,
     Source::mqtt,
     "limit in kWh (m3 for water)",
     {"", Match::amount},
     true},
    {"open_until_delta", Revision::seed, Feature::valve, "open_until_delta", true, Secret::none,
     Source::mqtt, "kWh (m3 for water) from the reading"},
    {"set_ap_mesh_pwd", Revision::head, Feature::access_point, "set_ap_mesh_pwd", false,
     Secret::whole, Source::mqtt, "access point password"},
    {"network_quality", Revision::head, Feature::base, "network_quality", false},
    {"disconnect_count", Revision::head, Feature::base, "disconnect_count", false},
    {"chip_id", Revision::head, Feature::base, "chip_id", false},
    {"flash_id", Revision::head, Feature::base, "flash_id", false},
    {"flash_size", Revision::head, Feature::base, "flash_size", false},
    {"restart",
     Revision::head,
     Feature::base,
     "",
     false,
     Secret::none,
     Source::mqtt,
     "",
     {"version"}},
    {"stack_trace", Revision::head, Feature::base, "stack_trace", false},
    // Extensions: the agent publishes its kept samples of a time range again (docs/agent.md,
    // "Filling gaps") and replies with how many.
    {"resend", Revision::extension, Feature::base, "resend", false, Secret::none, Source::mqtt,
     "FROM TO (unix seconds)"},
    // The device's new key, sealed under the old one; `meters rekey` (docs/security.md,
    // "Changing a key").
    {"set_key", Revision::extension, Feature::base, "set_key", false, Secret::whole, Source::server,
     "the new key (32 hex digits)"},
    // The valve's other states, for cron only: all outputs off, and the test cycle.
    {"off", Revision::seed, Feature::valve, "", false, Secret::none, Source::cron},
    {"test", Revision::seed, Feature::valve, "", false, Secret::none, Source::cron},
}};

// The entry for a name, or nullptr. find_command finds the commands a device obeys over MQTT
// (over_mqtt()); find_cron_command those a cron job may run (from_cron()).
const FunctionInfo* find_device_function(std::string_view name);
const CommandInfo* find_command(std::string_view name);
const CommandInfo* find_cron_command(std::string_view name);

// "base", "valve", "cron", "access_point".
std::string_view feature_name(Feature feature);

// The command whose confirmation the server asks for right after sending `command` (`status`
// after open and close, `ap_status` after start_ap and stop_ap), or empty.
std::string_view follow_up(std::string_view command);

// `text` with its secret replaced by kMasked: the whole text (when not empty), or the value of
// every `pwd=` field (at the start, or after `&` or `=`, up to the next `&`).
inline constexpr std::string_view kMasked = "***";
std::string masked(Secret secret, std::string_view text);
// A command's argument, and a reply published under `function`, as they may be shown.
std::string masked_argument(std::string_view command, std::string_view argument);
std::string masked_reply(std::string_view function, std::string_view text);

}  // namespace ml::core::topic
