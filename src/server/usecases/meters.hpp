// The meter registry's use cases, shared by `meterlogger-server meters` and the HTTP API
// (POST /api/meters, GET /api/meters/{serial}; docs/api.md, docs/server.md): a request in, a
// core::Result out. Who may do it (roles, groups) is the API's business, not theirs.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "server/ledger.hpp"
#include "server/store.hpp"
#include "server/usecases/spelling.hpp"

namespace ml::server::usecase {

// A meter's settings as given. Adding: an empty kind is core::meter::kDefaultKind, one of key
// and generate_key is required. Updating: an empty text and a missing valve leave the setting as
// it is; key and generate_key are optional, never both.
struct MeterFields {
  std::string key;  // 32 hex digits
  bool generate_key = false;
  std::string kind;  // core::meter::kind_names()
  std::string name;
  std::string group;
  std::string setup_value;  // kWh, an exact non-negative decimal
  std::optional<bool> valve;
};

struct AddMeter {
  std::string serial;  // any spelling of a serial (core::topic::Serial): kept canonical
  MeterFields fields;
  Spelling spelling = Spelling::json;
};

// A meter ready to store, and the key made for it (shown once; "" when the key was given).
struct NewMeter {
  Meter meter;
  std::string generated_key;
};

// Checks the request and makes the key (platform::random_bytes) when asked to; stores nothing.
// Errors (Errc::invalid_argument) name the field as `spelling` writes it.
core::Result<NewMeter> build_meter(const AddMeter& request, std::int64_t now);

// Stores a built meter: Errc::invalid_argument when its serial is a meter already.
core::Status add_meter(ServerStore& store, const NewMeter& meter);

struct UpdateMeter {
  std::string serial;  // canonical
  MeterFields fields;
  Spelling spelling = Spelling::json;
};

// Changes the given settings of a meter ("no meter <serial>" when there is none). The result
// holds the key made when generate_key was asked for.
core::Result<NewMeter> update_meter(ServerStore& store, const UpdateMeter& request);

// Removes a meter; its samples, events, payments and audit entries stay. Its pending commands
// (queued or sent) are given up (expired) in the same transaction: without the meter's key they
// can never be sent. Returns how many were given up.
core::Result<int> remove_meter(ServerStore& store, const std::string& serial);

// The samples the time left is estimated from: the first of the 24 hours before the newest
// sample, and the newest (none before the first sample).
core::Result<std::vector<StoredSample>> rate_window(ServerStore& store, const std::string& serial);
// rate_window of each of `meters`, by serial, in one read of the rows for the meters whose newest
// sample is from today (UTC: no sample of their window can be packed yet, docs/server.md "Packed
// days") and rate_window for each of the others.
core::Result<std::unordered_map<std::string, std::vector<StoredSample>>> rate_windows(
    ServerStore& store, const std::vector<Meter>& meters, std::int64_t now);

// What `meters show` prints of a meter: its settings, latest diagnostics (passwords masked),
// prepaid state and the messages naming it that were rejected (a wrong key shows as bad_mac).
struct MeterReport {
  Meter meter;
  std::map<std::string, Diagnostic> diagnostics;  // fn -> value, time
  std::string paid;
  std::string open_until;
  Remaining remaining;  // at the rate of the last 24 hours (rate_window)
  std::vector<SerialRejection> rejected;
};
// "no meter <serial>" (Errc::invalid_argument) when there is none.
core::Result<MeterReport> show_meter(ServerStore& store, const std::string& serial);

}  // namespace ml::server::usecase
