// The admin audit log as it may be shown (the API and `meterlogger-server audit`). The log is
// append-only, so what older versions wrote there stays: a command's password in the detail of
// a `command` entry, a password typed into the user-name field as the actor of a
// `login.failed` entry. Both are masked when shown; new entries never hold them
// (docs/server.md, "Audit").
#pragma once

#include <set>
#include <string>

#include "server/store.hpp"

namespace ml::server {

// The actor of a failed login whose name is no user.
inline constexpr const char* kUnknownUser = "(unknown)";

// The detail of a `command` entry: "#<id> <command>[ <argument, masked>]".
std::string command_audit_detail(std::int64_t id, const std::string& command,
                                 const std::string& argument);

// `entry` as it may be shown: a command's argument masked, a failed login's actor that is not
// one of `users` replaced by kUnknownUser.
AdminAuditEntry shown(AdminAuditEntry entry, const std::set<std::string>& users);

}  // namespace ml::server
