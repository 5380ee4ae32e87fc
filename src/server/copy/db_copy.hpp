// `meterlogger-server db copy`: moves a whole installation from one database to another, SQLite
// to PostgreSQL or back (docs/server.md, "Moving between SQLite and PostgreSQL").
//
// - The destination is opened as a store (created and migrated to this version's schema); the
//   source must be at this version's schema already (it is only read).
// - Every table of the schema is copied, the list and the columns taken from the source's
//   catalogue (sqlite_master, pg_catalog: the migrations' bookkeeping and the month partitions of
//   samples left out) and checked against the destination's: a new migration needs no change
//   here. Values go as text, NULL stays NULL, a BLOB is a BYTEA on PostgreSQL; ids are copied as
//   they are (PostgreSQL's identity sequences are moved past them afterwards).
// - Rows go in primary-key order (text in byte order), in chunks of one transaction each,
//   inserted with ON CONFLICT DO NOTHING. An interrupted copy resumes: the destination's rows of
//   a table must be the first rows of the source's (same count and checksum), and the copy goes
//   on after them. A destination holding anything else (another installation) is refused; rows a
//   new database holds already (counters' samples_stored = 0) are replaced.
// - At the end every table's row count and checksum (SHA-256 over each row's columns in key
//   order, computed here alike for both backends) are compared.
//
// The source must not be written meanwhile (stop `run` and `serve`): the copy reads one snapshot
// of it, and rows written after it would be missing from the destination.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server::copy {

// One table compared between the two databases.
struct TableCheck {
  std::string table;
  std::int64_t source_rows = 0;
  std::int64_t destination_rows = 0;
  std::string source_checksum;  // SHA-256, hex
  std::string destination_checksum;
  std::int64_t copied = 0;  // rows this run inserted
  bool ok() const {
    return source_rows == destination_rows && source_checksum == destination_checksum;
  }
};

struct CopyReport {
  std::vector<TableCheck> tables;  // in the order they were copied
  std::int64_t rows_copied = 0;    // by this run
  double copy_seconds = 0;         // copying, without the final verification
  double seconds = 0;              // the whole run
  bool ok() const;
  // The tables whose counts or checksums differ.
  std::vector<std::string> mismatched() const;
};

struct CopyProgress {
  std::string_view table;
  std::int64_t rows = 0;   // the table's rows in the destination now
  std::int64_t total = 0;  // the table's rows in the source
  bool finished = false;   // the table is done
};

struct CopyOptions {
  std::size_t chunk_rows = 5000;  // rows per transaction
  // Called after every chunk's commit and when a table is done. Returning false stops the copy
  // there, as an interruption would (the tests'; a later copy resumes).
  std::function<bool(const CopyProgress&)> progress;
};

// True for a PostgreSQL URL (postgresql://, postgres://); anything else is a SQLite path.
bool is_postgresql(std::string_view database);
// The database as messages name it: the path, or the URL without its password.
std::string display_name(const std::string& database);

// Copies `from` into `to` (each a SQLite path or a PostgreSQL URL) and compares them. An error
// when the copy cannot be made (the source at another schema version, a destination with other
// data, a database error, stopped by CopyOptions::progress); a report whose ok() is false when
// the copy was made but the two differ.
core::Result<CopyReport> copy_database(const std::string& from, const std::string& to,
                                       const CopyOptions& options = {});

// Compares every table of `a` and `b` (both at this version's schema) by count and checksum,
// copying nothing.
core::Result<CopyReport> compare_databases(const std::string& a, const std::string& b);

}  // namespace ml::server::copy
