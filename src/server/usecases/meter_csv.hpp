// The meter list that `meterlogger-server meters import` reads (docs/server.md, "Importing
// meters"): a CSV file whose first line names the columns and whose every other line is one
// meter, as `meters add` takes it. Pure and bounded: text in, rows and problems out; no store,
// no clock, no randomness (the fuzz target tests/fuzz/fuzz_meter_csv.cpp drives it alone).
//
// What it guarantees:
// - Bounded: the file's size, a line's length, the number of meters, each field's length and the
//   number of problems kept in full are limits (MeterCsvLimits); nothing grows past them.
// - Every problem names where it is, "line 17, column key: ..." (or "the file ..." when it is
//   about the whole file), and says what to do; a row with a problem is not among the rows.
// - It reads what the file says and checks its shape (quoting, the columns, UTF-8, lengths, the
//   serial, valve on/off). What a meter may be is checked by the meter use cases
//   (usecase::build_meter, meters.hpp), the one place `meters add` and the API use too; the
//   import (meter_import.hpp) runs every row through it.
//
// The format: RFC 4180 (fields with the delimiter or a quote are quoted, a quote in them
// doubled), with what spreadsheets write: a UTF-8 byte order mark, CRLF line ends, blank lines
// and lines of empty fields (skipped), spaces around a field (trimmed, not inside quotes), and a
// semicolon as the delimiter when the header has semicolons and no comma (a spreadsheet in a
// Danish locale saves so). A field is one line: a line break inside quotes is refused, since a
// meter's name is shown on one line.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "server/usecases/meters.hpp"

namespace ml::server::usecase {

struct MeterCsvLimits {
  std::size_t max_bytes = std::size_t{64} << 20;  // the whole file
  std::size_t max_line = 4096;                    // bytes of one line, its line end not counted
  std::size_t max_rows = 200'000;                 // meters in one file
  std::size_t max_problems = 20;                  // problems kept in full; the rest are counted
};

// The columns, one row each: their names in the header (any case), whether every file must
// have them, and the most bytes a value may have (the HTTP API's limits for the same fields).
struct MeterCsvColumn {
  std::string_view name;
  bool required;
  std::size_t max_size;
};
inline constexpr std::array<MeterCsvColumn, 7> kMeterCsvColumns{{
    {"serial", true, 32},
    {"kind", true, 16},
    {"key", false, 64},
    {"name", false, 200},
    {"group", false, 100},
    {"setup_value", false, 40},
    {"valve", false, 3},
}};

// What was wrong with a meter list: the first `max` problems in full, every one counted.
struct ImportProblems {
  std::vector<std::string> shown;
  std::size_t count = 0;
  std::size_t max = 20;
  void add(std::string text);
  bool empty() const { return count == 0; }
};

struct MeterCsvRow {
  std::size_t line = 0;  // 1-based, in the file as an editor numbers it (the header is a line)
  // Spelling::csv_column; the key is "" when the column is absent or empty (the import decides
  // whether a key is made), valve unset when empty.
  AddMeter request;
};

struct MeterCsv {
  std::vector<std::string> columns;  // the header's columns, as kMeterCsvColumns names them
  std::vector<MeterCsvRow> rows;     // the rows without a problem, in the file's order
  ImportProblems problems;
  bool has_column(std::string_view name) const;
};

// Reads a meter list. Problems stop the reading only where the rest cannot be read (a file over
// the limit, a bad header, too many rows); otherwise every line is read, so one run shows them
// all (up to limits.max_problems).
MeterCsv parse_meter_csv(std::string_view text, const MeterCsvLimits& limits = {});

}  // namespace ml::server::usecase
