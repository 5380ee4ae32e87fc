// The dashboard's users and their sessions: a focused part of the server's store
// (server/store.hpp). A backend only persists them and reads them back; the rules (a new
// password ends the user's sessions, removing a user removes its sessions, adding a session
// forgets the expired ones) are backend-neutral, in server/users.hpp. Who may do what is decided
// by the use cases and the API.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server {

// What a user may do: an admin changes the meters of its groups, a viewer only looks.
enum class Role : std::uint8_t { admin, viewer };

struct RoleInfo {
  Role role;
  std::string_view name;  // as stored, typed (--role, "role") and shown
};
inline constexpr std::array<RoleInfo, 2> kRoles{{
    {Role::admin, "admin"},
    {Role::viewer, "viewer"},
}};

constexpr std::string_view role_name(Role role) {
  for (const auto& row : kRoles)
    if (row.role == role) return row.name;
  return "?";
}
constexpr std::optional<Role> role_from_name(std::string_view name) {
  for (const auto& row : kRoles)
    if (row.name == name) return row.role;
  return std::nullopt;
}

// A person using the dashboard; an admin may change the meters of `groups` ("*": every group).
struct User {
  std::string name;
  std::string password_hash;  // Argon2id string
  Role role = Role::viewer;
  std::vector<std::string> groups;
  std::int64_t created = 0;
  std::int64_t unlocked_at = 0;  // `users unlock`: failed logins until then no longer count
  // Where the group's operator messages go: optional; written by set_user_contact
  // (store/notifications.hpp).
  std::string email{};
  std::string phone{};
};

// Whether `user` is an admin of every group ("*"): the global role, which sees the whole audit
// log.
inline bool is_global_admin(const User& user) {
  if (user.role != Role::admin) return false;
  for (const auto& g : user.groups)
    if (g == "*") return true;
  return false;
}

// Who must log in with a second factor ([http] second_factor; docs/security.md): nobody, the
// global admins (the default), or every admin. Anyone may choose to have one.
enum class SecondFactorRule : std::uint8_t { off, global_admin, admins };

struct SecondFactorRuleInfo {
  SecondFactorRule rule;
  std::string_view name;  // as configured
};
inline constexpr std::array<SecondFactorRuleInfo, 3> kSecondFactorRules{{
    {SecondFactorRule::off, "off"},
    {SecondFactorRule::global_admin, "global-admin"},
    {SecondFactorRule::admins, "admins"},
}};

constexpr std::string_view second_factor_rule_name(SecondFactorRule rule) {
  for (const auto& row : kSecondFactorRules)
    if (row.rule == rule) return row.name;
  return "?";
}

inline bool second_factor_required(SecondFactorRule rule, const User& user) {
  switch (rule) {
    case SecondFactorRule::off:
      return false;
    case SecondFactorRule::global_admin:
      return is_global_admin(user);
    case SecondFactorRule::admins:
      return user.role == Role::admin;
  }
  return true;
}

// A logged-in browser: stored under the SHA-256 of its cookie's token, never the token itself.
struct Session {
  std::string user;
  std::string csrf;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::string remote;
};

// A user's second factor at login (docs/security.md, "Second factor"): a TOTP secret shared
// with an authenticator app (core/totp.hpp). Begun unconfirmed; confirmed by the first code the
// app shows, and only then asked for at login. A code is accepted once: `last_step` is the time
// step of the last one accepted. Its recovery codes are kept apart, one row each, as SHA-256
// hashes of their normalised text (core::totp::normalize_recovery_code).
struct SecondFactor {
  std::string secret;  // Base32 (RFC 4648), as the app was given it
  bool confirmed = false;
  std::int64_t last_step = -1;  // core::totp::kNoStepUsed
  std::int64_t created = 0;
};

class UserStore {
 public:
  virtual ~UserStore() = default;
  virtual core::Status add_user(const User& user) = 0;  // Errc::invalid_argument if it exists
  // Errc::invalid_argument when there is no such user (for these three).
  virtual core::Status update_password_hash(const std::string& name, const std::string& hash) = 0;
  virtual core::Status delete_user(const std::string& name) = 0;
  // Sets the user's role and groups (the dashboard's "change role"; docs/api.md).
  virtual core::Status update_user_access(const std::string& name, Role role,
                                          const std::vector<std::string>& groups) = 0;
  // Sets the user's unlocked_at.
  virtual core::Status unlock_user(const std::string& name, std::int64_t now) = 0;
  virtual core::Result<std::optional<User>> user(const std::string& name) = 0;
  virtual core::Result<std::vector<User>> users() = 0;
  virtual core::Status insert_session(const std::string& id_hash, const Session& session) = 0;
  virtual core::Result<std::optional<Session>> session(const std::string& id_hash) = 0;
  virtual core::Status remove_session(const std::string& id_hash) = 0;
  // Removes every session of `user`.
  virtual core::Status remove_sessions_of(const std::string& user) = 0;
  // Removes the sessions that have expired by `now` (expires <= now).
  virtual core::Status remove_expired_sessions(std::int64_t now) = 0;

  // The user's second factor (none: nullopt). put replaces it and its recovery codes (a new
  // enrolment begins afresh); Errc::invalid_argument when there is no such user.
  virtual core::Result<std::optional<SecondFactor>> second_factor(const std::string& user) = 0;
  virtual core::Status put_second_factor(const std::string& user, const SecondFactor& factor,
                                         const std::vector<std::string>& recovery_hashes) = 0;
  // Records `step` as the last accepted code's, and the factor as confirmed, when `step` is
  // later than the last one recorded: true. False when it is not (the code was used already,
  // perhaps by a login in parallel) or the user has no second factor. One statement: two
  // logins with one code cannot both succeed.
  virtual core::Result<bool> use_second_factor_step(const std::string& user, std::int64_t step) = 0;
  // Removes the recovery code with this hash: true; false when the user has none such (a
  // wrong or used code). One statement, like use_second_factor_step.
  virtual core::Result<bool> use_recovery_code(const std::string& user,
                                               const std::string& hash) = 0;
  virtual core::Result<std::int64_t> recovery_codes_left(const std::string& user) = 0;
  // Removes the user's second factor and recovery codes (none: Ok).
  virtual core::Status delete_second_factor(const std::string& user) = 0;
};

}  // namespace ml::server
