// The prepaid ledger's arithmetic and rules (ledger.hpp).
#include "server/ledger.hpp"

#include <cstdlib>

namespace ml::server {

using core::Decimal;

namespace {
// The nearest double, for an estimate (never for a stored value or money).
double approximate(const Decimal& d) {
  return std::strtod(d.to_string().c_str(), nullptr);
}
}  // namespace

core::Result<Decimal> parse_money(const std::string& text, const char* what) {
  auto v = Decimal::parse(text);
  if (!v) {
    return core::make_error(core::Errc::invalid_argument,
                            std::string(what) + " \"" + text + "\" is not a decimal number");
  }
  return *v;
}

core::Status check_entry(const Payment& entry) {
  if (entry.amount.negative || entry.amount.is_zero()) {
    return core::make_error(core::Errc::invalid_argument,
                            "amount must be above 0, not \"" + entry.amount.to_string() +
                                "\" (correct or void a wrong payment instead)");
  }
  if (entry.price.negative) {
    return core::make_error(core::Errc::invalid_argument,
                            "price must be 0 or more, not \"" + entry.price.to_string() + "\"");
  }
  return core::Ok{};
}

core::Result<Decimal> credited(const Payment& p) {
  if (p.price.is_zero()) return Decimal{};  // a membership fee or a note: no energy
  return core::quotient(p.amount, p.price, kTermDecimals);
}

core::Result<Decimal> paid(const std::vector<Payment>& payments) {
  Decimal total{};
  for (const auto& p : payments) {
    if (p.state != PaymentState::active) continue;
    auto units = credited(p);
    if (!units) return units.error();
    auto next = core::sum(total, *units);
    if (!next) return next.error();
    total = *next;
  }
  return total.multiplied(1, 1, kLimitDecimals);
}

core::Result<Decimal> open_until_limit(const Meter& meter, const std::vector<Payment>& payments) {
  auto total = paid(payments);
  if (!total) return total.error();
  return core::sum(*total, meter.setup_value);
}

core::Result<Decimal> limit_with(const Meter& meter, std::vector<Payment> payments,
                                 const Payment& entry) {
  payments.push_back(entry);
  auto limit = open_until_limit(meter, payments);
  if (!limit) {
    return core::make_error(core::Errc::invalid_argument,
                            "amount " + entry.amount.to_string() + " at price " +
                                entry.price.to_string() +
                                " is too large for the ledger to add up exactly");
  }
  return limit;
}

namespace {

AuditEntry audit_of(LedgerAction action, std::int64_t payment_id, const Payment& p,
                    const std::string& actor, std::int64_t now) {
  return AuditEntry{0, now, action, payment_id, p.serial, p.amount, p.price, p.note, actor};
}

// Marks active entry `id` void and returns it as it was.
core::Result<Payment> void_active(ServerStore& store, std::int64_t id) {
  auto old = store.payment(id);
  if (!old) return old.error();
  if (!*old || (*old)->state != PaymentState::active) {
    return core::make_error(core::Errc::invalid_argument,
                            "no active payment #" + std::to_string(id));
  }
  ML_TRY(store.set_payment_state(id, PaymentState::voided));
  return std::move(**old);
}

}  // namespace

core::Result<std::int64_t> record_payment(ServerStore& store, const Payment& payment,
                                          const std::string& actor, std::int64_t now) {
  std::int64_t id = 0;
  auto done = store.write_transaction([&]() -> core::Status {
    Payment p = payment;
    p.state = PaymentState::active;
    auto inserted = store.insert_payment(p);
    if (!inserted) return inserted.error();
    id = *inserted;
    return store.append_ledger_audit(audit_of(LedgerAction::add, id, p, actor, now));
  });
  if (!done) return done.error();
  return id;
}

core::Result<std::int64_t> record_correction(ServerStore& store, std::int64_t id,
                                             const Payment& replacement, const std::string& actor,
                                             std::int64_t now) {
  std::int64_t fresh = 0;
  auto done = store.write_transaction([&]() -> core::Status {
    auto old = void_active(store, id);
    if (!old) return old.error();
    Payment p = replacement;
    p.serial = old->serial;
    p.state = PaymentState::active;
    p.replaces = id;
    auto inserted = store.insert_payment(p);
    if (!inserted) return inserted.error();
    fresh = *inserted;
    return store.append_ledger_audit(audit_of(LedgerAction::correct, fresh, p, actor, now));
  });
  if (!done) return done.error();
  return fresh;
}

core::Status record_void(ServerStore& store, std::int64_t id, const std::string& actor,
                         std::int64_t now) {
  return store.write_transaction([&]() -> core::Status {
    auto old = void_active(store, id);
    if (!old) return old.error();
    return store.append_ledger_audit(audit_of(LedgerAction::voided, id, *old, actor, now));
  });
}

Remaining remaining(const Decimal& limit, const std::vector<StoredSample>& recent, bool water) {
  Remaining r;
  const StoredSample* first = nullptr;
  const StoredSample* last = nullptr;
  for (const auto& s : recent) {
    const auto& v = water ? s.volume_m3 : s.energy_kwh;
    if (!v) continue;
    if (first == nullptr) first = &s;
    last = &s;
  }
  if (last == nullptr) return r;
  auto latest = Decimal::parse(*(water ? last->volume_m3 : last->energy_kwh));
  if (!latest) return r;
  auto left = core::difference(limit, *latest);
  if (!left) return r;
  r.units = *left;
  if (first == last || last->time <= first->time) return r;
  auto oldest = Decimal::parse(*(water ? first->volume_m3 : first->energy_kwh));
  if (!oldest) return r;
  auto used = core::difference(*latest, *oldest);
  if (!used || used->negative || used->is_zero()) return r;
  const double hours_span = static_cast<double>(last->time - first->time) / 3600.0;
  const double rate = approximate(*used) / hours_span;  // an estimate, not a reading
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", rate);
  r.rate_per_hour = buf;
  r.hours = left->negative ? 0.0 : approximate(*left) / rate;
  return r;
}

}  // namespace ml::server
