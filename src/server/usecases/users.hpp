// The dashboard users' use cases (docs/server.md, "Users"): add, new password, remove, unlock.
// `meterlogger-server users` is their front door today. Each records what it changed in the
// admin audit log under the acting user and the address it came from ("cli" for the command
// line).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "core/result.hpp"
#include "server/store.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {

// Who makes a change, for the admin audit log.
struct Actor {
  std::string name;
  std::string remote;  // the client's address; "cli" for the command line
};

// A new password in clear text, asked for only once the request is checked (a prompt, a file).
using PasswordSource = std::function<core::Result<std::string>()>;

// The Argon2id hash of a new password: Errc::invalid_argument when it has fewer than 8
// characters.
core::Result<std::string> hash_new_password(const std::string& password);

struct AddUser {
  std::string name;  // 1..64 characters, not beginning with "(" (audit.hpp, kUnknownUser)
  std::string role = "viewer";  // admin | viewer
  std::string groups;           // comma-separated; admins need one ("*": every group)
  Spelling spelling = Spelling::json;
};
// Checks the request, that the name is free, then asks `password` and stores the user.
core::Status add_user(ServerStore& store, const AddUser& request, const PasswordSource& password,
                      const Actor& actor, std::int64_t now);
// A new password ends the user's sessions; "no user <name>" when there is none.
core::Status set_password(ServerStore& store, const std::string& name,
                          const PasswordSource& password, const Actor& actor, std::int64_t now);
// A new role and groups for a user (checked as add_user checks them); the password and the
// sessions stay: the next request is answered with the new role.
struct ChangeAccess {
  std::string name;
  std::string role;
  std::string groups;  // comma-separated
  Spelling spelling = Spelling::json;
};
core::Status change_access(ServerStore& store, const ChangeAccess& request, const Actor& actor,
                           std::int64_t now);
// A password made for a user by the dashboard (shown once to the admin who asked): 20 letters
// and digits from the operating system's randomness, without look-alikes (0/O, 1/l/I).
core::Result<std::string> generate_password();
// Removes the user and its sessions.
core::Status remove_user(ServerStore& store, const std::string& name, const Actor& actor,
                         std::int64_t now);
// Failed logins before `now` no longer count ("no user" from the store when there is none).
core::Status unlock_user(ServerStore& store, const std::string& name, const Actor& actor,
                         std::int64_t now);

}  // namespace ml::server::usecase
