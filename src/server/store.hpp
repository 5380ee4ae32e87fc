// The server's storage, behind an interface: SQLite (sqlite_store.hpp) is the embedded default;
// a PostgreSQL backend implements the same interface later. Every write that belongs together
// is one transaction; a duplicate delivery is stored once.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/sample/sample.hpp"

namespace ml::server {

// kind: heat | water | electricity
struct Meter {
  std::string serial;
  std::string key_hex;  // the 16-byte master key as 32 hex digits
  std::string name;     // name or address
  std::string kind = "heat";
  std::string group;
  std::string setup_value = "0";  // the energy register at installation, kWh, exact
  bool valve_installed = false;
  std::int64_t last_sample_time = 0;  // 0: no sample yet
  std::int64_t created = 0;
};

// Sample keys of spec §6 stored as columns (exact text; NULL when absent or NaN).
inline constexpr std::string_view kSampleKeys[] = {"heap",  "t1",      "t2", "t3", "tdif",
                                                   "flow1", "effect1", "hr", "v1", "e1"};

struct StoredSample {
  std::string serial;
  std::int64_t time = 0;
  std::map<std::string, std::optional<std::string>> values;  // key -> exact text (nullopt: NaN)
  std::map<std::string, std::string> units;                  // key -> unit as sent
  std::optional<std::string> energy_kwh;                     // normalised, exact
  std::optional<std::string> volume_m3;
};

// One message from a device, already verified and opened, to store.
struct IngestItem {
  enum class Kind : std::uint8_t { sample, diagnostic, event } kind = Kind::sample;
  std::string serial;
  std::int64_t time = 0;              // the topic time (server time for offline)
  std::string function;               // "sample", a reply name, "offline"
  std::string text;                   // the opened text
  core::sample::ParsedSample sample;  // for kind sample
};

// What happened to one item.
enum class IngestOutcome : std::uint8_t { stored, duplicate, older_ignored, event_logged };

// A message that was not stored, with why (counted by reason; the message kept for a look).
struct Rejection {
  std::string reason;  // unknown_serial, bad_mac, implausible_time, bad_text, ...
  std::string topic;
  std::string detail;
  std::vector<std::uint8_t> payload;
  std::int64_t time = 0;
};

struct Rollup {
  std::string serial;
  std::int64_t bucket = 0;  // unix seconds at the bucket's start (UTC hour or day)
  std::int64_t samples = 0;
  std::int64_t first_time = 0;
  std::int64_t last_time = 0;
  std::optional<std::string> energy_first, energy_last;  // kWh at first_time / last_time
  std::optional<std::string> volume_first, volume_last;  // m3
  // Exact sums and counts of the averaged fields (average = sum / count).
  std::map<std::string, std::pair<std::string, std::int64_t>> sums;  // t1, t2, tdif, flow1, effect1
};

enum class Period : std::uint8_t { hour, day };

class ServerStore {
 public:
  virtual ~ServerStore() = default;

  // ---- meters ----
  virtual core::Status add_meter(const Meter& meter) = 0;  // Errc::invalid_argument if it exists
  virtual core::Status update_meter(const Meter& meter) = 0;
  virtual core::Status remove_meter(const std::string& serial) = 0;  // its data stays
  virtual core::Result<std::optional<Meter>> meter(const std::string& serial) = 0;
  virtual core::Result<std::vector<Meter>> meters() = 0;
  // The newest value of each diagnostic reply (version, status, uptime, ...) with its time.
  virtual core::Result<std::map<std::string, std::pair<std::string, std::int64_t>>> diagnostics(
      const std::string& serial) = 0;

  // ---- ingest ----
  // Stores the items in one transaction, updating last seen, diagnostics (only when newer) and
  // the rollups of every bucket a new sample falls in. Outcomes in the items' order.
  virtual core::Result<std::vector<IngestOutcome>> ingest(const std::vector<IngestItem>& items,
                                                          std::int64_t now) = 0;
  virtual core::Status reject(const Rejection& rejection) = 0;
  virtual core::Result<std::map<std::string, std::int64_t>> rejection_counts() = 0;

  // ---- reading ----
  virtual core::Result<std::vector<StoredSample>> samples(const std::string& serial,
                                                          std::int64_t from, std::int64_t to) = 0;
  virtual core::Result<std::vector<Rollup>> rollups(const std::string& serial, Period period,
                                                    std::int64_t from, std::int64_t to) = 0;
  // Events (offline, reset_reason, valve changes, ...), oldest first.
  struct Event {
    std::int64_t time;
    std::string kind;
    std::string detail;
  };
  virtual core::Result<std::vector<Event>> events(const std::string& serial) = 0;
};

}  // namespace ml::server
