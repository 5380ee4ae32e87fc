// The prepaid ledger and its append-only audit log: a focused part of the server's store
// (server/store.hpp). Its arithmetic is in server/ledger.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace ml::server {

// One entry of a meter's prepaid ledger. kWh credited = amount / price (price 0: none).
struct Payment {
  std::int64_t id = 0;
  std::string serial;
  std::int64_t time = 0;
  std::string amount;  // money, exact decimal
  std::string price;   // money per kWh (per m3 for water), exact decimal
  std::string note;
  std::string state = "active";  // active | void (corrected or withdrawn)
  std::int64_t replaces = 0;     // the entry this one corrects
};

struct AuditEntry {
  std::int64_t id = 0;
  std::int64_t time = 0;
  std::string action;  // add | correct | void
  std::int64_t payment_id = 0;
  std::string serial;
  std::string amount;
  std::string price;
  std::string note;
  std::string actor;
};

// Every change also goes to the append-only audit log.
class LedgerStore {
 public:
  virtual ~LedgerStore() = default;
  virtual core::Result<std::int64_t> add_payment(const Payment& p, const std::string& actor,
                                                 std::int64_t now) = 0;
  // Voids entry `id` and adds `replacement` in its place; returns the new id.
  virtual core::Result<std::int64_t> correct_payment(std::int64_t id, const Payment& replacement,
                                                     const std::string& actor,
                                                     std::int64_t now) = 0;
  virtual core::Status void_payment(std::int64_t id, const std::string& actor,
                                    std::int64_t now) = 0;
  virtual core::Result<std::vector<Payment>> payments(const std::string& serial) = 0;
  virtual core::Result<std::optional<Payment>> payment(std::int64_t id) = 0;
  virtual core::Result<std::vector<AuditEntry>> audit_log(const std::string& serial) = 0;
};

}  // namespace ml::server
