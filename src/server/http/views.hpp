// What the HTTP API shows (docs/api.md): a meter with its latest values and prepaid state, the
// chart series, the ledger, and the CSV exports. Read-only; the callers give each
// request its own store connection (api.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/alarm/lifecycle.hpp"
#include "core/decimal.hpp"
#include "core/result.hpp"
#include "server/estimate.hpp"
#include "server/store.hpp"
#include "server/usecases/estimates.hpp"

namespace ml::server::http {

// A meter as the list shows it. `offline_after_s`: no message for this long is offline. The
// estimate's daily history comes from `cache` when given.
core::Result<nlohmann::ordered_json> meter_view(ServerStore& store, const Meter& meter,
                                                std::int64_t now, int offline_after_s,
                                                bool can_admin,
                                                usecase::DailyUseCache* cache = nullptr);

// What meter_view reads of a meter beyond its row (the estimate's history aside).
struct MeterReads {
  std::map<std::string, Diagnostic> diagnostics;
  std::vector<Payment> payments;
  std::vector<StoredSample> window;  // usecase::rate_window
};
// Every one of `meters`' reads, by serial, in one read each of the diagnostics, the ledgers and
// the rate windows (usecase::rate_windows) for the whole fleet: the fleet summary's reading.
core::Result<std::unordered_map<std::string, MeterReads>> read_every_meter(
    ServerStore& store, const std::vector<Meter>& meters, std::int64_t now);
// meter_view from what was read of the meter.
core::Result<nlohmann::ordered_json> meter_view(ServerStore& store, const Meter& meter,
                                                const MeterReads& reads, std::int64_t now,
                                                int offline_after_s, bool can_admin,
                                                usecase::DailyUseCache* cache);

// The estimate's fields of a meter (docs/api.md): days_left (2 decimals, string), closes_at
// (unix seconds), beyond_horizon, method, rate_kw (3 decimals, string; null for water).
void add_estimate(nlohmann::ordered_json& j, const estimate::Estimate& e, bool water);

// An open alarm as GET /api/alarms and GET /api/attention list it: the state with its rule's name
// and severity (warning when the rule is gone) and its meter's name and group ("" when gone).
nlohmann::ordered_json open_alarm_view(const core::alarm::State& s, const AlarmRule* rule,
                                       const std::string& name, const std::string& group);

enum class Resolution : std::uint8_t { raw, hour, day };
// "raw", "hour", "day"; "auto" (or empty) picks by the span: raw up to 3 days, hourly up to 400
// days, daily beyond.
core::Result<Resolution> pick_resolution(std::string_view name, std::int64_t from, std::int64_t to);
const char* resolution_name(Resolution r);

// A raw series holds at most this many samples; a range with more is answered from the hourly
// rollups (daily beyond 400 days), and its "resolution" says so.
inline constexpr std::size_t kMaxRawPoints = 10000;

// The chart columns as JSON text (numbers with the stored exact digits).
core::Result<std::string> series_json(ServerStore& store, const Meter& meter, std::int64_t from,
                                      std::int64_t to, Resolution resolution);

// The ledger, oldest first, each entry with what it credits and the total after it.
core::Result<nlohmann::ordered_json> payments_view(ServerStore& store, const Meter& meter);

// Stored samples as CSV (`meterlogger-server export`, /samples.csv): the header line, then the
// rows, appended page by page when streamed.
std::string samples_csv(const std::vector<StoredSample>& rows);
std::string samples_csv_header();
void append_samples_csv(const std::vector<StoredSample>& rows, std::string& out);

// energy.csv written page by page: samples in time order, the ledger read once at the start.
class EnergyCsv {
 public:
  static core::Result<EnergyCsv> make(const Meter& meter, std::vector<Payment> entries);
  std::string header() const;
  core::Status append(const std::vector<StoredSample>& rows, std::string& out);

 private:
  EnergyCsv() = default;
  bool water_ = false;
  core::Decimal setup_;
  std::vector<Payment> entries_;
  std::vector<Payment> active_;  // paid as of the last row's time
  std::size_t next_entry_ = 0;
  core::Decimal total_;
};
// time,energy_kwh,since_setup_kwh,paid_kwh,remaining_kwh per sample (water: m3).
core::Result<std::string> energy_csv(ServerStore& store, const Meter& meter, std::int64_t from,
                                     std::int64_t to);

}  // namespace ml::server::http
