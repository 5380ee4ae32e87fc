// Talks to mosquitto's dynamic security plugin over the server's broker settings ([mqtt], TLS
// included): sends commands (server/broker_logins.hpp) and waits for their answers. For the
// command line (`broker setup`, `meters add --broker-login`, `meters login`, `meters remove`,
// `broker sync`); each call is one short connection of its own (client id "<client_id>-control").
#pragma once

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "server/broker_logins.hpp"
#include "server/config.hpp"

namespace ml::server {

// Sends `commands` in messages of at most 100 (mosquitto's message_size_limit stays far) and
// returns one response per command, in their order. An error when the broker cannot be reached,
// refuses the login, or does not answer within `timeout` (the plugin not loaded, or the login
// without the right to use it).
core::Result<std::vector<broker_logins::Response>> broker_control(
    const ServerMqttConfig& mqtt, std::vector<nlohmann::json> commands,
    std::chrono::milliseconds timeout);

// The device roles on the broker (listRoles, page by page), as serials.
core::Result<std::vector<std::string>> broker_device_logins(const ServerMqttConfig& mqtt,
                                                            std::chrono::milliseconds timeout);

// A new random broker password: 32 characters from [A-Za-z0-9].
core::Result<std::string> new_broker_password();

// The original firmware's shared login (its compiled-in default user name).
inline constexpr const char* kLegacyUser = "esp8266";

// A device's own login: its role (broker_logins::device_acls) and a client with user name and
// client id `serial` and a new random password, which is returned (a login that exists gets the
// new password).
core::Result<std::string> create_device_login(const ServerMqttConfig& mqtt, std::string_view serial,
                                              std::chrono::milliseconds timeout);
// Deletes the device's login and role (which disconnects it); what is already gone is fine.
core::Status remove_device_login(const ServerMqttConfig& mqtt, std::string_view serial,
                                 std::chrono::milliseconds timeout);

// Once per broker (`broker setup`): the server's role, given to [mqtt] username, and the role of
// the original firmware's shared login, which gets `legacy_password` when that is not empty.
// Returns what it found and did, a line each. Running it again changes nothing.
core::Result<std::vector<std::string>> setup_broker(const ServerMqttConfig& mqtt,
                                                    const std::string& legacy_password,
                                                    std::chrono::milliseconds timeout);

// Device logins on the broker against the meter registry: a login whose meter is gone is removed
// (unless dry_run).
struct BrokerSync {
  std::size_t logins = 0;            // device logins on the broker before
  std::vector<std::string> removed;  // serials whose login was (or would be) removed
};
core::Result<BrokerSync> sync_device_logins(const ServerMqttConfig& mqtt,
                                            const std::vector<std::string>& meters, bool dry_run,
                                            std::chrono::milliseconds timeout);

}  // namespace ml::server
