// The prepaid ledger's use cases (payments.hpp).
#include "server/usecases/payments.hpp"

#include "server/usecases/meters.hpp"

namespace ml::server::usecase {

core::Result<Payment> build_payment(const PaymentRequest& request, std::int64_t now) {
  const Spelling s = request.spelling;
  auto amount = parse_money(request.amount, field("amount", s).c_str());
  if (!amount) return amount.error();
  auto price = parse_money(request.price, field("price", s).c_str());
  if (!price) return price.error();
  Payment p;
  p.serial = request.serial;
  p.time = now;
  p.amount = *amount;
  p.price = *price;
  p.note = request.note;
  // check_entry's text begins with the field's JSON name ("amount must be above 0").
  if (auto checked = check_entry(p); !checked) {
    return core::make_error(checked.error().code, s == Spelling::option
                                                      ? "--" + checked.error().detail
                                                      : checked.error().detail);
  }
  return p;
}

core::Result<Paid> pay(ServerStore& store, const PaymentRequest& request, const std::string& actor,
                       std::int64_t now) {
  auto p = build_payment(request, now);
  if (!p) return p.error();
  auto change = server::add_payment(store, *p, actor, now);
  if (!change) return change.error();
  return Paid{std::move(p).value(), *change};
}

core::Result<PaymentChange> correct_payment(ServerStore& store, const CorrectPayment& request,
                                            const std::string& actor, std::int64_t now) {
  auto old = store.payment(request.id);
  if (!old) return old.error();
  if (!*old) {
    return core::make_error(core::Errc::invalid_argument,
                            "no payment #" + std::to_string(request.id));
  }
  const Payment& o = **old;
  auto p = build_payment({o.serial, request.amount.empty() ? o.amount.to_string() : request.amount,
                          request.price.empty() ? o.price.to_string() : request.price,
                          request.note.empty() ? o.note : request.note, request.spelling},
                         now);
  if (!p) return p.error();
  auto change = server::correct_payment(store, request.id, *p, actor, now);
  if (!change) return change.error();
  return PaymentChange{o.serial, *change};
}

core::Result<PaymentChange> withdraw_payment(ServerStore& store, std::int64_t id,
                                             const std::string& actor, std::int64_t now) {
  auto old = store.payment(id);
  if (!old) return old.error();
  if (!*old) {
    return core::make_error(core::Errc::invalid_argument, "no payment #" + std::to_string(id));
  }
  auto change = server::void_payment(store, id, actor, now);
  if (!change) return change.error();
  return PaymentChange{(*old)->serial, *change};
}

core::Result<PaymentPreview> preview_payment(ServerStore& store, const Meter& meter,
                                             const Payment& payment) {
  auto entries = store.payments(meter.serial);
  if (!entries) return entries.error();
  auto after_limit = limit_with(meter, *entries, payment);
  if (!after_limit) return after_limit.error();
  auto before_paid = paid(*entries);
  if (!before_paid) return before_paid.error();
  auto before_limit = open_until_limit(meter, *entries);
  if (!before_limit) return before_limit.error();
  auto units = credited(payment);
  if (!units) return units.error();
  entries->push_back(payment);
  auto after_paid = paid(*entries);
  if (!after_paid) return after_paid.error();
  auto recent = rate_window(store, meter.serial);
  if (!recent) return recent.error();
  return PaymentPreview{
      *units,       *before_paid,
      *after_paid,  *before_limit,
      *after_limit, remaining(*after_limit, *recent, meter.kind == core::meter::Kind::water)};
}

}  // namespace ml::server::usecase
