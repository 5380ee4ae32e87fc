// SqliteStore: the prepaid ledger's rows and its audit log (store/ledger.hpp). Amounts and prices
// are stored as their exact decimal text, states and actions by their names.
#include "server/sqlite/rows.hpp"
#include "server/sqlite/store.hpp"

namespace ml::server {

namespace sq = platform::sqlite;
using namespace sqlite_rows;

namespace {

constexpr const char* kPaymentColumns = "id, serial, time, amount, price, note, state, replaces";

// A stored decimal; an error naming the row when it is not one.
core::Result<core::Decimal> stored_decimal(const std::string& text, const char* what,
                                           std::int64_t id) {
  auto v = core::Decimal::parse(text);
  if (!v) {
    return core::make_error(core::Errc::invalid_argument, std::string(what) + " of #" +
                                                              std::to_string(id) + " \"" + text +
                                                              "\" is not a decimal number");
  }
  return *v;
}

core::Result<Payment> read_payment(const sq::Statement& q) {
  Payment p;
  p.id = q.int64(0);
  p.serial = q.text(1);
  p.time = q.int64(2);
  auto amount = stored_decimal(q.text(3), "the amount", p.id);
  if (!amount) return amount.error();
  auto price = stored_decimal(q.text(4), "the price", p.id);
  if (!price) return price.error();
  p.amount = *amount;
  p.price = *price;
  p.note = q.text(5);
  const std::string state = q.text(6);
  auto s = payment_state_from_name(state);
  if (!s) {
    return core::make_error(
        core::Errc::invalid_argument,
        "payment #" + std::to_string(p.id) + " has an unknown state \"" + state + "\"");
  }
  p.state = *s;
  p.replaces = q.int64(7);
  return p;
}

core::Result<AuditEntry> read_audit(const sq::Statement& q) {
  AuditEntry e;
  e.id = q.int64(0);
  e.time = q.int64(1);
  const std::string action = q.text(2);
  auto a = ledger_action_from_name(action);
  if (!a) {
    return core::make_error(
        core::Errc::invalid_argument,
        "audit entry #" + std::to_string(e.id) + " has an unknown action \"" + action + "\"");
  }
  e.action = *a;
  e.payment_id = q.int64(3);
  e.serial = q.text(4);
  auto amount = stored_decimal(q.text(5), "the amount", e.id);
  if (!amount) return amount.error();
  auto price = stored_decimal(q.text(6), "the price", e.id);
  if (!price) return price.error();
  e.amount = *amount;
  e.price = *price;
  e.note = q.text(7);
  e.actor = q.text(8);
  return e;
}

// Every row of q read by `read`; the first row that cannot be read is the error.
template <class T, class Read>
core::Result<std::vector<T>> read_all(sq::Statement& q, Read read) {
  std::vector<T> out;
  std::optional<core::Error> bad;
  ML_TRY(each_row(q, [&] {
    auto row = read(q);
    if (row) {
      out.push_back(std::move(row).value());
    } else if (!bad) {
      bad = row.error();
    }
  }));
  if (bad) return *bad;
  return out;
}

}  // namespace

core::Result<std::int64_t> SqliteStore::insert_payment(const Payment& p) {
  auto q = db_.prepare(
      "INSERT INTO payments(serial, time, amount, price, note, state, replaces) "
      "VALUES(?,?,?,?,?,?,?)");
  if (!q) return q.error();
  ML_TRY(q->bind(1, p.serial)
             .bind(2, p.time)
             .bind(3, p.amount.to_string())
             .bind(4, p.price.to_string())
             .bind(5, p.note)
             .bind(6, state_name(p.state))
             .bind(7, p.replaces)
             .run());
  return db_.last_insert_id();
}

core::Status SqliteStore::set_payment_state(std::int64_t id, PaymentState state) {
  auto q = db_.prepare("UPDATE payments SET state=? WHERE id=?");
  if (!q) return q.error();
  ML_TRY(q->bind(1, state_name(state)).bind(2, id).run());
  if (db_.changes() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no payment #" + std::to_string(id));
  }
  return core::Ok{};
}

core::Status SqliteStore::append_ledger_audit(const AuditEntry& e) {
  auto a = db_.prepare(
      "INSERT INTO payments_audit(time, action, payment_id, serial, amount, price, note, actor) "
      "VALUES(?,?,?,?,?,?,?,?)");
  if (!a) return a.error();
  return a->bind(1, e.time)
      .bind(2, action_name(e.action))
      .bind(3, e.payment_id)
      .bind(4, e.serial)
      .bind(5, e.amount.to_string())
      .bind(6, e.price.to_string())
      .bind(7, e.note)
      .bind(8, e.actor)
      .run();
}

core::Result<std::vector<Payment>> SqliteStore::payments(const std::string& serial) {
  static const std::string sql =
      std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE serial=? ORDER BY time, id";
  auto q = cached(sql);
  if (!q) return q.error();
  (*q)->bind(1, serial);
  return read_all<Payment>(**q, read_payment);
}

core::Result<std::vector<Payment>> SqliteStore::every_payment() {
  auto q = db_.prepare(std::string("SELECT ") + kPaymentColumns +
                       " FROM payments ORDER BY serial, time, id");
  if (!q) return q.error();
  return read_all<Payment>(*q, read_payment);
}

core::Result<std::optional<Payment>> SqliteStore::payment(std::int64_t id) {
  auto q = db_.prepare(std::string("SELECT ") + kPaymentColumns + " FROM payments WHERE id=?");
  if (!q) return q.error();
  q->bind(1, id);
  auto rows = read_all<Payment>(*q, read_payment);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Payment>{};
  return std::optional<Payment>(std::move(rows->front()));
}

core::Result<std::vector<AuditEntry>> SqliteStore::audit_log(const std::string& serial) {
  auto q = db_.prepare(
      "SELECT id, time, action, payment_id, serial, amount, price, note, actor "
      "FROM payments_audit WHERE serial=? ORDER BY id");
  if (!q) return q.error();
  q->bind(1, serial);
  return read_all<AuditEntry>(*q, read_audit);
}

}  // namespace ml::server
