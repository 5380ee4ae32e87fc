// Helpers the PostgreSQL store's files share to read rows and pass values (internal to
// server/postgresql/).
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "platform/postgresql/db.hpp"

namespace ml::server::postgresql_rows {

namespace pg = platform::postgresql;

// A PostgreSQL array literal built value by value ({"a","b \"c\"",NULL} or {1,2}), one parameter
// for a column of a whole batch: `unnest($1::text[], $2::bigint[])` gives the batch's rows in one
// statement.
class ArrayLiteral {
 public:
  void add(std::string_view text) {
    next();
    out_ += '"';
    // The runs between the characters to escape are appended whole (a batch's texts are
    // megabytes).
    while (!text.empty()) {
      const std::size_t special = text.find_first_of("\"\\");
      out_.append(text.substr(0, special));
      if (special == std::string_view::npos) break;
      out_ += '\\';
      out_ += text[special];
      text.remove_prefix(special + 1);
    }
    out_ += '"';
  }
  void add(const std::string& text) { add(std::string_view(text)); }
  void add(const std::optional<std::string>& text) {
    if (text) return add(std::string_view(*text));
    next();
    out_ += "NULL";
  }
  void add(std::int64_t value) {
    next();
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    out_.append(digits, end);
  }
  std::string text() const { return out_ + "}"; }

 private:
  void next() { out_ += out_.size() == 1 ? "" : ","; }
  std::string out_ = "{";
};

}  // namespace ml::server::postgresql_rows
