// The append-only log of what users changed (the dashboard and `users`): a focused part of the
// server's store (server/store.hpp). How an entry may be shown is in server/audit.hpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace ml::server {

struct AdminAuditEntry {
  std::int64_t id = 0;
  std::int64_t time = 0;
  std::string actor;
  std::string remote;  // the client's address; "cli" for the command line
  std::string action;  // login, logout, meter.add, payment.add, command, user.add, ...
  std::string serial;
  std::string detail;
};

// Which entries of the admin audit log a reader may see (docs/api.md, GET /api/audit): an
// admin of every group ("*") sees all of them; an admin of some groups the entries of the
// meters now in those groups, and its own entries that name no meter (its logins, ...).
struct AuditScope {
  std::string serial;  // only this meter's entries; "" for all
  bool every_group = false;
  std::vector<std::string> groups;
  std::string actor;
  std::string by;           // only the entries of this actor; "" for every actor
  std::int64_t before = 0;  // only the entries with an id below this (paging); 0 for all
};

class AuditStore {
 public:
  virtual ~AuditStore() = default;
  virtual core::Status audit_admin(const AdminAuditEntry& entry) = 0;
  // Newest first; every serial when `serial` is empty.
  virtual core::Result<std::vector<AdminAuditEntry>> admin_audit(const std::string& serial,
                                                                 int limit) = 0;
  // Newest first, what `scope` may see.
  virtual core::Result<std::vector<AdminAuditEntry>> admin_audit_scoped(const AuditScope& scope,
                                                                        int limit) = 0;
};

}  // namespace ml::server
