// `meterlogger-server audit`: what users changed (the admin audit log, masked as server/audit.hpp
// says).
#include <iostream>
#include <set>

#include "common.hpp"
#include "server/audit.hpp"

namespace ml::server_app {
namespace {

void audit_list(const std::string& config_path, const std::string& serial, int limit) {
  auto store = open_store(config_from(config_path));
  std::set<std::string> users;
  for (const auto& u : ok(store->users()))
    users.insert(u.name);
  for (const auto& entry : ok(store->admin_audit(serial, limit))) {
    const auto e = server::shown(entry, users);
    std::cout << utc(e.time) << " " << e.actor << "@" << e.remote << " " << e.action
              << (e.serial.empty() ? "" : " " + e.serial)
              << (e.detail.empty() ? "" : ": " + e.detail) << "\n";
  }
}

}  // namespace

void add_audit_command(CLI::App& app, const std::string& config) {
  struct AuditArgs {
    std::string serial;
    int limit = 100;
  };
  auto a = std::make_shared<AuditArgs>();
  auto* audit_cmd = app.add_subcommand("audit", "What users changed: logins, payments, commands");
  as_serial(audit_cmd->add_option("--serial", a->serial, "only this meter's entries"));
  audit_cmd->add_option("--limit", a->limit, "newest entries shown")->capture_default_str();
  audit_cmd->footer("Example:\n  meterlogger-server audit --serial 6892850");
  audit_cmd->callback([=, &config] { audit_list(config, a->serial, a->limit); });
}

}  // namespace ml::server_app
