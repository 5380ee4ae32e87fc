#include "server/broker_logins.hpp"

#include "core/topic/names.hpp"

namespace ml::server::broker_logins {
namespace {

core::Error bad(std::string what) {
  return core::make_error(core::Errc::invalid_argument,
                          "dynamic security response: " + std::move(what));
}

nlohmann::json acl_json(const Acl& a) {
  return {{"acltype", a.type}, {"topic", a.topic}, {"allow", a.allow}, {"priority", a.priority}};
}

}  // namespace

std::string device_role(std::string_view serial) {
  return std::string(kDeviceRolePrefix) + std::string(serial);
}

std::string serial_of_role(std::string_view role) {
  if (role.size() <= kDeviceRolePrefix.size() ||
      role.substr(0, kDeviceRolePrefix.size()) != kDeviceRolePrefix) {
    return "";
  }
  return std::string(role.substr(kDeviceRolePrefix.size()));
}

// Every device topic is /<function>/v2/<serial>/... (core/topic/names.hpp); commands are
// /config/v2/<serial>/...; the last will is /offline/v1/<serial>. One wildcard rule per device
// instead of one per function keeps the plugin's file small at 100 000 devices; the deny above it
// keeps a device from writing commands, even to itself.
std::vector<Acl> device_acls(std::string_view serial) {
  const std::string s(serial);
  return {
      {"publishClientSend", "/config/v2/" + s + "/#", false, 10},
      {"publishClientSend", "/+/v2/" + s + "/#", true, 0},
      {"publishClientSend", "/offline/v1/" + s, true, 0},
      {"subscribePattern", "/config/v2/" + s + "/#", true, 0},
  };
}

std::vector<Acl> server_acls() {
  std::vector<Acl> acls{
      {"publishClientSend", "/config/v2/#", true, 0},
      {"subscribePattern", "/offline/v1/#", true, 0},
      {"subscribePattern", "$SYS/#", true, 0},
      {"publishClientSend", "$CONTROL/dynamic-security/#", true, 0},
      {"subscribePattern", "$CONTROL/dynamic-security/#", true, 0},
  };
  for (const auto& f : core::topic::kDeviceFunctions)
    acls.push_back({"subscribePattern", "/" + std::string(f.name) + "/v2/#", true, 0});
  return acls;
}

std::vector<Acl> legacy_acls() {
  return {
      {"publishClientSend", "/config/v2/#", false, 10},
      {"publishClientSend", "/+/v2/#", true, 0},
      {"publishClientSend", "/offline/v1/#", true, 0},
      {"subscribePattern", "/config/v2/#", true, 0},
  };
}

nlohmann::json create_role(std::string_view role, const std::vector<Acl>& acls) {
  nlohmann::json list = nlohmann::json::array();
  for (const Acl& a : acls)
    list.push_back(acl_json(a));
  return {{"command", "createRole"}, {"rolename", role}, {"acls", std::move(list)}};
}

nlohmann::json add_role_acl(std::string_view role, const Acl& acl) {
  auto j = acl_json(acl);
  j["command"] = "addRoleACL";
  j["rolename"] = role;
  return j;
}

nlohmann::json delete_role(std::string_view role) {
  return {{"command", "deleteRole"}, {"rolename", role}};
}

nlohmann::json create_client(std::string_view username, std::string_view password,
                             std::string_view client_id, const std::vector<std::string>& roles) {
  nlohmann::json r = nlohmann::json::array();
  for (const auto& role : roles)
    r.push_back({{"rolename", role}, {"priority", 0}});
  nlohmann::json c = {{"command", "createClient"},
                      {"username", username},
                      {"password", password},
                      {"roles", std::move(r)}};
  if (!client_id.empty()) c["clientid"] = client_id;
  return c;
}

nlohmann::json delete_client(std::string_view username) {
  return {{"command", "deleteClient"}, {"username", username}};
}

nlohmann::json set_client_password(std::string_view username, std::string_view password) {
  return {{"command", "setClientPassword"}, {"username", username}, {"password", password}};
}

nlohmann::json add_client_role(std::string_view username, std::string_view role) {
  return {{"command", "addClientRole"}, {"username", username}, {"rolename", role}};
}

nlohmann::json get_role(std::string_view role) {
  return {{"command", "getRole"}, {"rolename", role}};
}

nlohmann::json get_client(std::string_view username) {
  return {{"command", "getClient"}, {"username", username}};
}

nlohmann::json list_roles(int offset, int count) {
  return {{"command", "listRoles"}, {"verbose", false}, {"offset", offset}, {"count", count}};
}

std::string control_message(std::vector<nlohmann::json> commands, std::string_view tag) {
  for (std::size_t i = 0; i < commands.size(); ++i)
    commands[i]["correlationData"] = std::string(tag) + "-" + std::to_string(i);
  return nlohmann::json{{"commands", std::move(commands)}}.dump();
}

core::Result<std::vector<Response>> parse_responses(std::string_view payload) {
  if (payload.size() > kMaxResponseBytes) {
    return bad(std::to_string(payload.size()) + " bytes, more than " +
               std::to_string(kMaxResponseBytes));
  }
  const auto doc = nlohmann::json::parse(payload, nullptr, false);
  if (doc.is_discarded()) return bad("not JSON");
  if (!doc.is_object() || !doc.contains("responses") || !doc["responses"].is_array()) {
    return bad("no \"responses\" array");
  }
  const auto& list = doc["responses"];
  if (list.size() > kMaxResponses) return bad(std::to_string(list.size()) + " responses");
  std::vector<Response> out;
  out.reserve(list.size());
  for (const auto& item : list) {
    if (!item.is_object()) return bad("a response that is not an object");
    Response r;
    auto text = [&](const char* key, std::string& to) -> bool {
      if (!item.contains(key)) return true;
      if (!item[key].is_string()) return false;
      to = item[key].get<std::string>();
      return true;
    };
    if (!text("command", r.command) || r.command.empty()) return bad("a response without command");
    if (!text("error", r.error)) return bad("\"error\" of " + r.command + " is not text");
    if (!text("correlationData", r.correlation)) {
      return bad("\"correlationData\" of " + r.command + " is not text");
    }
    if (item.contains("data")) {
      if (!item["data"].is_object()) return bad("\"data\" of " + r.command + " is not an object");
      r.data = item["data"];
    }
    out.push_back(std::move(r));
  }
  return out;
}

bool already_so(const Response& r) {
  return (r.command == "createRole" && r.error == "Role already exists") ||
         (r.command == "createClient" && r.error == "Client already exists") ||
         (r.command == "addRoleACL" && r.error == "ACL with this topic already exists") ||
         (r.command == "deleteRole" && r.error == "Role not found") ||
         (r.command == "deleteClient" && r.error == "Client not found");
}

namespace {

std::vector<std::string> names_in(const nlohmann::json& roles) {
  std::vector<std::string> out;
  if (!roles.is_array()) return out;
  for (const auto& r : roles) {
    if (r.is_string()) {
      out.push_back(r.get<std::string>());
    } else if (r.is_object() && r.contains("rolename") && r["rolename"].is_string()) {
      out.push_back(r["rolename"].get<std::string>());
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> role_names(const nlohmann::json& data) {
  if (!data.is_object() || !data.contains("roles")) return {};
  return names_in(data["roles"]);
}

std::vector<std::string> client_roles(const nlohmann::json& data) {
  if (!data.is_object() || !data.contains("client") || !data["client"].is_object()) return {};
  const auto& c = data["client"];
  return c.contains("roles") ? names_in(c["roles"]) : std::vector<std::string>{};
}

std::vector<std::pair<std::string, std::string>> role_acls(const nlohmann::json& data) {
  std::vector<std::pair<std::string, std::string>> out;
  if (!data.is_object() || !data.contains("role") || !data["role"].is_object()) return out;
  const auto& role = data["role"];
  if (!role.contains("acls") || !role["acls"].is_array()) return out;
  for (const auto& a : role["acls"]) {
    if (!a.is_object() || !a.contains("acltype") || !a.contains("topic")) continue;
    if (!a["acltype"].is_string() || !a["topic"].is_string()) continue;
    out.emplace_back(a["acltype"].get<std::string>(), a["topic"].get<std::string>());
  }
  return out;
}

}  // namespace ml::server::broker_logins
