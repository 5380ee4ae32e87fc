// The rules of storing what devices send, backend-neutral: what each verified message changes
// (a meter's seen state, samples and their rollups, diagnostics, events) and how a rejected
// message is counted and quarantined. A backend only persists (store/samples.hpp,
// store/meters.hpp); docs/server.md ("Ingest", "Storage") describes the rules.
#pragma once

#include <cstdint>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

// Quarantined messages kept (the oldest go first); their counts by reason are kept forever.
inline constexpr std::int64_t kQuarantineKept = 10000;
// Serials whose rejections are counted (the most recently rejected): serials come from the
// network. Checked at every 256th quarantined message.
inline constexpr std::int64_t kRejectionSerialsKept = 10000;
inline constexpr std::int64_t kRejectionSerialsCheckEvery = 256;

// Stores the items in one transaction, in order, with `now` the server's time:
// - a last will ("offline") makes one offline event, only when the meter was online; any other
//   (authentic) message marks the meter online;
// - events are logged;
// - a diagnostic reply is kept only when newer than the one kept; a change of `status` (the
//   valve) from a newer reply is a "valve" event ("open", then "open -> close"); reset_reason
//   and flash_error replies are events too;
// - a sample is stored once (a duplicate changes nothing), moves the meter's last sample time
//   forward and is added to its hour and day rollups (rollup.hpp).
// Outcomes in the items' order; on an error nothing is stored. The batch is written in few
// statements (the store's batch methods), with the same result as the items one by one.
core::Result<std::vector<IngestOutcome>> store_items(ServerStore& store,
                                                     const std::vector<IngestItem>& items,
                                                     std::int64_t now);

// Counts the rejection by reason (and by serial when it names one: the newest
// kRejectionSerialsKept serials are kept) and quarantines the message (the newest
// kQuarantineKept are kept), in one transaction.
core::Status store_rejection(ServerStore& store, const Rejection& rejection);

}  // namespace ml::server
