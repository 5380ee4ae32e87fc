// Ingest: device messages from the broker into the store, losing none.
//
// The durable subscriber (QoS 1, persistent session, stable client id) hands each message over;
// it is verified and opened with its meter's key, checked, parsed, and stored in a batch: one
// transaction for what one read from the socket brought (at most batch_max messages); only then
// is it acknowledged to the broker. A kill at any moment leaves
// every unacknowledged message with the broker, which sends it again; storing is idempotent
// (UNIQUE(serial, time) for samples, newest-wins for diagnostics), so nothing is lost and nothing
// is stored twice. A message that is rejected is counted by reason, quarantined, and
// acknowledged: bad input is never retried forever and never changes anything else. A message
// larger than the server accepts is rejected the same way (too_large, its start quarantined).
// While the database is unavailable (a lost PostgreSQL connection) nothing is quarantined and
// nothing acknowledged: the messages are held and stored once it is back.
//
// Rejections are visible while they happen: each is counted by serial in the store (`meters
// show`, the API) and logged with the serial and the likely cause ("bad MAC: wrong key?"), one
// line per serial and reason a minute and a summary of the rest (platform/log/summary_log.hpp).
//
// Last wills (/offline/v1/<serial>) carry no MAC: a will for a serial that is not a meter is
// ignored, and a meter's will is one event when it goes offline, none while it stays offline;
// the meter's next authentic message makes it online again.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "platform/log/summary_log.hpp"
#include "platform/mqtt/durable_subscriber.hpp"
#include "server/config.hpp"
#include "server/store.hpp"

namespace ml::server {

// An opened reply from a device, for the command queue's acknowledgement matching.
struct DeviceReply {
  std::string serial;
  std::string function;
  std::string text;
  std::int64_t time = 0;
};

struct IngestCounters {
  std::uint64_t stored = 0;
  std::uint64_t duplicates = 0;
  std::uint64_t older_ignored = 0;
  std::uint64_t events = 0;
  std::uint64_t wills_ignored = 0;                // for unknown serials, or meters already offline
  std::map<std::string, std::uint64_t> rejected;  // by reason
  std::uint64_t batches = 0;
};

// The topic filters the server subscribes to: every function of the table
// (core::topic::kDeviceFunctions: samples and every reply), and the last will; with a
// `shared_group`, as MQTT shared subscriptions ($share/<group>/<filter>).
std::vector<core::mqtt::Subscription> ingest_subscriptions(const std::string& shared_group = "");

class Ingest {
 public:
  using Now = std::function<std::int64_t()>;
  Ingest(asio::any_io_executor executor, ServerStore& store, const ServerConfig& config, Now now);
  ~Ingest();

  core::Status start();
  void stop();  // stores what is batched, then disconnects

  // Called for every opened reply (not samples), after it is stored.
  void on_reply(std::function<void(const DeviceReply&)> handler) { on_reply_ = std::move(handler); }
  // Called for every sample stored (not duplicates), after its transaction committed; it must
  // not block (server/homeassistant.hpp queues and returns).
  void on_sample(std::function<void(const IngestItem&)> handler) {
    on_sample_ = std::move(handler);
  }
  const IngestCounters& counters() const { return counters_; }
  const platform::DurableSubscriberStats& mqtt_stats() const { return subscriber_.stats(); }

 private:
  struct Pending {
    IngestItem item;
    platform::ReceivedMessage message;
  };
  void on_message(platform::ReceivedMessage m);
  void reject(const platform::ReceivedMessage& m, const std::string& serial,
              const std::string& reason, const std::string& detail);
  void flush_log();
  struct CachedKey;
  // The meter's keys (nullptr: not a meter); an error only when the database is unavailable.
  core::Result<const CachedKey*> keys_for(const std::string& serial);
  // Opens a message with the meter's key or, during a key change, with the next key; the first
  // message that opens only with the next one finishes the change (server/key_change.hpp).
  core::Result<core::envelope::Opened> open_with(const CachedKey& keys, const std::string& serial,
                                                 const platform::ReceivedMessage& m);
  void flush();
  // The database is unavailable (a lost PostgreSQL connection): the batch goes back, nothing is
  // acknowledged, and flush tries again after a back-off (1 s doubling to 30 s).
  void hold(std::vector<Pending> batch, const core::Error& why);

  ServerStore& store_;
  const ServerConfig& config_;
  Now now_;
  platform::DurableSubscriber subscriber_;
  std::vector<Pending> batch_;
  std::vector<platform::ReceivedMessage> unopened_;  // held while the database is unavailable
  struct CachedKey {
    std::optional<core::envelope::Keys> keys;
    std::chrono::steady_clock::time_point loaded;
    std::optional<core::envelope::Keys> next;  // a key change under way
    std::string next_hex;
  };
  std::unordered_map<std::string, CachedKey> keys_;
  IngestCounters counters_;
  std::function<void(const DeviceReply&)> on_reply_;
  std::function<void(const IngestItem&)> on_sample_;
  platform::log::SummaryLog rejections_log_{platform::log::Level::warning};
  asio::steady_timer log_timer_;
  asio::steady_timer retry_timer_;
  std::chrono::seconds retry_after_{0};  // 0: not holding
};

// What a rejection reason most likely means, for the log: "bad MAC: wrong key?".
std::string rejection_hint(const std::string& reason);

}  // namespace ml::server
