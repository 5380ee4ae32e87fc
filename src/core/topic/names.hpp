// The function names a device publishes under (/<function>/v2/...) and the commands it obeys
// (/config/v2/<serial>/<time>/<command>), as data. A name that is not listed here is not part of
// the original protocol; the firmware ignores unknown commands.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>

namespace ml::core::topic {

// The first firmware revision that has a name: the 2018 one, or the current one.
enum class Revision : std::uint8_t { seed, head };

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

struct FunctionInfo {
  std::string_view name;
  Revision since;
  Secret secret = Secret::none;  // in what the device publishes under this name
};

struct CommandInfo {
  std::string_view name;
  Revision since;
  Feature feature;
  std::string_view reply;  // function of the reply topic; empty when the device does not reply
  bool then_status;        // a `status` reply follows the first one
  Secret secret = Secret::none;  // in the argument; the reply's is its function's
};

// Every function a device publishes under, in the order of the firmware description (§7.2);
// the last will /offline/v1/<serial> is not one of them.
inline constexpr std::array<FunctionInfo, 30> kDeviceFunctions{{
    {"sample", Revision::seed},
    {"version", Revision::seed},
    {"uptime", Revision::seed},
    {"status", Revision::seed},
    {"ping", Revision::seed},
    {"vdd", Revision::seed},
    {"rssi", Revision::seed},
    {"ssid", Revision::seed},
    {"set_ssid", Revision::seed},
    {"set_pwd", Revision::seed, Secret::whole},
    {"set_ssid_pwd", Revision::seed, Secret::pwd_field},
    {"scan_result", Revision::seed},
    {"wifi_status", Revision::seed},
    {"ap_status", Revision::seed},
    {"mem", Revision::seed},
    {"crypto", Revision::seed},
    {"reset_reason", Revision::seed},
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
    {"flash_error", Revision::head},
}};

// Every command the firmware obeys (§9). `save` appears in the firmware README but was never
// implemented, so it is not listed.
inline constexpr std::array<CommandInfo, 34> kCommands{{
    {"ping", Revision::seed, Feature::base, "ping", false},
    {"version", Revision::seed, Feature::base, "version", false},
    {"crypto", Revision::seed, Feature::base, "crypto", false},
    {"uptime", Revision::seed, Feature::base, "uptime", false},
    {"vdd", Revision::seed, Feature::base, "vdd", false},
    {"rssi", Revision::seed, Feature::base, "rssi", false},
    {"ssid", Revision::seed, Feature::base, "ssid", false},
    {"scan", Revision::seed, Feature::base, "scan_result", false},
    {"set_ssid", Revision::seed, Feature::base, "set_ssid", false},
    {"set_pwd", Revision::seed, Feature::base, "set_pwd", false, Secret::whole},
    {"set_ssid_pwd", Revision::seed, Feature::base, "set_ssid_pwd", false, Secret::pwd_field},
    {"reconnect", Revision::seed, Feature::base, "", false},
    {"wifi_status", Revision::seed, Feature::base, "wifi_status", false},
    {"ap_status", Revision::seed, Feature::access_point, "ap_status", false},
    {"start_ap", Revision::seed, Feature::access_point, "", false},
    {"stop_ap", Revision::seed, Feature::access_point, "", false},
    {"mem", Revision::seed, Feature::base, "mem", false},
    {"reset_reason", Revision::seed, Feature::base, "reset_reason", false},
    {"set_cron", Revision::seed, Feature::cron, "set_cron", false, Secret::pwd_field},
    {"cron", Revision::seed, Feature::cron, "cron", false},
    {"clear_cron", Revision::seed, Feature::cron, "clear_cron", false},
    {"open", Revision::seed, Feature::valve, "", false},
    {"close", Revision::seed, Feature::valve, "", false},
    {"status", Revision::seed, Feature::valve, "status", false},
    {"open_until", Revision::seed, Feature::valve, "open_until", true},
    {"open_until_delta", Revision::seed, Feature::valve, "open_until_delta", true},
    {"set_ap_mesh_pwd", Revision::head, Feature::access_point, "set_ap_mesh_pwd", false,
     Secret::whole},
    {"network_quality", Revision::head, Feature::base, "network_quality", false},
    {"disconnect_count", Revision::head, Feature::base, "disconnect_count", false},
    {"chip_id", Revision::head, Feature::base, "chip_id", false},
    {"flash_id", Revision::head, Feature::base, "flash_id", false},
    {"flash_size", Revision::head, Feature::base, "flash_size", false},
    {"restart", Revision::head, Feature::base, "", false},
    {"stack_trace", Revision::head, Feature::base, "stack_trace", false},
}};

// The entry for a name, or nullptr.
const FunctionInfo* find_device_function(std::string_view name);
const CommandInfo* find_command(std::string_view name);

// `text` with its secret replaced by kMasked: the whole text (when not empty), or the value of
// every `pwd=` field (at the start, or after `&` or `=`, up to the next `&`).
inline constexpr std::string_view kMasked = "***";
std::string masked(Secret secret, std::string_view text);
// A command's argument, and a reply published under `function`, as they may be shown.
std::string masked_argument(std::string_view command, std::string_view argument);
std::string masked_reply(std::string_view function, std::string_view text);

}  // namespace ml::core::topic
