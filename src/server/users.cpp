// The rules of users and sessions over any backend (users.hpp).
#include "server/users.hpp"

namespace ml::server {

core::Status set_password(ServerStore& store, const std::string& name, const std::string& hash) {
  return store.write_transaction([&]() -> core::Status {
    ML_TRY(store.update_password_hash(name, hash));
    return store.remove_sessions_of(name);
  });
}

core::Status remove_user(ServerStore& store, const std::string& name) {
  return store.write_transaction([&]() -> core::Status {
    ML_TRY(store.remove_sessions_of(name));
    ML_TRY(store.delete_second_factor(name));
    return store.delete_user(name);
  });
}

core::Status add_session(ServerStore& store, const std::string& id_hash, const Session& session) {
  return store.write_transaction([&]() -> core::Status {
    ML_TRY(store.remove_expired_sessions(session.created));
    return store.insert_session(id_hash, session);
  });
}

}  // namespace ml::server
