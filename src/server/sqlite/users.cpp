// SqliteStore: users, sessions and the admin audit log (store/users.hpp, store/audit.hpp). Roles
// are stored by their names (kRoles).
#include <nlohmann/json.hpp>

#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

// ---- users, sessions, the admin audit log ----

namespace {
std::string join_groups(const std::vector<std::string>& groups) {
  std::string out;
  for (const auto& g : groups)
    out += (out.empty() ? "" : "\n") + g;
  return out;
}
std::vector<std::string> split_groups(const std::string& text) {
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

// name, password_hash, role, groups, created, unlocked_at, email, phone
core::Result<User> read_user(const sq::Statement& q) {
  const std::string role = q.text(2);
  auto r = role_from_name(role);
  if (!r) {
    return core::make_error(core::Errc::invalid_argument,
                            "user " + q.text(0) + " has an unknown role \"" + role + "\"");
  }
  return User{q.text(0),  q.text(1),  *r,        split_groups(q.text(3)),
              q.int64(4), q.int64(5), q.text(6), q.text(7)};
}

}  // namespace

core::Status SqliteStore::add_user(const User& u) {
  auto q = db_.prepare(
      "INSERT INTO users(name, password_hash, role, groups, created) VALUES(?,?,?,?,?) "
      "ON CONFLICT(name) DO NOTHING");
  if (!q) return q.error();
  ML_TRY(q->bind(1, u.name)
             .bind(2, u.password_hash)
             .bind(3, role_name(u.role))
             .bind(4, join_groups(u.groups))
             .bind(5, u.created)
             .run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "user " + u.name + " exists already");
  }
  return core::Ok{};
}

core::Status SqliteStore::update_password_hash(const std::string& name, const std::string& hash) {
  auto q = db_.prepare("UPDATE users SET password_hash=? WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, hash).bind(2, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Status SqliteStore::delete_user(const std::string& name) {
  auto q = db_.prepare("DELETE FROM users WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Status SqliteStore::update_user_access(const std::string& name, Role role,
                                             const std::vector<std::string>& groups) {
  auto q = db_.prepare("UPDATE users SET role=?, groups=? WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, role_name(role)).bind(2, join_groups(groups)).bind(3, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Result<std::vector<User>> SqliteStore::users() {
  auto q = db_.prepare(
      "SELECT name, password_hash, role, groups, created, unlocked_at, email, phone FROM users "
      "ORDER BY name");
  if (!q) return q.error();
  std::vector<User> out;
  std::optional<core::Error> bad;
  ML_TRY(each_row(*q, [&] {
    auto u = read_user(*q);
    if (u) {
      out.push_back(std::move(u).value());
    } else if (!bad) {
      bad = u.error();
    }
  }));
  if (bad) return *bad;
  return out;
}

core::Result<std::optional<User>> SqliteStore::user(const std::string& name) {
  auto q = db_.prepare(
      "SELECT name, password_hash, role, groups, created, unlocked_at, email, phone FROM users "
      "WHERE name=?");
  if (!q) return q.error();
  q->bind(1, name);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<User>{};
  auto u = read_user(*q);
  if (!u) return u.error();
  return std::optional<User>(std::move(u).value());
}

core::Status SqliteStore::unlock_user(const std::string& name, std::int64_t now) {
  auto q = db_.prepare("UPDATE users SET unlocked_at=? WHERE name=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, now).bind(2, name).run());
  if (db_.changes() == 0) return core::make_error(core::Errc::invalid_argument, "no user " + name);
  return core::Ok{};
}

core::Status SqliteStore::insert_session(const std::string& id_hash, const Session& s) {
  auto q = db_.prepare(
      "INSERT INTO sessions(id_hash, user, csrf, created, expires, remote) VALUES(?,?,?,?,?,?)");
  if (!q) return q.error();
  return q->bind(1, id_hash)
      .bind(2, s.user)
      .bind(3, s.csrf)
      .bind(4, s.created)
      .bind(5, s.expires)
      .bind(6, s.remote)
      .run();
}

core::Status SqliteStore::remove_sessions_of(const std::string& user) {
  auto q = db_.prepare("DELETE FROM sessions WHERE user=?");
  if (!q) return q.error();
  return q->bind(1, user).run();
}

core::Status SqliteStore::remove_expired_sessions(std::int64_t now) {
  auto q = db_.prepare("DELETE FROM sessions WHERE expires <= ?");
  if (!q) return q.error();
  return q->bind(1, now).run();
}

core::Result<std::optional<Session>> SqliteStore::session(const std::string& id_hash) {
  auto q = cached("SELECT user, csrf, created, expires, remote FROM sessions WHERE id_hash=?");
  if (!q) return q.error();
  (*q)->bind(1, id_hash);
  auto row = (*q)->step();
  if (!row) return row.error();
  std::optional<Session> out;
  if (*row) {
    out = Session{(*q)->text(0), (*q)->text(1), (*q)->int64(2), (*q)->int64(3), (*q)->text(4)};
  }
  (*q)->reset();
  return out;
}

core::Status SqliteStore::remove_session(const std::string& id_hash) {
  auto q = db_.prepare("DELETE FROM sessions WHERE id_hash=?");
  if (!q) return q.error();
  return q->bind(1, id_hash).run();
}

core::Status SqliteStore::audit_admin(const AdminAuditEntry& e) {
  auto q = db_.prepare(
      "INSERT INTO admin_audit(time, actor, remote, action, serial, detail) VALUES(?,?,?,?,?,?)");
  if (!q) return q.error();
  return q->bind(1, e.time)
      .bind(2, e.actor)
      .bind(3, e.remote)
      .bind(4, e.action)
      .bind(5, e.serial)
      .bind(6, e.detail)
      .run();
}

core::Result<std::vector<AdminAuditEntry>> SqliteStore::admin_audit(const std::string& serial,
                                                                    int limit) {
  auto q = db_.prepare(
      "SELECT id, time, actor, remote, action, serial, detail FROM admin_audit "
      "WHERE ?='' OR serial=? ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, serial).bind(2, serial).bind(3, std::int64_t{limit});
  std::vector<AdminAuditEntry> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(
        {q->int64(0), q->int64(1), q->text(2), q->text(3), q->text(4), q->text(5), q->text(6)});
  }));
  return out;
}

core::Result<std::vector<AdminAuditEntry>> SqliteStore::admin_audit_scoped(const AuditScope& scope,
                                                                           int limit) {
  auto q = db_.prepare(
      "SELECT id, time, actor, remote, action, serial, detail FROM admin_audit "
      "WHERE (?='' OR serial=?) AND (?='' OR actor=?) AND (?=0 OR id<?) AND (?=1 OR "
      "  (serial<>'' AND serial IN (SELECT serial FROM meters "
      "                             WHERE grp IN (SELECT value FROM json_each(?)))) "
      "  OR (serial='' AND actor=?)) "
      "ORDER BY id DESC LIMIT ?");
  if (!q) return q.error();
  q->bind(1, scope.serial)
      .bind(2, scope.serial)
      .bind(3, scope.by)
      .bind(4, scope.by)
      .bind(5, scope.before)
      .bind(6, scope.before)
      .bind(7, std::int64_t{scope.every_group ? 1 : 0})
      .bind(8, nlohmann::json(scope.groups).dump())
      .bind(9, scope.actor)
      .bind(10, std::int64_t{limit});
  std::vector<AdminAuditEntry> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(
        {q->int64(0), q->int64(1), q->text(2), q->text(3), q->text(4), q->text(5), q->text(6)});
  }));
  return out;
}

