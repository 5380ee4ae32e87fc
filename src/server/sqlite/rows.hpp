// Helpers the SQLite store's files share to read rows and bind optional values (internal to
// server/sqlite/).
#pragma once

#include <optional>
#include <string>

#include "platform/sqlite/db.hpp"

namespace ml::server::sqlite_rows {

namespace sq = platform::sqlite;

// Calls f() for each row of q.
template <class F>
core::Status each_row(sq::Statement& q, F&& f) {
  for (;;) {
    auto row = q.step();
    if (!row) return row.error();
    if (!*row) return core::Ok{};
    f();
  }
}

inline std::optional<std::string> opt_text(const sq::Statement& q, int column) {
  if (q.is_null(column)) return std::nullopt;
  return q.text(column);
}

inline void bind_opt(sq::Statement& q, int index, const std::optional<std::string>& v) {
  if (v) {
    q.bind(index, *v);
  } else {
    q.bind_null(index);
  }
}

}  // namespace ml::server::sqlite_rows
