// What `serve` reads from the store for GET /metrics (docs/metrics.md): aggregates only, so a
// scrape costs a few grouped queries whatever the number of meters, never a query per meter.
// Every label it returns comes from a bounded set: groups (named by the operator), rejection
// reasons (fixed by ingest), command and notification states, channels, alarm severities.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace ml::server {

// What the broker last said of itself on $SYS (server/broker_watch.hpp), kept by `run` for
// GET /metrics and the dashboard.
struct BrokerHealth {
  std::int64_t dropped = 0;    // $SYS/broker/publish/messages/dropped: since the broker started
  std::int64_t time = 0;       // when `run` read it (0: never)
  std::int64_t increased = 0;  // when `run` last saw it grow (0: never)
};

// The count of stored samples lives in the counters rows named "samples_stored" and
// "samples_stored:<k>": PostgreSQL keeps each connection's count in one of 16 such rows
// (PostgresStore), so that several ingest workers do not all wait for one row's lock in every
// batch; the count is their sum, on either backend (a `db copy` brings the rows along).
inline constexpr std::string_view kSamplesStoredCounter = "samples_stored";
inline constexpr int kSamplesStoredShards = 16;
inline bool counts_samples_stored(std::string_view name) {
  if (!name.starts_with(kSamplesStoredCounter)) return false;
  name.remove_prefix(kSamplesStoredCounter.size());
  return name.empty() || name.starts_with(':');
}

struct StoreMetrics {
  struct Group {
    std::string group;
    std::int64_t meters = 0;
    std::int64_t online = 0;  // seen (a sample or a reply) since `online_since`, no last will
  };
  std::vector<Group> groups;                         // by group name
  std::int64_t samples_stored = 0;                   // ever stored (a duplicate counts once)
  std::map<std::string, std::int64_t> rejected;      // messages rejected, by reason
  std::int64_t rejected_serials = 0;                 // serials in the per-serial rejection counts
  std::map<std::string, std::int64_t> commands;      // commands by state
  std::map<std::int64_t, std::int64_t> round_trips;  // seconds (reply - first send) -> commands
  std::map<std::pair<std::string, std::string>, std::int64_t> notifications;  // (channel, state)
  std::map<std::string, std::int64_t> open_alarms;                            // by severity
  std::int64_t newest_sample_time = 0;  // the newest sample's time of any meter; 0: none
  std::int64_t database_bytes = 0;
  BrokerHealth broker;  // time 0: the broker has not been heard on $SYS
};

class MetricsStore {
 public:
  virtual ~MetricsStore() = default;
  // The aggregates, on one snapshot. `online_since`: a meter seen at or after this time is
  // online (docs/server.md, [http] offline_after); `replied_since`: the round trips of the
  // commands answered at or after this time.
  virtual core::Result<StoreMetrics> store_metrics(std::int64_t online_since,
                                                   std::int64_t replied_since) = 0;
  virtual core::Status record_broker_health(const BrokerHealth& health) = 0;
  virtual core::Result<BrokerHealth> broker_health() = 0;  // all 0 when never recorded
};

}  // namespace ml::server
