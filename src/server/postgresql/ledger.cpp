// PostgresStore: the prepaid ledger's rows and its audit log (store/ledger.hpp). Amounts and
// prices are stored as their exact decimal text, states and actions by their names; the audit
// log is append-only (a trigger refuses UPDATE and DELETE, store.cpp).
#include "server/postgresql/rows.hpp"
#include "server/postgresql/store.hpp"

namespace ml::server {

using namespace postgresql_rows;

namespace {

constexpr const char* kLedgerPaymentColumns =
    "id, serial, time, amount, price, note, state, replaces";

// A stored decimal; an error naming the row when it is not one.
core::Result<core::Decimal> ledger_decimal(const std::string& text, const char* what,
                                           std::int64_t id) {
  auto v = core::Decimal::parse(text);
  if (!v) {
    return core::make_error(core::Errc::invalid_argument, std::string(what) + " of #" +
                                                              std::to_string(id) + " \"" + text +
                                                              "\" is not a decimal number");
  }
  return *v;
}

core::Result<Payment> ledger_read_payment(const pg::Rows& rows, int i) {
  Payment p;
  p.id = rows.int64(i, 0);
  p.serial = rows.text(i, 1);
  p.time = rows.int64(i, 2);
  auto amount = ledger_decimal(rows.text(i, 3), "the amount", p.id);
  if (!amount) return amount.error();
  auto price = ledger_decimal(rows.text(i, 4), "the price", p.id);
  if (!price) return price.error();
  p.amount = *amount;
  p.price = *price;
  p.note = rows.text(i, 5);
  const std::string state = rows.text(i, 6);
  auto s = payment_state_from_name(state);
  if (!s) {
    return core::make_error(
        core::Errc::invalid_argument,
        "payment #" + std::to_string(p.id) + " has an unknown state \"" + state + "\"");
  }
  p.state = *s;
  p.replaces = rows.int64(i, 7);
  return p;
}

core::Result<AuditEntry> ledger_read_audit(const pg::Rows& rows, int i) {
  AuditEntry e;
  e.id = rows.int64(i, 0);
  e.time = rows.int64(i, 1);
  const std::string action = rows.text(i, 2);
  auto a = ledger_action_from_name(action);
  if (!a) {
    return core::make_error(
        core::Errc::invalid_argument,
        "audit entry #" + std::to_string(e.id) + " has an unknown action \"" + action + "\"");
  }
  e.action = *a;
  e.payment_id = rows.int64(i, 3);
  e.serial = rows.text(i, 4);
  auto amount = ledger_decimal(rows.text(i, 5), "the amount", e.id);
  if (!amount) return amount.error();
  auto price = ledger_decimal(rows.text(i, 6), "the price", e.id);
  if (!price) return price.error();
  e.amount = *amount;
  e.price = *price;
  e.note = rows.text(i, 7);
  e.actor = rows.text(i, 8);
  return e;
}

// Every row read by `read`; the first row that cannot be read is the error.
template <class T, class Read>
core::Result<std::vector<T>> ledger_read_all(const core::Result<pg::Rows>& rows, Read read) {
  if (!rows) return rows.error();
  std::vector<T> out;
  for (int i = 0; i < rows->size(); ++i) {
    auto row = read(*rows, i);
    if (!row) return row.error();
    out.push_back(std::move(row).value());
  }
  return out;
}

}  // namespace

core::Result<std::int64_t> PostgresStore::insert_payment(const Payment& p) {
  auto rows = db_.query(
      "INSERT INTO payments(serial, time, amount, price, note, state, replaces) "
      "VALUES($1,$2,$3,$4,$5,$6,$7) RETURNING id",
      {p.serial, p.time, p.amount.to_string(), p.price.to_string(), p.note, state_name(p.state),
       p.replaces});
  if (!rows) return rows.error();
  return rows->int64(0, 0);
}

core::Status PostgresStore::set_payment_state(std::int64_t id, PaymentState state) {
  auto rows = db_.query("UPDATE payments SET state=$1 WHERE id=$2", {state_name(state), id});
  if (!rows) return rows.error();
  if (rows->affected() == 0) {
    return core::make_error(core::Errc::invalid_argument, "no payment #" + std::to_string(id));
  }
  return core::Ok{};
}

core::Status PostgresStore::append_ledger_audit(const AuditEntry& e) {
  auto rows = db_.query(
      "INSERT INTO payments_audit(time, action, payment_id, serial, amount, price, note, actor) "
      "VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
      {e.time, action_name(e.action), e.payment_id, e.serial, e.amount.to_string(),
       e.price.to_string(), e.note, e.actor});
  if (!rows) return rows.error();
  return core::Ok{};
}

core::Result<std::vector<Payment>> PostgresStore::payments(const std::string& serial) {
  return ledger_read_all<Payment>(db_.query(std::string("SELECT ") + kLedgerPaymentColumns +
                                                " FROM payments WHERE serial=$1 ORDER BY time, id",
                                            {serial}),
                                  ledger_read_payment);
}

core::Result<std::vector<Payment>> PostgresStore::every_payment() {
  return ledger_read_all<Payment>(db_.query(std::string("SELECT ") + kLedgerPaymentColumns +
                                            " FROM payments ORDER BY serial, time, id"),
                                  ledger_read_payment);
}

core::Result<std::optional<Payment>> PostgresStore::payment(std::int64_t id) {
  auto rows = ledger_read_all<Payment>(
      db_.query(std::string("SELECT ") + kLedgerPaymentColumns + " FROM payments WHERE id=$1",
                {id}),
      ledger_read_payment);
  if (!rows) return rows.error();
  if (rows->empty()) return std::optional<Payment>{};
  return std::optional<Payment>(std::move(rows->front()));
}

core::Result<std::vector<AuditEntry>> PostgresStore::audit_log(const std::string& serial) {
  return ledger_read_all<AuditEntry>(
      db_.query("SELECT id, time, action, payment_id, serial, amount, price, note, actor "
                "FROM payments_audit WHERE serial=$1 ORDER BY id",
                {serial}),
      ledger_read_audit);
}

}  // namespace ml::server
