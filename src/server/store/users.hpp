// The dashboard's users and their sessions: a focused part of the server's store
// (server/store.hpp). Who may do what is decided by the use cases and the API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace ml::server {

// A person using the dashboard. role: admin | viewer; an admin may change the meters of
// `groups` ("*": every group).
struct User {
  std::string name;
  std::string password_hash;  // Argon2id string
  std::string role = "viewer";
  std::vector<std::string> groups;
  std::int64_t created = 0;
  std::int64_t unlocked_at = 0;  // `users unlock`: failed logins until then no longer count
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
  // A new password ends the user's sessions.
  virtual core::Status set_password(const std::string& name, const std::string& hash) = 0;
  virtual core::Status remove_user(const std::string& name) = 0;  // and its sessions
  virtual core::Result<std::optional<User>> user(const std::string& name) = 0;
  virtual core::Result<std::vector<User>> users() = 0;
  // Sets the user's unlocked_at; Errc::invalid_argument when there is no such user.
  virtual core::Status unlock_user(const std::string& name, std::int64_t now) = 0;
  // Also forgets the sessions that have expired by `session.created`.
  virtual core::Status add_session(const std::string& id_hash, const Session& session) = 0;
  virtual core::Result<std::optional<Session>> session(const std::string& id_hash) = 0;
  virtual core::Status remove_session(const std::string& id_hash) = 0;
};

}  // namespace ml::server
