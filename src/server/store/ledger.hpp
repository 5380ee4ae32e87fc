// The prepaid ledger and its append-only audit log: a focused part of the server's store
// (server/store.hpp). A backend only persists entries and audit entries and reads them back;
// the rules (an entry is added, corrected or voided with its audit entry, in one transaction;
// only an active entry may be voided) are backend-neutral, in server/ledger.hpp, with the
// ledger's arithmetic.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::server {

// An entry counts (active), or no longer does (void: corrected or withdrawn).
enum class PaymentState : std::uint8_t { active, voided };
// What an audit entry records: an entry added, an entry corrected (the replacement), an entry
// withdrawn.
enum class LedgerAction : std::uint8_t { add, correct, voided };

struct PaymentStateInfo {
  PaymentState state;
  std::string_view name;  // as stored and shown: "active", "void"
};
inline constexpr std::array<PaymentStateInfo, 2> kPaymentStates{{
    {PaymentState::active, "active"},
    {PaymentState::voided, "void"},
}};

struct LedgerActionInfo {
  LedgerAction action;
  std::string_view name;  // as stored and shown: "add", "correct", "void"
};
inline constexpr std::array<LedgerActionInfo, 3> kLedgerActions{{
    {LedgerAction::add, "add"},
    {LedgerAction::correct, "correct"},
    {LedgerAction::voided, "void"},
}};

constexpr std::string_view state_name(PaymentState state) {
  for (const auto& row : kPaymentStates)
    if (row.state == state) return row.name;
  return "?";
}
constexpr std::optional<PaymentState> payment_state_from_name(std::string_view name) {
  for (const auto& row : kPaymentStates)
    if (row.name == name) return row.state;
  return std::nullopt;
}
constexpr std::string_view action_name(LedgerAction action) {
  for (const auto& row : kLedgerActions)
    if (row.action == action) return row.name;
  return "?";
}
constexpr std::optional<LedgerAction> ledger_action_from_name(std::string_view name) {
  for (const auto& row : kLedgerActions)
    if (row.name == name) return row.action;
  return std::nullopt;
}

// One entry of a meter's prepaid ledger. kWh credited = amount / price (price 0: none).
struct Payment {
  std::int64_t id = 0;
  std::string serial;
  std::int64_t time = 0;
  core::Decimal amount;  // money
  core::Decimal price;   // money per kWh (per m3 for water)
  std::string note;
  PaymentState state = PaymentState::active;
  std::int64_t replaces = 0;  // the entry this one corrects
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t time = 0;
  LedgerAction action = LedgerAction::add;
  std::int64_t payment_id = 0;
  std::string serial;
  core::Decimal amount;
  core::Decimal price;
  std::string note;
  std::string actor;
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  // Stores a new entry with every field as given (its id is ignored); returns the new id.
  virtual core::Result<std::int64_t> insert_payment(const Payment& payment) = 0;
  // Sets entry `id`'s state; Errc::invalid_argument when there is no such entry.
  virtual core::Status set_payment_state(std::int64_t id, PaymentState state) = 0;
  // Appends to the audit log (its id is ignored); nothing in the log is ever changed.
  virtual core::Status append_ledger_audit(const AuditEntry& entry) = 0;
  // A meter's entries by time, then id.
  virtual core::Result<std::vector<Payment>> payments(const std::string& serial) = 0;
  // Every meter's entries by serial, then time, then id (the fleet summary's one read).
  virtual core::Result<std::vector<Payment>> every_payment() = 0;
  virtual core::Result<std::optional<Payment>> payment(std::int64_t id) = 0;
  // A meter's audit entries, oldest first.
  virtual core::Result<std::vector<AuditEntry>> audit_log(const std::string& serial) = 0;
};

}  // namespace ml::server
