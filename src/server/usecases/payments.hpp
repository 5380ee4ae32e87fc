// The prepaid ledger's use cases, shared by `meterlogger-server pay|payments` and the HTTP API
// (POST /api/meters/{serial}/payments[/preview]; docs/api.md): a payment is built from the
// typed amount, price and note (exact decimals, checked by server::check_entry) and added,
// corrected or withdrawn through the ledger functions of sender.hpp, each with the acting user
// in the ledger's audit log. Who may do it (roles, groups) is the API's business.
#pragma once

#include <cstdint>
#include <string>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/ledger.hpp"
#include "server/sender.hpp"
#include "server/store.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {

struct PaymentRequest {
  std::string serial;  // canonical
  std::string amount;  // money, above 0
  std::string price;   // money per kWh (per m3 for water), 0 or more
  std::string note;
  Spelling spelling = Spelling::json;
};

// The ledger entry the request makes at `now`; errors (Errc::invalid_argument) name the field as
// `spelling` writes it. Stores nothing.
core::Result<Payment> build_payment(const PaymentRequest& request, std::int64_t now);

// Builds the payment, adds it and queues the new open_until (one transaction); `actor` goes to
// the ledger's audit log.
struct Paid {
  Payment payment;  // as stored: amount and price in their canonical decimal form
  LedgerChange change;
};
core::Result<Paid> pay(ServerStore& store, const PaymentRequest& request, const std::string& actor,
                       std::int64_t now);

// A correction: the fields left empty keep the corrected entry's value.
struct CorrectPayment {
  std::int64_t id = 0;
  std::string amount;
  std::string price;
  std::string note;
  Spelling spelling = Spelling::json;
};
// The change of a correction or withdrawal, with the meter it concerns.
struct PaymentChange {
  std::string serial;
  LedgerChange change;
};
// Correcting and withdrawing (voiding) an entry: "no payment #<id>" (Errc::invalid_argument)
// when there is none.
core::Result<PaymentChange> correct_payment(ServerStore& store, const CorrectPayment& request,
                                            const std::string& actor, std::int64_t now);
core::Result<PaymentChange> withdraw_payment(ServerStore& store, std::int64_t id,
                                             const std::string& actor, std::int64_t now);

// What adding `payment` to its meter's ledger would change (nothing is stored).
struct PaymentPreview {
  core::Decimal credited;  // kWh (m3 for water)
  core::Decimal paid_before, paid_after;
  core::Decimal open_until_before, open_until_after;
  Remaining remaining_after;  // at the rate of the last 24 hours
};
core::Result<PaymentPreview> preview_payment(ServerStore& store, const Meter& meter,
                                             const Payment& payment);

}  // namespace ml::server::usecase
