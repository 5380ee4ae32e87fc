// What an import from another system (MeterLoggerWeb: docs/migrating.md) keeps beside the data it
// brings: how far it got in each source table (the highest primary key imported, written in the
// same transaction as the rows, so an interrupted import continues there and a second run imports
// nothing twice), and each meter's default price (the price per kWh a new payment is offered
// with). A focused part of the server's store (server/store.hpp); the rules are in
// server/mlw_import.hpp.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::server {

class ImportStore {
 public:
  virtual ~ImportStore() = default;
  // The highest key imported from `table` of `source` ("mlw"), 0 when none.
  virtual core::Result<std::int64_t> import_progress(const std::string& source,
                                                     const std::string& table) = 0;
  // Records `key` as the highest key imported from `table` (never lowers it).
  virtual core::Status set_import_progress(const std::string& source, const std::string& table,
                                           std::int64_t key) = 0;
  // A meter's default price (money per kWh, per m3 for water), nullopt when it has none.
  virtual core::Result<std::optional<core::Decimal>> default_price(const std::string& serial) = 0;
  virtual core::Status set_default_price(const std::string& serial, const core::Decimal& price) = 0;
};

}  // namespace ml::server