// ---- second factor ----

core::Result<std::optional<SecondFactor>> SqliteStore::second_factor(const std::string& user) {
  auto q = db_.prepare("SELECT secret, confirmed, last_step, created FROM user_totp WHERE user=?");
  if (!q) return q.error();
  q->bind(1, user);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<SecondFactor>{};
  return std::optional<SecondFactor>(
      SecondFactor{q->text(0), q->int64(1) != 0, q->int64(2), q->int64(3)});
}

core::Status SqliteStore::put_second_factor(const std::string& user, const SecondFactor& f,
                                            const std::vector<std::string>& recovery_hashes) {
  auto exists = this->user(user);
  if (!exists) return exists.error();
  if (!*exists) return core::make_error(core::Errc::invalid_argument, "no user " + user);
  ML_TRY(delete_second_factor(user));
  auto q = db_.prepare(
      "INSERT INTO user_totp(user, secret, confirmed, last_step, created) VALUES(?,?,?,?,?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, user)
             .bind(2, f.secret)
             .bind(3, std::int64_t{f.confirmed ? 1 : 0})
             .bind(4, f.last_step)
             .bind(5, f.created)
             .run());
  for (const auto& hash : recovery_hashes) {
    auto r = db_.prepare("INSERT INTO user_recovery_codes(user, hash) VALUES(?,?)");
    if (!r) return r.error();
    ML_TRY(r->bind(1, user).bind(2, hash).run());
  }
  return core::Ok{};
}

core::Result<bool> SqliteStore::use_second_factor_step(const std::string& user, std::int64_t step) {
  auto q =
      db_.prepare("UPDATE user_totp SET last_step=?, confirmed=1 WHERE user=? AND last_step < ?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, step).bind(2, user).bind(3, step).run());
  return db_.changes() == 1;
}

core::Result<bool> SqliteStore::use_recovery_code(const std::string& user,
                                                  const std::string& hash) {
  auto q = db_.prepare("DELETE FROM user_recovery_codes WHERE user=? AND hash=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, user).bind(2, hash).run());
  return db_.changes() == 1;
}

core::Result<std::int64_t> SqliteStore::recovery_codes_left(const std::string& user) {
  auto q = db_.prepare("SELECT COUNT(*) FROM user_recovery_codes WHERE user=?");
  if (!q) return q.error();
  q->bind(1, user);
  auto row = q->step();
  if (!row) return row.error();
  return q->int64(0);
}

core::Status SqliteStore::delete_second_factor(const std::string& user) {
  for (const char* sql :
       {"DELETE FROM user_recovery_codes WHERE user=?", "DELETE FROM user_totp WHERE user=?"}) {
    auto q = db_.prepare(sql);
    if (!q) return q.error();
    ML_TRY(q->bind(1, user).run());
  }
  return core::Ok{};
}

}  // namespace ml::server
