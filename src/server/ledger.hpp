// The prepaid ledger's arithmetic: what the payments credit, the open_until limit the device
// closes its valve at, and what is left; and its rules over any backend (adding, correcting and
// voiding an entry with its audit entry; the store, store/ledger.hpp, only persists).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

// Decimals of a credited amount: each entry's amount / price is kept to kTermDecimals (or
// exactly, when shorter), the total is rounded half-to-even to kLimitDecimals (1 Wh).
inline constexpr int kTermDecimals = 9;
inline constexpr int kLimitDecimals = 3;

// What one entry credits: amount / price to kTermDecimals; 0 for a price of 0 (whatever its
// state).
core::Result<core::Decimal> credited(const Payment& payment);

// Σ amount / price over the active entries with a price other than 0, in kWh (m3 for water).
core::Result<core::Decimal> paid(const std::vector<Payment>& payments);

// open_until = paid + setup_value: the register value at which the device closes the valve.
core::Result<core::Decimal> open_until_limit(const Meter& meter,
                                             const std::vector<Payment>& payments);

// The limit with `entry` added to `payments`; an error naming the amount when the sum would not
// stay exact (checked before an entry is stored, so the ledger always adds up).
core::Result<core::Decimal> limit_with(const Meter& meter, std::vector<Payment> payments,
                                       const Payment& entry);

struct Remaining {
  std::optional<core::Decimal> units;  // limit - latest reading (kWh; m3 for water)
  std::optional<double> hours;         // at the recent rate of use; none when it is unknown
  std::string rate_per_hour;           // "" when unknown
};

// What is left at the latest sample, and for how long at the rate of the last 24 hours of
// samples (`recent`, oldest first).
Remaining remaining(const core::Decimal& limit, const std::vector<StoredSample>& recent,
                    bool water);

// Checks an amount or a price as typed: a decimal; a price must not be negative.
core::Result<core::Decimal> parse_money(const std::string& text, const char* what);

// A new ledger entry (a payment, or the replacement in a correction) must have an amount above
// 0 and a price of 0 or more. A zero or negative amount would lower the limit below what was
// confirmed and be queued as a negative open_until the device refuses; a mistaken entry is
// corrected or voided instead (`payments correct|void`), each with its audit entry.
core::Status check_entry(const Payment& entry);

// ---- the ledger's rules over any backend (store/ledger.hpp only persists) ----
// Each is one transaction (ServerStore::write_transaction) with its audit entry; `actor` and
// `now` go to the audit log. Nothing here checks the entry (check_entry) or queues the limit:
// the ledger changes of sender.hpp do both around these.

// Adds `payment` as an active entry; audit "add". Returns the new id.
core::Result<std::int64_t> record_payment(ServerStore& store, const Payment& payment,
                                          const std::string& actor, std::int64_t now);
// Voids active entry `id` and adds `replacement` for the same meter with `replaces` = id; audit
// "correct" naming the new entry. Returns the new id. "no active payment #<id>"
// (Errc::invalid_argument) when `id` is no active entry.
core::Result<std::int64_t> record_correction(ServerStore& store, std::int64_t id,
                                             const Payment& replacement, const std::string& actor,
                                             std::int64_t now);
// Voids active entry `id`; audit "void" with the entry's values. Errors as record_correction.
core::Status record_void(ServerStore& store, std::int64_t id, const std::string& actor,
                         std::int64_t now);

}  // namespace ml::server
