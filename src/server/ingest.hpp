// Ingest: device messages into the store, losing none.
//
// The message pipeline (IngestPipeline) takes each message, verifies and opens it with its
// meter's key, checks and parses it, and stores it in a batch: one transaction for at most
// batch_max messages, or for what its source had at once (flush); only then does it acknowledge
// it to the source. The source is the broker in `run` (Ingest, below: the durable subscriber, QoS
// 1, persistent session, stable client id; a message is acknowledged to the broker only once
// stored) or a capture file in `ingest --from` (server/capture.hpp): one pipeline, so a message
// is stored the same way whichever way it came. A kill at any moment leaves
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
#include <unordered_set>
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

// `run` takes the device messages in two lanes, each with a broker session, a thread and a
// database connection of its own: the samples with the last wills, and the replies to commands.
// A reply would otherwise wait behind the samples at every step (the broker's in-flight window of
// the one session, the socket, the batch, the thread), and a command's round trip would follow
// the samples' lag under load.
enum class IngestLane { samples, replies };

// The topic filters a lane subscribes to, together every function of the table
// (core::topic::kDeviceFunctions) and the last will: samples, /sample/v2/# and /offline/v1/#;
// replies, every other function. With a `shared_group`, as MQTT shared subscriptions
// ($share/<group>/<filter>).
std::vector<core::mqtt::Subscription> ingest_subscriptions(IngestLane lane,
                                                           const std::string& shared_group = "");

// The largest message the server accepts whole (the subscriber's max_packet); a larger one is
// rejected as too_large.
inline constexpr std::size_t kMaxMessageSize = 256 * 1024;

// The pipeline from a message to the store, whatever brought the message. Everything runs on
// the executor's thread; the hold's retry timer and the rejection log's summary run there too.
class IngestPipeline {
 public:
  using Now = std::function<std::int64_t()>;
  // The message is stored (or rejected and recorded, or not for us): the source may let it go.
  using Acknowledge = std::function<void(const platform::ReceivedMessage&)>;
  IngestPipeline(asio::any_io_executor executor, ServerStore& store, const ServerConfig& config,
                 Now now, Acknowledge acknowledge);
  ~IngestPipeline();
  IngestPipeline(const IngestPipeline&) = delete;
  IngestPipeline& operator=(const IngestPipeline&) = delete;

  void start();  // the rejection log's periodic summary
  // One message: opened and batched (a full batch is stored), or rejected, or held.
  void take(platform::ReceivedMessage m);
  // Stores the batch and acknowledges it (unless holding: the retry timer does it then).
  void flush();
  void stop();  // stores what is batched; the timers end
  // The database is unavailable: messages are held unacknowledged until it is back.
  bool holding() const { return retry_after_.count() != 0; }

  // Called with the opened replies (not samples) of each batch, after they are stored: once a
  // batch, so that their confirmations are one transaction.
  using Replies = std::function<void(const std::vector<DeviceReply>&)>;
  void on_replies(Replies handler) { on_replies_ = std::move(handler); }
  // Called with the meters heard again in a batch (an authentic message stored) after their
  // last will was stored here: the sender sends what it held for them.
  using Back = std::function<void(const std::vector<std::string>&)>;
  void on_back(Back handler) { on_back_ = std::move(handler); }
  // Called for every sample stored (not duplicates), after its transaction committed; it must
  // not block (server/homeassistant.hpp queues and returns).
  void on_sample(std::function<void(const IngestItem&)> handler) {
    on_sample_ = std::move(handler);
  }
  const IngestCounters& counters() const { return counters_; }

