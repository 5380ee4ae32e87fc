// `meterlogger-server import mlw`: brings a MeterLoggerWeb database (read as mysqldump output by
// mlw_dump.hpp) into the store, as docs/migrating.md describes: meters with their keys, groups,
// names, setup values and default prices; samples (their hourly and daily rollups built as ingest
// builds them, server/store_ingest.hpp); accounts as ledger entries (the same open_until as
// MeterLoggerWeb's trigger); the alarms the rule language can say (docs/alarms.md); the meters'
// SMS and e-mail contacts. Backend-neutral: it goes through ServerStore only.
//
// Resumable and idempotent: rows are handled in batches, each one write transaction that also
// records the highest primary key handled per table (store/imports.hpp); a row at or below it is
// skipped, a meter or sample already stored is skipped, so a second run imports nothing twice and
// an interrupted run continues where it stopped. A bad row is skipped and reported with its
// reason; it changes nothing else.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/mlw_dump.hpp"
#include "server/store.hpp"

namespace ml::server::mlw {

// The source name the progress is kept under (store/imports.hpp).
inline constexpr std::string_view kSource = "mlw";
// Who the ledger's audit log names for imported payments.
inline constexpr std::string_view kActor = "import mlw";

struct ImportOptions {
  std::int64_t now = 0;                // the import's time (audit log, receive time of samples)
  std::size_t batch = 2000;            // sample rows per transaction
  std::int64_t sample_limit = 0;       // stop after importing this many samples (0: no limit)
  std::size_t max_buffered = 2000000;  // rows of the small tables held until the samples start
};

// What happened to the rows of one kind.
struct KindCounts {
  std::int64_t imported = 0;
  std::int64_t skipped = 0;                      // already there (or handled by an earlier run)
  std::map<std::string, std::int64_t> rejected;  // not imported: reason -> rows
};

struct ImportReport {
  // By kind: "meters", "groups", "default prices", "samples", "payments", "alarm rules",
  // "contacts".
  std::map<std::string, KindCounts> kinds;
  // Rows of tables that are not imported: table -> rows.
  std::map<std::string, std::int64_t> tables_not_read;
  // One line per row not imported (the first kMaxDetails), e.g. "alarms id 17 (9999001): ...".
  std::vector<std::string> details;
  std::int64_t details_left_off = 0;
  bool stopped_at_limit = false;
};
inline constexpr std::size_t kMaxDetails = 200;

// Why a table of MeterLoggerWeb is not imported (docs/migrating.md): table, reason.
struct NotReadRow {
  std::string_view table;
  std::string_view reason;
};
std::string_view not_read_reason(std::string_view table);

// Imports every row `reader` gives; stops at the first error of the input (the rows committed
// before it stay, and a later run continues after them).
core::Result<ImportReport> import_dump(ServerStore& store, DumpReader& reader,
                                       const ImportOptions& options);

// The report as printed: counts per kind, the reasons, the tables not read, the details.
std::string format_report(const ImportReport& report);

// Translates a MeterLoggerWeb alarm condition ("$flow > 0 && $closed") into the rule language
// (docs/alarms.md), in canonical form; an error saying what has no counterpart. The delays are
// the alarm's valve_close_delay and leakage_delay in seconds.
core::Result<std::string> translate_condition(std::string_view condition,
                                              std::int64_t valve_close_delay,
                                              std::int64_t leakage_delay);

// MeterLoggerWeb's open_until for a meter, as its trigger computes it: amounts, prices and the
// setup value are FLOAT columns (IEEE single precision), the sum and quotients double precision,
// rows with price 0 left out. Given the values as the dump shows them; for the check in
// docs/migrating.md and the tests.
struct MlwAccount {
  std::string amount;
  std::string price;
};
double mlw_open_until(const std::vector<MlwAccount>& accounts, const std::string& setup_value);

}  // namespace ml::server::mlw
