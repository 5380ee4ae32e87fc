// SqliteStore: the prepaid ledger and its audit log (store/ledger.hpp).
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

// ---- the ledger ----

core::Status SqliteStore::audit(const std::string& action, std::int64_t payment_id,
                                const Payment& p, const std::string& actor, std::int64_t now) {
  auto a = db_.prepare(
      "INSERT INTO payments_audit(time, action, payment_id, serial, amount, price, note, actor) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!a) return a.error();
  return a->bind(1, now)
      .bind(2, action)
      .bind(3, payment_id)
      .bind(4, p.serial)
      .bind(5, p.amount)
      .bind(6, p.price)
      .bind(7, p.note)
      .bind(8, actor)
      .run();
}

core::Result<std::int64_t> SqliteStore::insert_payment(const Payment& p, const std::string& action,
                                                       const std::string& actor, std::int64_t now) {
  auto q = db_.prepare(
      "INSERT INTO payments(serial, time, amount, price, note, state, replaces) "
      "VALUES(?,?,?,?,?,'active',?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, p.serial)
             .bind(2, p.time)
             .bind(3, p.amount)
             .bind(4, p.price)
             .bind(5, p.note)
             .bind(6, p.replaces)
             .run());
  const std::int64_t id = db_.last_insert_id();
  ML_TRY(audit(action, id, p, actor, now));
  return id;
}

core::Result<Payment> SqliteStore::void_active(std::int64_t id) {
  auto old = payment(id);
  if (!old) return old.error();
  if (!*old || (*old)->state != "active") {
    return core::make_error(core::Errc::invalid_argument,
                            "no active payment #" + std::to_string(id));
  }
  auto v = db_.prepare("UPDATE payments SET state='void' WHERE id=?");
  if (!v) return v.error();
  ML_TRY(v->bind(1, id).run());
  return **old;
}

core::Result<std::int64_t> SqliteStore::add_payment(const Payment& p, const std::string& actor,
                                                    std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto id = insert_payment(p, "add", actor, now);
  if (!id) return id.error();
  ML_TRY(tx.commit());
  return id;
}

core::Result<std::int64_t> SqliteStore::correct_payment(std::int64_t id, const Payment& replacement,
                                                        const std::string& actor,
                                                        std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto old = void_active(id);
  if (!old) return old.error();
  Payment p = replacement;
  p.serial = old->serial;
  p.replaces = id;
  auto fresh = insert_payment(p, "correct", actor, now);
  if (!fresh) return fresh.error();
  ML_TRY(tx.commit());
  return fresh;
}

core::Status SqliteStore::void_payment(std::int64_t id, const std::string& actor,
                                       std::int64_t now) {
  sq::Transaction tx(db_);
  ML_TRY(tx.begun());
  auto old = void_active(id);
  if (!old) return old.error();
  ML_TRY(audit("void", id, *old, actor, now));
  return tx.commit();
}

namespace {
constexpr const char* kPaymentColumns = "id, serial, time, amount, price, note, state, replaces";

Payment read_payment(const sq::Statement& q) {
  return Payment{q.int64(0), q.text(1), q.int64(2), q.text(3),
                 q.text(4),  q.text(5), q.text(6),  q.int64(7)};
}
}  // namespace

core::Result<std::vector<Payment>> SqliteStore::payments(const std::string& serial) {
  static const std::string sql =
      std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE serial=? ORDER BY time, id";
  auto q = cached(sql);
  if (!q) return q.error();
  (*q)->bind(1, serial);
  std::vector<Payment> out;
  auto& rows = **q;
  ML_TRY(each_row(rows, [&] { out.push_back(read_payment(rows)); }));
  return out;
}

core::Result<std::optional<Payment>> SqliteStore::payment(std::int64_t id) {
  auto q = db_.prepare(std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE id=?");
  if (!q) return q.error();
  q->bind(1, id);
  auto row = q->step();
  if (!row) return row.error();
  if (!*row) return std::optional<Payment>{};
  return std::optional<Payment>(read_payment(*q));
}

core::Result<std::vector<AuditEntry>> SqliteStore::audit_log(const std::string& serial) {
  auto q = db_.prepare(
      "SELECT id, time, action, payment_id, serial, amount, price, note, actor "
      "FROM payments_audit WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  std::vector<AuditEntry> out;
  ML_TRY(each_row(*q, [&] {
    out.push_back(AuditEntry{q->int64(0), q->int64(1), q->text(2), q->int64(3), q->text(4),
                             q->text(5), q->text(6), q->text(7), q->text(8)});
  }));
  return out;
}

}  // namespace ml::server
