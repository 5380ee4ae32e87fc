// An MQTT client for a program built around one Asio event loop, over libmosquitto.
//
// libmosquitto's network loop runs in a thread the client owns; it connects, reconnects with
// exponential backoff and random jitter, and hands everything it learns to the event loop with
// asio::post. Every callback therefore runs on the loop's executor, never on the network thread,
// and none runs after stop() has returned or the client has been destroyed. docs/mqtt.md
// describes the guarantees in prose; the comments below are the contract.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "platform/mqtt/tls.hpp"

namespace ml::platform {

enum class MqttProtocol : std::uint8_t { v31, v311, v5 };

std::string_view mqtt_protocol_name(MqttProtocol protocol);  // "3.1", "3.1.1", "5"

// Published by the broker on our behalf when the connection ends without a DISCONNECT.
struct MqttWill {
  std::string topic;
  core::Bytes payload;
  int qos = 0;
  bool retain = false;
};

// Delay before reconnect attempt n (n = 1 after the first failure):
//   base(n) = min(initial * multiplier^(n-1), max)
//   delay   = base(n) * (1 - jitter * u),  u uniform in [0, 1)
// jitter 0 gives the plain exponential sequence, 1 gives "full jitter" in [0, base), the default
// 0.5 gives [base/2, base). The delay never exceeds `max`. The attempt counter starts again
// after a connection that the broker accepted (CONNACK success).
struct MqttBackoff {
  std::chrono::milliseconds initial{1000};
  std::chrono::milliseconds max{60000};
  double multiplier = 2.0;
  double jitter = 0.5;
};

// The formula above, for attempt `attempt` (>= 1) and a random `u` in [0, 1).
std::chrono::milliseconds backoff_delay(const MqttBackoff& backoff, unsigned attempt, double u);

struct MqttOptions {
  std::string host = "127.0.0.1";  // name or address; resolved again on every attempt
  int port = 1883;
  std::string client_id;  // required when clean_session is false
  bool clean_session = false;
  std::chrono::seconds keepalive{60};  // >= 5 s
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<MqttTls> tls;
  std::optional<MqttWill> will;
  MqttProtocol protocol = MqttProtocol::v311;
  // MQTT 5 with clean_session false: how long the broker keeps the session after a connection
  // ends (MQTT 3.1/3.1.1 sessions have no expiry in the protocol).
  std::chrono::seconds session_expiry{0xFFFFFFFF};
  // QoS 1/2 PUBLISHes on the wire at once; libmosquitto holds further ones until acknowledgements
  // free a slot.
  unsigned max_inflight = 20;
  // Publishes accepted by publish() whose done() has not been called yet. publish() refuses more
  // (Errc::mqtt_queue_full), so memory stays bounded while the broker is slow or away. 1..60000.
  std::size_t max_unacknowledged = 1000;
  // A connection attempt that has no CONNACK after this long is abandoned (and backed off).
  std::chrono::milliseconds connect_timeout{20000};
  MqttBackoff backoff;
};

struct MqttMessage {
  std::string topic;
  core::Bytes payload;
  int qos = 0;
  bool retain = false;
};

// Why a connection or a connection attempt ended, and what happens next.
struct MqttDisconnect {
  // "connect to 127.0.0.1:1883 failed: Connection refused",
  // "connection to 127.0.0.1:1883 lost: The connection was lost"
  std::string reason;
  bool was_connected = false;  // true: an accepted connection ended; false: an attempt failed
  // n in the backoff formula: 1 for the first end since start() or since the last accepted
  // connection (so 1 for every lost connection), then 2, 3, ... while attempts keep failing.
  unsigned attempt = 0;
  std::chrono::milliseconds retry_in{0};  // the (jittered) delay before the next attempt
};

struct MqttStats {
  bool connected = false;
  std::uint64_t connects = 0;          // accepted connections (CONNACK success)
  std::uint64_t disconnects = 0;       // accepted connections that ended (not counting stop())
  std::uint64_t connect_failures = 0;  // attempts that never reached an accepted connection
  std::uint64_t publishes_sent = 0;    // accepted by publish()
  std::uint64_t publishes_acknowledged = 0;  // done(true)
  std::uint64_t publishes_failed = 0;        // done(false)
  std::uint64_t messages_received = 0;
  std::size_t unacknowledged = 0;  // accepted and not yet done
  // The last reason a connection or an attempt ended (or a subscription was refused), or "".
  std::string last_error;
  // Broker round trip: PINGREQ to PINGRESP (sent after `keepalive` without other traffic).
  std::optional<std::chrono::microseconds> ping_rtt;
  // publish() to the broker's PUBACK/PUBCOMP, for the last QoS 1/2 message published while
  // connected (includes time spent behind other messages in the in-flight window).
  std::optional<std::chrono::microseconds> ack_rtt;
};

// Threading: construct, call every member and destroy the client on the thread that runs the
// executor's event loop (one thread, or a strand). Callbacks are invoked there too. Destroy the
// client before the io_context.
class MqttClient {
 public:
  using ConnectedHandler = std::function<void(bool session_present)>;
  using DisconnectedHandler = std::function<void(const MqttDisconnect&)>;
  using MessageHandler = std::function<void(const MqttMessage&)>;
  using DoneHandler = std::function<void(bool delivered)>;

