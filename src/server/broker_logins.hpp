// Per-device broker logins with mosquitto's dynamic security plugin (docs/security.md, "Broker
// logins"): which topics each login may use, and the JSON the plugin takes on
// $CONTROL/dynamic-security/v1 and answers on .../response. Pure: no I/O; the client that sends
// them is server/broker_control.hpp.
//
// A device logs in with its serial as user name and client id and may publish only under its own
// serial (samples, replies, its last will) and subscribe only to its own commands. The server's
// login may read every device topic, send every command and manage the plugin. The original
// firmware's shared login (`esp8266`) may publish every device topic: it cannot be narrowed
// without changing the firmware (docs/compatibility.md).
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server::broker_logins {

inline constexpr std::string_view kControlTopic = "$CONTROL/dynamic-security/v1";
inline constexpr std::string_view kResponseTopic = "$CONTROL/dynamic-security/v1/response";
inline constexpr std::string_view kServerRole = "meterlogger-server";
inline constexpr std::string_view kLegacyRole = "meterlogger-esp8266";
inline constexpr std::string_view kDeviceRolePrefix = "meterlogger-device-";

// One access rule of a role; the plugin checks a role's rules from the highest priority down and
// the first whose topic matches decides.
struct Acl {
  std::string type;  // publishClientSend, publishClientReceive, subscribePattern, ...
  std::string topic;
  bool allow = true;
  int priority = 0;
};

std::string device_role(std::string_view serial);
// The serial of a device role's name, or "" when `role` is not one.
std::string serial_of_role(std::string_view role);

std::vector<Acl> device_acls(std::string_view serial);
std::vector<Acl> server_acls();
std::vector<Acl> legacy_acls();

// Commands (one element of the "commands" array each).
nlohmann::json create_role(std::string_view role, const std::vector<Acl>& acls);
nlohmann::json delete_role(std::string_view role);
// One ACL added to an existing role (an upgrade's new reply function for the server's role).
nlohmann::json add_role_acl(std::string_view role, const Acl& acl);
nlohmann::json create_client(std::string_view username, std::string_view password,
                             std::string_view client_id, const std::vector<std::string>& roles);
nlohmann::json delete_client(std::string_view username);
nlohmann::json set_client_password(std::string_view username, std::string_view password);
nlohmann::json add_client_role(std::string_view username, std::string_view role);
nlohmann::json get_client(std::string_view username);
nlohmann::json get_role(std::string_view role);
nlohmann::json list_roles(int offset, int count);

// The message for kControlTopic: `commands`, each with correlationData "<tag>-<index>".
std::string control_message(std::vector<nlohmann::json> commands, std::string_view tag);

struct Response {
  std::string command;      // as the plugin names it
  std::string error;        // "" when it succeeded
  std::string correlation;  // as sent
  nlohmann::json data;      // listRoles etc.: the "data" object, else null
};

inline constexpr std::size_t kMaxResponseBytes = 64 * 1024 * 1024;
inline constexpr std::size_t kMaxResponses = 100000;

// A message from kResponseTopic; bounded, and an error names what was wrong.
core::Result<std::vector<Response>> parse_responses(std::string_view payload);

// An error that leaves things as they should be: creating what exists, deleting what is gone.
bool already_so(const Response& response);

// The role names in a listRoles response's data, and a getClient response's client's roles.
std::vector<std::string> role_names(const nlohmann::json& data);
// getRole's data: the role's ACLs (type and topic; allow and priority are not read). Empty for
// anything else.
std::vector<std::pair<std::string, std::string>> role_acls(const nlohmann::json& data);
std::vector<std::string> client_roles(const nlohmann::json& data);

}  // namespace ml::server::broker_logins
