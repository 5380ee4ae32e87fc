// The dashboard users' use cases (users.hpp).
#include "server/usecases/users.hpp"

#include <sstream>

#include "password/password.hpp"
#include "platform/crypto/random.hpp"
#include "server/usecases/spelling.hpp"
#include "server/users.hpp"

namespace ml::server::usecase {
namespace {

core::Status audit(ServerStore& store, const Actor& actor, std::int64_t now,
                   const std::string& action, const std::string& detail) {
  return store.audit_admin({0, now, actor.name, actor.remote, action, "", detail});
}

core::Result<std::string> new_hash(const PasswordSource& password) {
  auto clear = password();
  if (!clear) return clear.error();
  return hash_new_password(*clear);
}

// The role and groups of a request, checked: an admin needs groups, a viewer has none.
core::Status parse_access(const std::string& role_text, const std::string& groups, Spelling s,
                          User& u) {
  const auto role = role_from_name(role_text);
  if (!role) return invalid(field("role", s) + " must be admin or viewer");
  u.role = *role;
  u.groups.clear();
  std::stringstream list(groups);
  for (std::string g; std::getline(list, g, ',');) {
    while (!g.empty() && g.front() == ' ')
      g.erase(g.begin());
    while (!g.empty() && g.back() == ' ')
      g.pop_back();
    if (g.size() > 100) return invalid("a group name has at most 100 characters");
    if (!g.empty()) u.groups.push_back(g);
  }
  if (u.role == Role::admin && u.groups.empty()) {
    return invalid("an admin needs " + field("groups", s) +
                   ": the meter groups it may change (\"*\" for every group)");
  }
  if (u.role == Role::viewer && !u.groups.empty()) {
    return invalid(field("groups", s) + " is for admins only");
  }
  return core::Ok{};
}

}  // namespace

core::Result<std::string> generate_password() {
  static constexpr std::string_view kAlphabet =
      "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  // Bytes at or above the last whole multiple of the alphabet's size are skipped: no letter is
  // likelier than another.
  const std::size_t limit = 256 - 256 % kAlphabet.size();
  std::string out;
  while (out.size() < 20) {
    auto bytes = platform::random_bytes(32);
    if (!bytes) return bytes.error();
    for (auto b : *bytes) {
      if (static_cast<std::size_t>(b) < limit && out.size() < 20)
        out += kAlphabet[static_cast<std::size_t>(b) % kAlphabet.size()];
    }
  }
  return out;
}

core::Status change_access(ServerStore& store, const ChangeAccess& request, const Actor& actor,
                           std::int64_t now) {
  User u;
  ML_TRY(parse_access(request.role, request.groups, request.spelling, u));
  auto existing = store.user(request.name);
  if (!existing) return existing.error();
  if (!*existing) return invalid("no user " + request.name);
  ML_TRY(store.update_user_access(request.name, u.role, u.groups));
  std::string groups;
  for (const auto& g : u.groups)
    groups += (groups.empty() ? "" : ",") + g;
  return audit(store, actor, now, "user.access",
               request.name + " " + std::string(role_name(u.role)) + " " + groups);
}

core::Result<std::string> hash_new_password(const std::string& password) {
  if (password.size() < 8) return invalid("the password must have at least 8 characters");
  std::string hash;
  if (!password::hash_password(password, &hash)) {
    return core::make_error(core::Errc::invalid_argument, hash);
  }
  return hash;
}

core::Status add_user(ServerStore& store, const AddUser& request, const PasswordSource& password,
                      const Actor& actor, std::int64_t now) {
  const Spelling s = request.spelling;
  if (request.name.empty() || request.name.size() > 64) {
    return invalid("the user name must have 1..64 characters");
  }
  // "(unknown)" in the audit log is a failed login with a name that is no user.
  if (request.name.front() == '(') return invalid("a user name must not begin with \"(\"");
  User u;
  u.name = request.name;
  ML_TRY(parse_access(request.role, request.groups, s, u));
  auto existing = store.user(u.name);
  if (!existing) return existing.error();
  if (*existing) return invalid("user " + u.name + " exists already");
  auto hash = new_hash(password);
  if (!hash) return hash.error();
  u.password_hash = std::move(hash).value();
  u.created = now;
  ML_TRY(store.add_user(u));
  return audit(store, actor, now, "user.add",
               u.name + " " + std::string(role_name(u.role)) + " " + request.groups);
}

core::Status set_password(ServerStore& store, const std::string& name,
                          const PasswordSource& password, const Actor& actor, std::int64_t now) {
  auto existing = store.user(name);
  if (!existing) return existing.error();
  if (!*existing) return invalid("no user " + name);
  auto hash = new_hash(password);
  if (!hash) return hash.error();
  ML_TRY(server::set_password(store, name, *hash));
  return audit(store, actor, now, "user.passwd", name);
}

core::Status remove_user(ServerStore& store, const std::string& name, const Actor& actor,
                         std::int64_t now) {
  ML_TRY(server::remove_user(store, name));
  return audit(store, actor, now, "user.remove", name);
}

core::Status unlock_user(ServerStore& store, const std::string& name, const Actor& actor,
                         std::int64_t now) {
  ML_TRY(store.unlock_user(name, now));
  return audit(store, actor, now, "user.unlock", name);
}

}  // namespace ml::server::usecase
