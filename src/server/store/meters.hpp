// The meters the server knows, with their keys: a focused part of the server's store
// (server/store.hpp). A backend only persists them; what a meter may be is checked by the use
// cases (server/usecases/meters.hpp).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "core/decimal.hpp"
#include "core/meter/kind.hpp"
#include "core/result.hpp"

namespace ml::server {

struct Meter {
  std::string serial;
  std::string key_hex;                                 // the 16-byte master key as 32 hex digits
  std::string name;                                    // name or address
  core::meter::Kind kind = core::meter::kDefaultKind;  // stored by its name (kind.hpp)
  std::string group;
  core::Decimal setup_value;  // the energy register at installation, kWh
  bool valve_installed = false;
  std::int64_t last_sample_time = 0;  // 0: no sample yet
  std::int64_t created = 0;
  // When its last will came (server time), 0 when an authentic message has come since: the
  // will is not authenticated (v1 has no MAC), so the next authentic message overrides it.
  std::int64_t offline_since = 0;
  // The customer to tell (prepaid notices): optional; written by set_meter_contact
  // (store/notifications.hpp), not by update_meter.
  std::string contact_name{};
  std::string contact_email{};
  std::string contact_phone{};
  // A key change under way (docs/security.md, "Changing a key"): the key sent with set_key, which
  // ingest also tries, and when the change began; "" and 0 when none. Written by set_next_key and
  // promote_next_key, not by update_meter.
  std::string next_key_hex{};
  std::int64_t next_key_since = 0;
};

// A meter's keys alone (Meter::key_hex and next_key_hex), for ingest, which reads every meter's
// at once (server/ingest.hpp).
struct MeterKeys {
  std::string serial;
  std::string key_hex;
  std::string next_key_hex;  // "" when no key change is under way
};

class MeterStore {
 public:
  virtual ~MeterStore() = default;
  virtual core::Status add_meter(const Meter& meter) = 0;  // Errc::invalid_argument if it exists
  // Adds every meter of `meters` or none (one transaction; a savepoint inside an open one), in
  // few statements: 100 000 meters in seconds (`meters import`, usecases/meter_import.hpp).
  // Errc::invalid_argument naming a serial that is a meter already (or twice in `meters`).
  virtual core::Status add_meters(std::span<const Meter> meters) = 0;
  virtual core::Status update_meter(const Meter& meter) = 0;
  virtual core::Status remove_meter(const std::string& serial) = 0;  // its data stays
  virtual core::Result<std::optional<Meter>> meter(const std::string& serial) = 0;
  virtual core::Result<std::vector<Meter>> meters() = 0;
  // Every meter's keys, in no particular order: one light read of 100 000 meters.
  virtual core::Result<std::vector<MeterKeys>> meter_keys() = 0;

  // ---- key changes (server/key_change.hpp) ----
  // Records the key a meter is being moved to ("" ends the change without moving).
  virtual core::Status set_next_key(const std::string& serial, const std::string& next_key_hex,
                                    std::int64_t since) = 0;
  // Makes the next key the meter's key, if it is still `next_key_hex`: true when it did.
  virtual core::Result<bool> promote_next_key(const std::string& serial,
                                              const std::string& next_key_hex) = 0;

  // ---- a meter's seen state (the rules that call these: server/store_ingest.hpp) ----
  // Marks the meter offline since `time` unless it is offline already (or unknown): true when
  // it was online.
  virtual core::Result<bool> mark_offline(const std::string& serial, std::int64_t time) = 0;
  // An authentic message came: the meter is online (offline_since 0).
  virtual core::Status mark_online(const std::string& serial) = 0;
  // Moves last_sample_time forward to `time` (never back).
  virtual core::Status sample_seen(const std::string& serial, std::int64_t time) = 0;
  // The same for a batch (store_ingest.hpp): a backend may do each in one statement; these
  // defaults call the ones above.
  // mark_online for each serial.
  virtual core::Status mark_all_online(const std::vector<std::string>& serials) {
    for (const auto& serial : serials)
      ML_TRY(mark_online(serial));
    return core::Ok{};
  }
  // sample_seen for each (serial, time); a serial appears once.
  virtual core::Status samples_seen(
      const std::vector<std::pair<std::string, std::int64_t>>& newest) {
    for (const auto& [serial, time] : newest)
      ML_TRY(sample_seen(serial, time));
    return core::Ok{};
  }
};

}  // namespace ml::server
