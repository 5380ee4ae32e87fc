// Helpers the PostgreSQL store's files share to read rows and pass values (internal to
// server/postgresql/).
#pragma once

#include <optional>
#include <string>

#include "core/decimal.hpp"
#include "platform/postgresql/db.hpp"

namespace ml::server::postgresql_rows {

namespace pg = platform::postgresql;

inline std::optional<std::string> decimal_text(const std::optional<core::Decimal>& d) {
  return d ? std::optional<std::string>(d->to_string()) : std::nullopt;
}

}  // namespace ml::server::postgresql_rows
