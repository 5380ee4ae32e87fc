// A bounded, streaming reader of mysqldump output (the SQL text MariaDB's `mysqldump` /
// `mariadb-dump` writes): the import from MeterLoggerWeb (docs/migrating.md) reads its tables
// through it, from a file (`import mlw --dump`) or from mysqldump's output as it runs (`import mlw
// --mysql`). It understands what mysqldump writes and nothing more:
// - `CREATE TABLE `t` (` ... `) ...;` gives the table's column names, in order;
// - `INSERT INTO `t` [(`c`,...)] VALUES (...),(...);` gives rows, on one line or (as MariaDB's
//   mysqldump writes them) a row per line up to the line that ends with ";" (a newline inside a
//   value is written as \n, so no line ends inside a value);
// - comments (`-- `, `/* ... */;`), `DROP`, `LOCK`, `UNLOCK`, `SET`, `USE`, `DELIMITER` and
//   anything between `DELIMITER ;;` and `DELIMITER ;` (triggers, routines) are skipped.
// A value is NULL, a number as written, a quoted string (backslash escapes and '' as mysqldump
// writes them) or 0x hex (--hex-blob). Every line, statement and value has a size limit; bad input
// is an error naming the line and what was wrong (Errc::invalid_argument), never a guess.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server::mlw {

struct DumpLimits {
  std::size_t max_line = 64u << 20;      // bytes of one line (an extended INSERT)
  std::size_t max_statement = 1u << 20;  // bytes of a multi-line statement (CREATE TABLE)
  std::size_t max_value = 1u << 20;      // bytes of one value, after unescaping
  std::size_t max_columns = 512;         // columns of a table, values of a row
  std::size_t max_tables = 4096;         // tables described
};

// One value of a row: NULL, a number (its text as written) or a string (unescaped bytes; 0x hex
// values are strings too).
struct DumpValue {
  enum class Kind : std::uint8_t { null, number, string } kind = Kind::null;
  std::string text;
  bool is_null() const { return kind == Kind::null; }
};

// One row: its table, the columns (from the INSERT's column list or the table's CREATE TABLE)
// and the values in that order, and the line it is on.
struct DumpRow {
  std::string table;
  std::shared_ptr<const std::vector<std::string>> columns;  // shared by the rows of a table
  std::vector<DumpValue> values;
  std::uint64_t line = 0;
  // The value of `column`, nullptr when the row has no such column.
  const DumpValue* get(std::string_view column) const;
};

class DumpReader {
 public:
  explicit DumpReader(std::istream& in, DumpLimits limits = {});
  // The next row into `row`: true, or false at the end of the input. An error names the line
  // ("line 12: ...") and stops the reader (every later call returns the same error).
  core::Result<bool> next(DumpRow& row);
  std::uint64_t line() const { return line_; }

 private:
  core::Result<bool> read_line(std::string& out);
  core::Status statement(const std::string& first);
  core::Status create_table(const std::string& first);
  core::Status skip_statement(const std::string& first);
  core::Status insert(std::string_view text);
  core::Error fail(const std::string& what) const;
  core::Error fail_at(std::uint64_t line, const std::string& what) const;

  std::istream& in_;
  DumpLimits limits_;
  std::uint64_t line_ = 0;
  std::uint64_t insert_line_ = 0;
  bool in_delimiter_block_ = false;
  std::optional<core::Error> failed_;
  std::vector<std::pair<std::string, std::shared_ptr<const std::vector<std::string>>>> tables_;
  // Rows parsed from the current INSERT line, handed out one by one.
  std::vector<DumpRow> pending_;
  std::size_t next_pending_ = 0;
};

// Reads a whole dump from text (for tests and the fuzz target): every row, or the first error.
core::Result<std::vector<DumpRow>> read_all(std::string_view text, DumpLimits limits = {});

// A number as MariaDB writes it ("12", "-0.5", "1.5e-05", "1e20") as plain decimal text
// ("0.000015"), for core::Decimal::parse; an error when it is no number or too long (the text
// is at most 64 characters, the exponent within ±63).
core::Result<std::string> plain_decimal(std::string_view number);

}  // namespace ml::server::mlw
