// What the HTTP API shows (docs/api.md): a meter with its latest values and prepaid state, the
// chart series, the ledger, and the CSV exports. Read-only; the callers hold the store's lock.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server::http {

// A meter as the list shows it. `offline_after_s`: no message for this long is offline.
core::Result<nlohmann::ordered_json> meter_view(ServerStore& store, const Meter& meter,
                                                std::int64_t now, int offline_after_s,
                                                bool can_admin);

// The samples the time left is estimated from: the first of the 24 hours before the newest
// sample, and the newest (none before the first sample).
core::Result<std::vector<StoredSample>> rate_window(ServerStore& store, const std::string& serial);

enum class Resolution : std::uint8_t { raw, hour, day };
// "raw", "hour", "day"; "auto" (or empty) picks by the span: raw up to 3 days, hourly up to 400
// days, daily beyond.
core::Result<Resolution> pick_resolution(std::string_view name, std::int64_t from, std::int64_t to);
const char* resolution_name(Resolution r);

// The chart columns as JSON text (numbers with the stored exact digits).
core::Result<std::string> series_json(ServerStore& store, const Meter& meter, std::int64_t from,
                                      std::int64_t to, Resolution resolution);

// The ledger, oldest first, each entry with what it credits and the total after it.
core::Result<nlohmann::ordered_json> payments_view(ServerStore& store, const Meter& meter);

// Stored samples as CSV (`meterlogger-server export`, /samples.csv).
std::string samples_csv(const std::vector<StoredSample>& rows);
// time,energy_kwh,since_setup_kwh,paid_kwh,remaining_kwh per sample (water: m3).
core::Result<std::string> energy_csv(ServerStore& store, const Meter& meter, std::int64_t from,
                                     std::int64_t to);

}  // namespace ml::server::http
