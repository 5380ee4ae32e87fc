// Packing old days of samples, backend-neutral (docs/server.md, "Storage": packed days).
//
// A sample is first stored in its own row (`samples`). Once its UTC day ended `after_days` days
// ago (at least kPackMinAgeDays), pack_samples() moves the day's rows of each meter into one
// packed day (`sample_days`, server/sample_pack.hpp), in one transaction per meter and day: the
// rows are read, merged with the day packed before (a late sample that came after the day was
// packed), written as one value and deleted. Nothing else changes: the rollups, counters and
// every read (SampleStore's samples, samples_page, ... merge both places) give the same.
//
// A sample is stored once whichever place holds it: ingest checks a sample older than a day
// (may_be_packed) against its packed day (packed_already) in the batch's transaction, holding
// the meter's row (SampleStore::lock_meters) as pack_samples does, so a day is never packed and
// checked at once.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

inline constexpr int kPackMinAgeDays = 2;

// Whether a sample at `time` may be in a packed day when the server's time is `now`: older than
// a day (a day less than the youngest packed day's age, for clocks that differ between hosts).
bool may_be_packed(std::int64_t time, std::int64_t now);

struct PackReport {
  std::int64_t meters = 0;   // meters with a day packed
  std::int64_t days = 0;     // meter-days written
  std::int64_t samples = 0;  // rows moved into packed days
  std::int64_t bytes = 0;    // the packed values written
  bool finished = true;      // false: stopped by `more` before the end
};

// Packs every meter's days that ended `after_days` (kPackMinAgeDays or more) days or longer
// before the start of `now`'s day. `more` is asked before each day (false stops: a later run
// goes on). An error stops it; what was packed before stays packed.
core::Result<PackReport> pack_samples(
    ServerStore& store, std::int64_t now, int after_days,
    const std::function<bool()>& more = [] { return true; });

// For each record (oldest first within a serial or not), whether a packed day holds its serial
// and time already: a late duplicate. Only records that may_be_packed() are looked up, in one
// read, their meters locked first (lock_meters). Call inside the transaction that inserts them.
core::Result<std::vector<bool>> packed_already(SampleStore& store,
                                               const std::vector<SampleRecord>& records,
                                               std::int64_t now);

}  // namespace ml::server
