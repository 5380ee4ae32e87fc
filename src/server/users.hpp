// The rules of users and sessions over any backend (docs/server.md, "Users"): the store
// (store/users.hpp) only persists them; what a change to a user does to its sessions is decided
// here, once, for every backend. Each function is one transaction.
#pragma once

#include <cstdint>
#include <string>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

// A new password (its hash) ends the user's sessions; "no user <name>" (Errc::invalid_argument)
// when there is none.
core::Status set_password(ServerStore& store, const std::string& name, const std::string& hash);

// Removes the user, its sessions and its second factor; "no user <name>" when there is none.
core::Status remove_user(ServerStore& store, const std::string& name);

// Stores a new session, and forgets the sessions that have expired by `session.created`.
core::Status add_session(ServerStore& store, const std::string& id_hash, const Session& session);

}  // namespace ml::server
