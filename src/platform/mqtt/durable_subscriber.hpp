// An MQTT 3.1.1 subscriber that acknowledges a message only when the application says it has
// stored it. libmosquitto (2.0) sends PUBACK/PUBREC before it calls on_message, so a process
// killed between the two loses a message the broker has already let go of; the server must lose
// nothing, so its ingest uses this client instead (the packets are core/mqtt/packet.hpp).
//
// With a persistent session (clean session off, a stable client id) the broker keeps every
// message that was not acknowledged and sends it again after a reconnect: whatever the
// application had not acknowledged when the connection ended or the process died arrives again
// (flagged dup). Storage must therefore be idempotent (the server's UNIQUE(serial, time)).
//
// A PUBLISH larger than max_packet is not kept whole (nor does it end the connection, which the
// broker would answer by sending it again, for ever): its topic and the start of its payload are
// handed over flagged `truncated`, with its full size, and the rest is read and thrown away. The
// application records it and acknowledges it like any other message.
//
// TLS (options.tls): the broker's certificate must chain to the CA and name `host` (unless
// insecure); a client certificate is sent when one is given. A failed handshake ends the attempt
// with OpenSSL's reason ("certificate has expired", "the certificate does not name HOST", ...) and
// is retried with the backoff like any other failed attempt.
//
// Threading: everything, callbacks included, runs on the executor's one thread.
#pragma once

#include <asio/any_io_executor.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/mqtt/packet.hpp"
#include "core/result.hpp"
#include "platform/mqtt/client.hpp"

namespace ml::platform {

struct DurableSubscriberOptions {
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string client_id;  // required: the broker keeps the session under it
  std::vector<core::mqtt::Subscription> subscriptions;
  // Filters the session may hold from an earlier version of its program that this one no longer
  // wants: unsubscribed after every SUBSCRIBE (a filter the session does not hold is no error).
  // Messages the broker had queued for them before may still arrive once.
  std::vector<std::string> unsubscriptions;
  std::chrono::seconds keepalive{60};
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::optional<MqttTls> tls;
  // A larger PUBLISH is handed over truncated; any other larger packet ends the connection.
  std::size_t max_packet = 256 * 1024;
  std::chrono::milliseconds connect_timeout{10000};
  MqttBackoff backoff;
};

// The connection settings of `client` (host, port, client id, keepalive, login, TLS, connect
// timeout, backoff) for a subscriber: one place decides how a program reaches its broker.
DurableSubscriberOptions durable_options(const MqttOptions& client);

struct ReceivedMessage {
  std::string topic;
  core::Bytes payload;
  std::uint8_t qos = 0;
  bool dup = false;  // the broker may have sent it before
  // What acknowledge() needs: the packet id on the connection it came on.
  std::uint16_t packet_id = 0;
  std::uint64_t connection = 0;
  // Larger than max_packet: `payload` holds only its start; `size` is the whole packet's.
  bool truncated = false;
  std::size_t size = 0;  // the PUBLISH's remaining length
};

struct DurableSubscriberStats {
  bool connected = false;
  std::uint64_t connects = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t received = 0;
  std::uint64_t oversize = 0;  // handed over truncated
  std::uint64_t acknowledged = 0;
  std::uint64_t acks_dropped = 0;  // for a connection that had ended: the broker sends again
  std::uint64_t unsubscribed = 0;  // UNSUBACKs: the broker let go of the unsubscriptions
  std::string last_error;
};

class DurableSubscriber {
 public:
  using MessageHandler = std::function<void(ReceivedMessage)>;
  using ConnectedHandler = std::function<void(bool session_present)>;
  using DisconnectedHandler = std::function<void(const std::string& reason)>;

  DurableSubscriber(asio::any_io_executor executor, DurableSubscriberOptions options);
  ~DurableSubscriber();  // stop()
  DurableSubscriber(const DurableSubscriber&) = delete;
  DurableSubscriber& operator=(const DurableSubscriber&) = delete;

  void on_message(MessageHandler handler);
  void on_connected(ConnectedHandler handler);
  void on_disconnected(DisconnectedHandler handler);
  // After the messages read from the socket have been handed over and nothing more has arrived
  // (TlsLink::more_waiting): a good moment to store a batch and acknowledge it.
  void on_idle(std::function<void()> handler);

  // Checks the options (client id, subscriptions, the TLS files) and starts connecting.
  core::Status start();
  // Sends DISCONNECT when connected and closes. Unacknowledged messages stay with the broker.
  void stop();

  // The message is stored: PUBACK (QoS 1) or PUBREC (QoS 2) goes to the broker. QoS 0 needs
  // nothing. An acknowledgement for an earlier connection is dropped: the broker sends the
  // message again on the new one.
  void acknowledge(const ReceivedMessage& message);

  const DurableSubscriberStats& stats() const;

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace ml::platform
