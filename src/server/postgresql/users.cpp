// PostgresStore: users, sessions and the admin audit log (store/users.hpp, store/audit.hpp). Roles
// are stored by their names (kRoles).
#include <nlohmann/json.hpp>

#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

namespace {

std::string users_join_groups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups)
    out += (out.empty() ? "" : "\n") + g;
  return out;
}

std::vector<std::string> users_split_groups(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto nl = text.find('\n', start);
    out.push_back(text.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  return out;
}

constexpr const char* kUsersColumns =
    "name, password_hash, role, groups, created, unlocked_at, email, phone";

// name, password_hash, role, groups, created, unlocked_at, email, phone
core::Result<User> users_read_user(const pg::Rows& rows, int i) {
  const std::string role = rows.text(i, 2);
  auto r = role_from_name(role);
  if (!r) {
    return core::make_error(core::Errc::invalid_argument,
                            "user " + rows.text(i, 0) + " has an unknown role \"" + role + "\"");
  }
  return User{rows.text(i, 0),
              rows.text(i, 1),
              *r,
              users_split_groups(rows.text(i, 3)),
              rows.int64(i, 4),
              rows.int64(i, 5),
              rows.text(i, 6),
              rows.text(i, 7)};
}

// id, time, actor, remote, action, serial, detail
std::vector<AdminAuditEntry> users_read_audit(const pg::Rows& rows) {
  std::vector<AdminAuditEntry> out;
  out.reserve(static_cast<std::size_t>(rows.size()));
  for (int i = 0; i < rows.size(); ++i) {
    out.push_back({rows.int64(i, 0), rows.int64(i, 1), rows.text(i, 2), rows.text(i, 3),
                   rows.text(i, 4), rows.text(i, 5), rows.text(i, 6)});
  }
  return out;
}

// SQLite reads a negative LIMIT as "no limit"; PostgreSQL refuses it (LIMIT NULL is none).
pg::Param users_limit(int limit) {
  return limit < 0 ? pg::Param(std::nullopt) : pg::Param(limit);
}

core::Status users_changed_one(const core::Result<pg::Rows>& r, const std::string& name) {
  if (!r) return r.error();
  if (r->affected() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

}  // namespace

core::Status PostgresStore::add_user(const User& u) {
  auto r = db_.query(
      "INSERT INTO users(name, password_hash, role, groups, created) VALUES($1, $2, $3, $4, $5) "
      "ON CONFLICT(name) DO NOTHING",
      {u.name, u.password_hash, role_name(u.role), users_join_groups(u.groups), u.created});
  if (!r) return r.error();
  if (r->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "user " + u.name + " exists already");
  }
  return core::Ok{};
}

core::Status PostgresStore::update_password_hash(const std::string& name, const std::string& hash) {
  return users_changed_one(
      db_.query("UPDATE users SET password_hash=$1 WHERE name=$2", {hash, name}), name);
}

core::Status PostgresStore::delete_user(const std::string& name) {
  return users_changed_one(db_.query("DELETE FROM users WHERE name=$1", {name}), name);
}

core::Status PostgresStore::update_user_access(const std::string& name, Role role,
                                               const std::vector<std::string>& groups) {
  return users_changed_one(db_.query("UPDATE users SET role=$1, groups=$2 WHERE name=$3",
                                     {role_name(role), users_join_groups(groups), name}),
                           name);
}

core::Result<std::vector<User>> PostgresStore::users() {
  auto rows =
      db_.query(std::string("SELECT ") + kUsersColumns + " FROM users ORDER BY name COLLATE \"C\"");
  if (!rows) return rows.error();
  std::vector<User> out;
  std::optional<core::Error> bad;
  for (int i = 0; i < rows->size(); ++i) {
    auto u = users_read_user(*rows, i);
    if (u) {
      out.push_back(std::move(u).value());
    } else if (!bad) {
      bad = u.error();
    }
  }
  if (bad) return *bad;
  return out;
}

core::Result<std::optional<User>> PostgresStore::user(const std::string& name) {
  auto rows =
      db_.query(std::string("SELECT ") + kUsersColumns + " FROM users WHERE name=$1", {name});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<User>{};
  auto u = users_read_user(*rows, 0);
  if (!u) return u.error();
  return std::optional<User>(std::move(u).value());
}

core::Status PostgresStore::unlock_user(const std::string& name, std::int64_t now) {
  return users_changed_one(db_.query("UPDATE users SET unlocked_at=$1 WHERE name=$2", {now, name}),
                           name);
}

core::Status PostgresStore::insert_session(const std::string& id_hash, const Session& s) {
  auto r = db_.query(
      "INSERT INTO sessions(id_hash, \"user\", csrf, created, expires, remote) "
      "VALUES($1, $2, $3, $4, $5, $6)",
      {id_hash, s.user, s.csrf, s.created, s.expires, s.remote});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::remove_sessions_of(const std::string& user) {
  auto r = db_.query("DELETE FROM sessions WHERE \"user\"=$1", {user});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::remove_expired_sessions(std::int64_t now) {
  auto r = db_.query("DELETE FROM sessions WHERE expires <= $1", {now});
  if (!r) return r.error();
  return core::Ok{};
}

core::Result<std::optional<Session>> PostgresStore::session(const std::string& id_hash) {
  auto rows = db_.query(
      "SELECT \"user\", csrf, created, expires, remote FROM sessions WHERE id_hash=$1", {id_hash});
  if (!rows) return rows.error();
  std::optional<Session> out;
  if (!rows->empty()) {
    out = Session{rows->text(0, 0), rows->text(0, 1), rows->int64(0, 2), rows->int64(0, 3),
                  rows->text(0, 4)};
  }
  return out;
}

core::Status PostgresStore::remove_session(const std::string& id_hash) {
  auto r = db_.query("DELETE FROM sessions WHERE id_hash=$1", {id_hash});
  if (!r) return r.error();
  return core::Ok{};
}

core::Status PostgresStore::audit_admin(const AdminAuditEntry& e) {
  auto r = db_.query(
      "INSERT INTO admin_audit(time, actor, remote, action, serial, detail) "
      "VALUES($1, $2, $3, $4, $5, $6)",
      {e.time, e.actor, e.remote, e.action, e.serial, e.detail});
  if (!r) return r.error();
  return core::Ok{};
}

core::Result<std::vector<AdminAuditEntry>> PostgresStore::admin_audit(const std::string& serial,
                                                                      int limit) {
  auto rows = db_.query(
      "SELECT id, time, actor, remote, action, serial, detail FROM admin_audit "
      "WHERE $1::text='' OR serial=$1::text ORDER BY id DESC LIMIT $2",
      {serial, users_limit(limit)});
  if (!rows) return rows.error();
  return users_read_audit(*rows);
}

core::Result<std::vector<AdminAuditEntry>> PostgresStore::admin_audit_scoped(
    const AuditScope& scope, int limit) {
  auto rows = db_.query(
      "SELECT id, time, actor, remote, action, serial, detail FROM admin_audit "
      "WHERE ($1::text='' OR serial=$1::text) AND ($2::text='' OR actor=$2::text) "
      "AND ($3::bigint=0 OR id<$3::bigint) AND ($4::bigint=1 OR "
      "  (serial<>'' AND serial IN (SELECT serial FROM meters "
      "                             WHERE grp IN (SELECT jsonb_array_elements_text($5::jsonb)))) "
      "  OR (serial='' AND actor=$6::text)) "
      "ORDER BY id DESC LIMIT $7",
      {scope.serial, scope.by, scope.before, scope.every_group, nlohmann::json(scope.groups).dump(),
       scope.actor, users_limit(limit)});
  if (!rows) return rows.error();
  return users_read_audit(*rows);
}

// ---- second factor ----

core::Result<std::optional<SecondFactor>> PostgresStore::second_factor(const std::string& user) {
  auto rows = db_.query(
      "SELECT secret, confirmed, last_step, created FROM user_totp WHERE \"user\"=$1", {user});
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<SecondFactor>{};
  return std::optional<SecondFactor>(
      SecondFactor{rows->text(0, 0), rows->int64(0, 1) != 0, rows->int64(0, 2), rows->int64(0, 3)});
}

core::Status PostgresStore::put_second_factor(const std::string& user, const SecondFactor& f,
                                              const std::vector<std::string>& recovery_hashes) {
  auto exists = this->user(user);
  if (!exists) return exists.error();
  if (!*exists) return core::make_error(core::Errc::invalid_argument, "no user " + user);
  ML_TRY(delete_second_factor(user));
  auto r = db_.query(
      "INSERT INTO user_totp(\"user\", secret, confirmed, last_step, created) "
      "VALUES($1, $2, $3, $4, $5)",
      {user, f.secret, std::int64_t{f.confirmed ? 1 : 0}, f.last_step, f.created});
  if (!r) return r.error();
  for (const auto& hash : recovery_hashes) {
    auto c =
        db_.query("INSERT INTO user_recovery_codes(\"user\", hash) VALUES($1, $2)", {user, hash});
    if (!c) return c.error();
  }
  return core::Ok{};
}

core::Result<bool> PostgresStore::use_second_factor_step(const std::string& user,
                                                         std::int64_t step) {
  auto r = db_.query(
      "UPDATE user_totp SET last_step=$1, confirmed=1 WHERE \"user\"=$2 AND last_step < $1",
      {step, user});
  if (!r) return r.error();
  return r->affected() == 1;
}

core::Result<bool> PostgresStore::use_recovery_code(const std::string& user,
                                                    const std::string& hash) {
  auto r = db_.query("DELETE FROM user_recovery_codes WHERE \"user\"=$1 AND hash=$2", {user, hash});
  if (!r) return r.error();
  return r->affected() == 1;
}

core::Result<std::int64_t> PostgresStore::recovery_codes_left(const std::string& user) {
  auto rows = db_.query("SELECT COUNT(*) FROM user_recovery_codes WHERE \"user\"=$1", {user});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

core::Status PostgresStore::delete_second_factor(const std::string& user) {
  for (const char* sql : {"DELETE FROM user_recovery_codes WHERE \"user\"=$1",
                          "DELETE FROM user_totp WHERE \"user\"=$1"}) {
    auto r = db_.query(sql, {user});
    if (!r) return r.error();
  }
  return core::Ok{};
}

}  // namespace ml::server
