// Registering many meters at once (`meterlogger-server meters import`, docs/server.md,
// "Importing meters"): a meter list (meter_csv.hpp) checked whole, then stored whole.
//
// All or nothing, in two steps:
// - plan_meter_import checks every row as `meters add` checks one (build_meter: one place for
//   the rules), and that no serial is in the file twice or a meter already (serials compare as
//   numbers: 40 and 0000040 are one). It stores nothing, so a dry run is the plan alone.
// - import_meters adds the planned meters and one audit entry ("meter.import") in one
//   transaction: a failure (a meter added meanwhile, a full disk) leaves the registry as it was.
//   One transaction and few statements (MeterStore::add_meters) make it fast: 100 000 meters in
//   seconds, not one commit or one round trip each.
// Keys made for rows without one are in the plan (NewMeter::generated_key) for the caller to hand
// to the operator; they are never in a problem's text or the audit entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"
#include "server/usecases/meter_csv.hpp"
#include "server/usecases/meters.hpp"
#include "server/usecases/users.hpp"

namespace ml::server::usecase {

struct MeterImportOptions {
  // A row with an empty key (or a file without a key column) gets a new random key; otherwise
  // such a row is a problem.
  bool generate_keys = false;
  std::int64_t now = 0;  // the meters' creation time
};

struct MeterImportPlan {
  std::vector<NewMeter> meters;  // every row of the file, in its order, when problems is empty
  ImportProblems problems;       // the file's and the rows'
};

// Checks a read meter list against the rules and the registry; stores nothing. An error only
// when the store cannot be read.
core::Result<MeterImportPlan> plan_meter_import(ServerStore& store, MeterCsv csv,
                                                const MeterImportOptions& options);

// Adds `meters` (a plan without problems) and the audit entry of `actor` in one transaction;
// `source` names the file in the entry. Errc::invalid_argument naming the serial when one is a
// meter already; nothing is stored then.
core::Status import_meters(ServerStore& store, const std::vector<NewMeter>& meters,
                           const Actor& actor, const std::string& source, std::int64_t now);

// "heat 800, water 200": how many of each kind, in the order of core::meter::kKinds, kinds
// without meters left out ("none" when there are no meters).
std::string kind_counts(const std::vector<NewMeter>& meters);

}  // namespace ml::server::usecase