 private:
  void reject(const platform::ReceivedMessage& m, const std::string& serial,
              const std::string& reason, const std::string& detail);
  void flush_log();
  struct CachedKey;
  // The meter's keys (nullptr: not a meter); an error only when the database is unavailable.
  // Every meter's keys are read in one go, again when kKeyCacheLife has passed: a fleet of
  // 100 000 meters sampling once a minute would otherwise have each sample's keys read alone.
  core::Result<const CachedKey*> keys_for(const std::string& serial);
  // The meter's keys read again (a meter added, or a key changed, by another process since they
  // were read) for a message that `arrived` then: nullptr when they were read for it, or read
  // again less than kKeyRecheck ago, or on any failure (the caller keeps what it had).
  const CachedKey* keys_again(const std::string& serial,
                              std::chrono::steady_clock::time_point arrived);
  // One meter's keys read now into the cache, or that it is no meter (nullptr: not a meter, or no
  // usable key).
  core::Result<const CachedKey*> read_keys(const std::string& serial);
  // A meter's cache entry (keys that do not parse are left out).
  static CachedKey cached_key(const std::string& key_hex, const std::string& next_key_hex,
                              std::chrono::steady_clock::time_point now);
  // Opens a message with the meter's key or, during a key change, with the next key; the first
  // message that opens only with the next one finishes the change (server/key_change.hpp).
  core::Result<core::envelope::Opened> open_with(const CachedKey& keys, const std::string& serial,
                                                 const platform::ReceivedMessage& m);
  // The database is unavailable (a lost PostgreSQL connection): the batch goes back, nothing is
  // acknowledged, and flush tries again after a back-off (1 s doubling to 30 s).
  void hold(std::vector<IngestItem> items, std::vector<platform::ReceivedMessage> messages,
            const core::Error& why);

  ServerStore& store_;
  const ServerConfig& config_;
  Now now_;
  Acknowledge acknowledge_;
  // The batch: items_[i] was opened from messages_[i] (parallel: the items go to the store as
  // they are, without a copy).
  std::vector<IngestItem> items_;
  std::vector<platform::ReceivedMessage> messages_;
  std::vector<platform::ReceivedMessage> unopened_;  // held while the database is unavailable
  struct CachedKey {
    std::optional<core::envelope::Keys> keys;
    std::chrono::steady_clock::time_point loaded;
    std::optional<core::envelope::Keys> next;  // a key change under way
    std::string next_hex;
  };
  std::unordered_map<std::string, CachedKey> keys_;      // every meter's, and those read since
  std::chrono::steady_clock::time_point keys_loaded_{};  // every meter's read (or never)
  std::size_t meters_read_ = 0;                          // how many meters that read found
  // When keys_again last read a serial's keys (bounded: serials come from the network).
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> rechecked_;
  core::envelope::Decryptor decryptor_;  // AES with the CPU's instructions
  IngestCounters counters_;
  Replies on_replies_;
  Back on_back_;
  std::unordered_set<std::string> gone_;  // meters whose last will this pipeline stored
  std::function<void(const IngestItem&)> on_sample_;
  platform::log::SummaryLog rejections_log_{platform::log::Level::warning};
  asio::steady_timer log_timer_;
  asio::steady_timer retry_timer_;
  std::chrono::seconds retry_after_{0};  // 0: not holding
  bool stopped_ = false;
};

// `run`'s ingest of one lane: the pipeline fed by the durable subscriber, a batch stored whenever
// what arrived from the socket has been handed over (on_idle), each message acknowledged to the
// broker.
// The samples lane's session has the configured client id, the replies lane's that id with
// "-replies"; the samples lane unsubscribes the replies' filters, which a session from before the
// lanes still holds (a reply the broker had queued for it then is stored and confirms its command
// all the same).
class Ingest {
 public:
  using Now = IngestPipeline::Now;
  Ingest(asio::any_io_executor executor, ServerStore& store, const ServerConfig& config, Now now,
         IngestLane lane);
  ~Ingest();

  core::Status start();
  void stop();  // stores what is batched, then disconnects

  // Called after every connection to the broker (its SUBSCRIBE sent).
  void on_connected(std::function<void()> handler) { on_connected_ = std::move(handler); }
  void on_replies(IngestPipeline::Replies handler) { pipeline_.on_replies(std::move(handler)); }
  void on_back(IngestPipeline::Back handler) { pipeline_.on_back(std::move(handler)); }
  void on_sample(std::function<void(const IngestItem&)> handler) {
    pipeline_.on_sample(std::move(handler));
  }
  const IngestCounters& counters() const { return pipeline_.counters(); }
  const platform::DurableSubscriberStats& mqtt_stats() const { return subscriber_.stats(); }

 private:
  const ServerConfig& config_;
  std::string name_;  // "ingest" or "ingest (replies)", for the log
  std::function<void()> on_connected_;
  platform::DurableSubscriber subscriber_;
  IngestPipeline pipeline_;  // after the subscriber: it acknowledges through it
};

// What a rejection reason most likely means, for the log: "bad MAC: wrong key?".
std::string rejection_hint(const std::string& reason);

}  // namespace ml::server
