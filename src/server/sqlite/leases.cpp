// SqliteStore: leases (store/leases.hpp).
#include "server/sqlite/store.hpp"

namespace ml::server {

core::Result<bool> SqliteStore::take_lease(const std::string& name, const std::string& holder,
                                           std::int64_t now, std::int64_t ttl_s) {
  auto q = db_.prepare(
      "INSERT INTO leases(name, holder, expires) VALUES(?1, ?2, ?3) ON CONFLICT(name) DO UPDATE "
      "SET holder = excluded.holder, expires = excluded.expires "
      "WHERE leases.holder = excluded.holder OR leases.expires <= ?4");
  if (!q) return q.error();
  ML_TRY(q->bind(1, name).bind(2, holder).bind(3, now + ttl_s).bind(4, now).run());
  return db_.changes() > 0;
}

core::Status SqliteStore::release_lease(const std::string& name, const std::string& holder) {
  auto q = db_.prepare("DELETE FROM leases WHERE name = ? AND holder = ?");
  if (!q) return q.error();
  return q->bind(1, name).bind(2, holder).run();
}

core::Result<Lease> SqliteStore::lease(const std::string& name) {
  auto q = db_.prepare("SELECT holder, expires FROM leases WHERE name = ?");
  if (!q) return q.error();
  q->bind(1, name);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return Lease{};
  return Lease{q->text(0), q->int64(1)};
}

}  // namespace ml::server