  MqttClient(asio::any_io_executor executor, MqttOptions options);
  ~MqttClient();  // stop()
  MqttClient(const MqttClient&) = delete;
  MqttClient& operator=(const MqttClient&) = delete;

  // Set before start(). on_connected runs after every accepted connection (session_present as
  // reported by the broker); on_disconnected after every lost connection and every failed
  // attempt; on_message for every message received on a subscription.
  void on_connected(ConnectedHandler handler);
  void on_disconnected(DisconnectedHandler handler);
  void on_message(MessageHandler handler);

  // Checks the options and starts connecting in the background. Errors: invalid options
  // (Errc::invalid_argument, e.g. a TLS file that cannot be read), started twice.
  core::Status start();

  // Sends DISCONNECT (so the broker discards the will), closes the connection and joins the
  // network thread. Idempotent. After it returns no callback of this client runs any more; the
  // done() of publishes still pending is never called (they count as not acknowledged). Returns
  // promptly, also during a backoff wait; two blocking calls inside libmosquitto are waited for:
  // a DNS lookup of the broker's name and the first TCP connect of an MQTT 5 client.
  void stop();

  // Queues a message. On success done(delivered) is called exactly once on the executor (unless
  // stop() comes first):
  //   QoS 0: true when the PUBLISH was written to the socket; false when the connection ended
  //          first.
  //   QoS 1/2: true when the broker acknowledged it (PUBACK / PUBCOMP, with an MQTT 5 reason code
  //          below 0x80). A message still unacknowledged when a connection ends is kept and sent
  //          again after the reconnect (libmosquitto, clean_session false), so it still ends in
  //          exactly one done(). false when the broker refused it (MQTT 5 reason >= 0x80), or for
  //          a QoS 2 message that was in flight when the connection ended and the broker then
  //          reports a new session (session_present false): the broker may have lost it.
  // QoS 1/2 messages may be published while disconnected: they wait (in memory) for the next
  // connection. QoS 0 messages are refused while disconnected (Errc::mqtt_not_connected).
  // Errors, with no done() call: mqtt_not_connected, mqtt_queue_full (max_unacknowledged
  // reached; retry later), mqtt_stopped, invalid_argument (topic, QoS, payload size).
  core::Status publish(std::string_view topic, core::ByteView payload, int qos, bool retain,
                       DoneHandler done = {});

  // Adds a subscription (also before start()). The client subscribes at once if connected, and
  // again after every reconnect (whatever the broker says about its session), until
  // unsubscribe(). Errors: invalid_argument (filter, QoS), mqtt_stopped.
  core::Status subscribe(std::string_view filter, int qos);
  core::Status unsubscribe(std::string_view filter);

  bool connected() const;
  MqttStats stats() const;
  const MqttOptions& options() const;
  // "127.0.0.1:1883", as error messages name the broker.
  std::string broker() const;

 private:
  struct Loop;     // state owned by the event loop (shared with posted handlers)
  struct Network;  // the network thread and the libmosquitto handle

  std::shared_ptr<Loop> loop_;
  std::unique_ptr<Network> net_;
};

}  // namespace ml::platform
