#include "server/audit.hpp"

#include "core/topic/names.hpp"

namespace ml::server {

std::string command_audit_detail(std::int64_t id, const std::string& command,
                                 const std::string& argument) {
  const std::string shown_argument = core::topic::masked_argument(command, argument);
  return "#" + std::to_string(id) + " " + command +
         (shown_argument.empty() ? "" : " " + shown_argument);
}

AdminAuditEntry shown(AdminAuditEntry e, const std::set<std::string>& users) {
  if (e.action == "command" && e.detail.rfind('#', 0) == 0) {
    const auto space = e.detail.find(' ');
    if (space != std::string::npos) {
      const auto rest = e.detail.substr(space + 1);
      const auto gap = rest.find(' ');
      if (gap != std::string::npos) {
        const auto command = rest.substr(0, gap);
        e.detail = e.detail.substr(0, space + 1) + command + " " +
                   core::topic::masked_argument(command, rest.substr(gap + 1));
      }
    }
  }
  if (e.action == "login.failed" && users.count(e.actor) == 0) e.actor = kUnknownUser;
  return e;
}

}  // namespace ml::server
