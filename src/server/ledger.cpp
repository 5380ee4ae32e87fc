#include "server/ledger.hpp"

namespace ml::server {
namespace {

using core::Decimal;

// a / b for decimals, exact to kTermDecimals.
core::Result<Decimal> divided(const Decimal& a, const Decimal& b) {
  if (b.is_zero()) return core::make_error(core::Errc::invalid_argument, "division by zero");
  Decimal unscaled{a.negative != b.negative, a.mantissa, a.exponent};
  auto q = unscaled.multiplied(1, b.mantissa, kTermDecimals + std::max(0, -b.exponent));
  if (!q) return q.error();
  return q->shifted(-b.exponent);
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
  auto amount = Decimal::parse(entry.amount);
  if (!amount || amount->negative || amount->is_zero()) {
    return core::make_error(core::Errc::invalid_argument,
                            "amount must be above 0, not \"" + entry.amount +
                                "\" (correct or void a wrong payment instead)");
  }
  auto price = Decimal::parse(entry.price);
  if (!price || price->negative) {
    return core::make_error(core::Errc::invalid_argument,
                            "price must be 0 or more, not \"" + entry.price + "\"");
  }
  return core::Ok{};
}

core::Result<Decimal> credited(const Payment& p) {
  auto amount = Decimal::parse(p.amount);
  auto price = Decimal::parse(p.price);
  if (!amount) return amount.error();
  if (!price) return price.error();
  if (price->is_zero()) return Decimal{};  // a membership fee or a note: no energy
  return divided(*amount, *price);
}

core::Result<Decimal> paid(const std::vector<Payment>& payments) {
  Decimal total{};
  for (const auto& p : payments) {
    if (p.state != "active") continue;
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
  auto setup = Decimal::parse(meter.setup_value);
  if (!setup) return setup.error();
  return core::sum(*total, *setup);
}

core::Result<Decimal> limit_with(const Meter& meter, std::vector<Payment> payments,
                                 const Payment& entry) {
  payments.push_back(entry);
  auto limit = open_until_limit(meter, payments);
  if (!limit) {
    return core::make_error(core::Errc::invalid_argument,
                            "amount " + entry.amount + " at price " + entry.price +
                                " is too large for the ledger to add up exactly");
  }
  return limit;
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
  const double rate = std::stod(used->to_string()) / hours_span;  // an estimate, not a reading
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3f", rate);
  r.rate_per_hour = buf;
  r.hours = left->negative ? 0.0 : std::stod(left->to_string()) / rate;
  return r;
}

}  // namespace ml::server
