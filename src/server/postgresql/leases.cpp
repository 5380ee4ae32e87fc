// PostgresStore: leases (store/leases.hpp). The upsert is one statement: two workers taking an
// expired lease at once serialise on its row, and only one of them finds it still expired.
#include "server/postgresql/store.hpp"

namespace ml::server {

core::Result<bool> PostgresStore::take_lease(const std::string& name, const std::string& holder,
                                             std::int64_t now, std::int64_t ttl_s) {
  auto r = db_.query(
      "INSERT INTO leases(name, holder, expires) VALUES($1, $2, $3) ON CONFLICT(name) DO UPDATE "
      "SET holder = excluded.holder, expires = excluded.expires "
      "WHERE leases.holder = excluded.holder OR leases.expires <= $4::bigint",
      {name, holder, now + ttl_s, now});
  if (!r) return r.error();
  return r->affected() > 0;
}

core::Status PostgresStore::release_lease(const std::string& name, const std::string& holder) {
  auto r = db_.query("DELETE FROM leases WHERE name = $1 AND holder = $2", {name, holder});
  if (!r) return r.error();
  return core::Ok{};
}

core::Result<Lease> PostgresStore::lease(const std::string& name) {
  auto r = db_.query("SELECT holder, expires FROM leases WHERE name = $1", {name});
  if (!r) return r.error();
  if (r->empty()) return Lease{};
  return Lease{r->text(0, 0), r->int64(0, 1)};
}

}  // namespace ml::server
