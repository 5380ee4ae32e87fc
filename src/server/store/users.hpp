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

// A logged-in browser: stored under the SHA-256 of its cookie's token, never the token itself.
struct Session {
  std::string user;
  std::string csrf;
  std::int64_t created = 0;
  std::int64_t expires = 0;
  std::string remote;
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
};

}  // namespace ml::server
