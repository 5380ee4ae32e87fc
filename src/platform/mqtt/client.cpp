#include "platform/mqtt/client.hpp"

#include <mosquitto.h>
#include <mqtt_protocol.h>
#include <sys/socket.h>

#include <algorithm>
#include <asio/post.hpp>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <condition_variable>
#include <fstream>
#include <mutex>
#include <random>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ml::platform {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::microseconds;
using std::chrono::milliseconds;

// How long one mosquitto_loop() call may wait for the socket. stop() wakes the loop at once
// (mosquitto_disconnect writes to libmosquitto's internal wake-up pipe); this bound only matters
// for the connect timeout and for a stop() that races with a reconnect.
constexpr int kLoopTimeoutMs = 200;
// After stop(): how long the DISCONNECT may take to leave.
constexpr auto kDisconnectGrace = milliseconds(1000);
// Largest payload MQTT can carry (remaining length limit, minus nothing we could know here).
constexpr std::size_t kMaxPayload = 268435455;
// Message ids are 16 bits and shared by every packet type: keep well below the wrap.
constexpr std::size_t kMaxUnacknowledgedLimit = 60000;

void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mosquitto_lib_init(); });
}

core::Error error(core::Errc code, std::string detail) {
  return core::make_error(code, std::move(detail));
}

// libmosquitto's sentences without their final full stop, to fit inside our messages.
std::string sentence(const char* text) {
  std::string s = text ? text : "";
  if (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

// libmosquitto's text for a return code; MOSQ_ERR_ERRNO means "see errno".
std::string mosq_text(int rc, int saved_errno) {
  if (rc == MOSQ_ERR_ERRNO) {
    if (saved_errno == 0) return "system call failed";
    return std::system_category().message(saved_errno);
  }
  return sentence(mosquitto_strerror(rc));
}

int protocol_number(MqttProtocol p) {
  switch (p) {
    case MqttProtocol::v31:
      return MQTT_PROTOCOL_V31;
    case MqttProtocol::v311:
      return MQTT_PROTOCOL_V311;
    case MqttProtocol::v5:
      return MQTT_PROTOCOL_V5;
  }
  return MQTT_PROTOCOL_V311;
}

bool readable(const std::string& path) {
  std::ifstream in(path);
  return in.good();
}

core::Status check_options(const MqttOptions& o) {
  auto bad = [](std::string what) { return error(core::Errc::invalid_argument, std::move(what)); };
  if (o.host.empty()) return bad("MQTT broker host is empty");
  if (o.port < 1 || o.port > 65535) return bad("MQTT broker port out of range");
  if (!o.clean_session && o.client_id.empty()) {
    return bad("an MQTT client id is required when clean_session is false");
  }
  if (o.client_id.size() > 65535) return bad("MQTT client id too long");
  if (o.keepalive.count() < 5 || o.keepalive.count() > 65535) {
    return bad("MQTT keepalive must be 5..65535 s");
  }
  if (o.password && !o.username) return bad("an MQTT password needs a username");
  if (o.max_inflight < 1 || o.max_inflight > 65535) return bad("max_inflight must be 1..65535");
  if (o.max_unacknowledged < 1 || o.max_unacknowledged > kMaxUnacknowledgedLimit) {
    return bad("max_unacknowledged must be 1.." + std::to_string(kMaxUnacknowledgedLimit));
  }
  if (o.connect_timeout.count() <= 0) return bad("connect_timeout must be positive");
  if (o.session_expiry.count() < 0 || o.session_expiry.count() > 0xFFFFFFFF) {
    return bad("session_expiry out of range");
  }
  const auto& b = o.backoff;
  if (b.initial.count() <= 0 || b.max < b.initial) {
    return bad("reconnect backoff needs 0 < initial <= max");
  }
  if (!(b.multiplier >= 1.0) || !(b.jitter >= 0.0 && b.jitter <= 1.0)) {
    return bad("reconnect backoff needs multiplier >= 1 and jitter in [0, 1]");
  }
  if (o.will) {
    if (o.will->qos < 0 || o.will->qos > 2) return bad("will QoS must be 0, 1 or 2");
    if (mosquitto_pub_topic_check2(o.will->topic.data(), o.will->topic.size()) !=
        MOSQ_ERR_SUCCESS) {
      return bad("invalid will topic \"" + o.will->topic + "\"");
    }
  }
  if (o.tls) {
    const auto& t = *o.tls;
    if (t.ca_file.empty() && t.ca_dir.empty()) return bad("TLS needs a CA file or a CA directory");
    if (t.cert_file.empty() != t.key_file.empty()) {
      return bad("a TLS client certificate needs its key, and a key its certificate");
    }
    for (const std::string* f : {&t.ca_file, &t.cert_file, &t.key_file}) {
      if (!f->empty() && !readable(*f)) return bad("cannot read TLS file " + *f);
    }
  }
  return core::Ok{};
}

}  // namespace

std::string_view mqtt_protocol_name(MqttProtocol protocol) {
  switch (protocol) {
    case MqttProtocol::v31:
      return "3.1";
    case MqttProtocol::v311:
      return "3.1.1";
    case MqttProtocol::v5:
      return "5";
  }
  return "?";
}

milliseconds backoff_delay(const MqttBackoff& backoff, unsigned attempt, double u) {
  const double initial = static_cast<double>(backoff.initial.count());
  const double cap = static_cast<double>(backoff.max.count());
  const double exponent = attempt > 0 ? static_cast<double>(attempt - 1) : 0.0;
  // pow may overflow to infinity for large attempts; min() then picks the cap.
  const double base = std::min(cap, initial * std::pow(backoff.multiplier, exponent));
  const double jitter = std::clamp(backoff.jitter, 0.0, 1.0);
  const double unit = std::clamp(u, 0.0, 1.0);
  const double delay = base * (1.0 - jitter * unit);
  return milliseconds(static_cast<std::int64_t>(std::llround(std::max(0.0, delay))));
}

// ---- state on the event loop -------------------------------------------------------------------

struct MqttClient::Loop {
  struct Pending {
    DoneHandler done;
    int qos = 0;
    SteadyClock::time_point published;
    bool published_connected = false;
    // QoS 2: pending when an accepted connection ended, so possibly past PUBREC (the broker
    // holds it, we only have to send PUBREL). If the next session is a new one, the broker may
    // have lost it: the final acknowledgement is then reported as done(false).
    bool exposed = false;
    bool doubtful = false;
  };

  explicit Loop(asio::any_io_executor ex) : executor(std::move(ex)) {}

  asio::any_io_executor executor;
  bool started = false;
  bool stopped = false;
  ConnectedHandler connected_handler;
  DisconnectedHandler disconnected_handler;
  MessageHandler message_handler;
  std::unordered_map<int, Pending> pending;
  MqttStats stats;

  void finish(Pending& p, bool delivered) {
    if (delivered) {
      ++stats.publishes_acknowledged;
    } else {
      ++stats.publishes_failed;
    }
    stats.unacknowledged = pending.size();
    if (p.done && !stopped) p.done(delivered);
  }

  void handle_connected(bool session_present) {
    stats.connected = true;
    ++stats.connects;
    for (auto& [mid, p] : pending) {
      if (p.exposed && !session_present) p.doubtful = true;
      p.exposed = false;
    }
    if (connected_handler) connected_handler(session_present);
  }

  void handle_down(const MqttDisconnect& info) {
    if (info.was_connected) {
      stats.connected = false;
      ++stats.disconnects;
      for (auto& [mid, p] : pending) {
        if (p.qos == 2) p.exposed = true;
      }
    } else {
      ++stats.connect_failures;
    }
    stats.last_error = info.reason;
    // QoS 0 messages not yet written are gone with the connection (libmosquitto drops its
    // packet queue when it reconnects).
    std::vector<Pending> lost;
    for (auto it = pending.begin(); it != pending.end();) {
      if (it->second.qos == 0) {
        lost.push_back(std::move(it->second));
        it = pending.erase(it);
      } else {
        ++it;
      }
    }
    for (auto& p : lost) {
      if (stopped) return;
      finish(p, false);
    }
    if (!stopped && disconnected_handler) disconnected_handler(info);
  }

  void handle_ack(int mid, int reason) {
    auto it = pending.find(mid);
    if (it == pending.end()) return;  // e.g. a QoS 0 message already failed by handle_down
    Pending p = std::move(it->second);
    pending.erase(it);
    const bool delivered = reason < 0x80 && !p.doubtful;
    if (delivered && p.qos > 0 && p.published_connected) {
      stats.ack_rtt = duration_cast<microseconds>(SteadyClock::now() - p.published);
    }
    finish(p, delivered);
  }

  void handle_message(const MqttMessage& message) {
    ++stats.messages_received;
    if (message_handler) message_handler(message);
  }
};

// ---- the network thread ------------------------------------------------------------------------

struct MqttClient::Network {
  struct Subscription {
    std::string filter;
    int qos = 0;
  };

  // How one connection or connection attempt ended.
  struct End {
    bool accepted = false;
    std::string reason;
  };

  Network(std::shared_ptr<Loop> loop_state, MqttOptions opts)
      : loop(std::move(loop_state)),
        options(std::move(opts)),
        broker(options.host + ":" + std::to_string(options.port)),
        rng(std::random_device{}()) {}

  ~Network() {
    request_stop();
    if (thread.joinable()) thread.join();
    if (mosq) mosquitto_destroy(mosq);
    if (connect_properties) mosquitto_property_free_all(&connect_properties);
  }

  std::shared_ptr<Loop> loop;
  const MqttOptions options;
  const std::string broker;
  mosquitto* mosq = nullptr;
  mosquitto_property* connect_properties = nullptr;
  std::thread thread;

  // stop request: set by the loop thread, read by the network thread.
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  bool stop_requested = false;
  std::atomic<bool> stopping{false};

  // Subscriptions, shared by subscribe() (loop thread) and the reconnect (network thread).
  std::mutex sub_mutex;
  std::vector<Subscription> subscriptions;
  std::unordered_map<int, std::string> subscribe_mids;

  // Library log lines: libmosquitto logs from whichever thread calls into it.
  std::mutex log_mutex;
  std::string log_error;  // last error/warning logged during the current attempt
  std::optional<SteadyClock::time_point> ping_sent;

  // Used on the network thread only.
  bool accepted = false;                 // CONNACK success in the current attempt
  std::string refusal;                   // CONNACK failure text in the current attempt
  std::optional<int> broker_disconnect;  // MQTT 5 DISCONNECT reason from the broker
  std::mt19937_64 rng;

  template <class F>
  void post(F&& f) {
    asio::post(loop->executor, [state = loop, f = std::forward<F>(f)]() mutable {
      if (!state->stopped) f(*state);
    });
  }

  core::Status configure() {
    init_library_once();
    errno = 0;
    mosq = mosquitto_new(options.client_id.empty() ? nullptr : options.client_id.c_str(),
                         options.clean_session, this);
    if (!mosq) {
      return error(core::Errc::mqtt_failure,
                   "cannot create the MQTT client: " + mosq_text(MOSQ_ERR_ERRNO, errno));
    }
    auto check = [this](int rc, std::string_view what) -> core::Status {
      if (rc == MOSQ_ERR_SUCCESS) return core::Ok{};
      return error(rc == MOSQ_ERR_NOMEM ? core::Errc::mqtt_failure : core::Errc::invalid_argument,
                   std::string(what) + " for " + broker + ": " + mosq_text(rc, errno));
    };
    mosquitto_threaded_set(mosq, true);
    core::Status st = check(
        mosquitto_int_option(mosq, MOSQ_OPT_PROTOCOL_VERSION, protocol_number(options.protocol)),
        "MQTT protocol version");
    if (!st) return st;
    st = check(
        mosquitto_int_option(mosq, MOSQ_OPT_SEND_MAXIMUM, static_cast<int>(options.max_inflight)),
        "MQTT in-flight limit");
    if (!st) return st;
    if (options.will) {
      const auto& w = *options.will;
      st = check(mosquitto_will_set(mosq, w.topic.c_str(), static_cast<int>(w.payload.size()),
                                    w.payload.data(), w.qos, w.retain),
                 "MQTT last will");
      if (!st) return st;
    }
    if (options.username) {
      st = check(mosquitto_username_pw_set(mosq, options.username->c_str(),
                                           options.password ? options.password->c_str() : nullptr),
                 "MQTT username/password");
      if (!st) return st;
    }
    if (options.tls) {
      const auto& t = *options.tls;
      auto opt = [](const std::string& s) { return s.empty() ? nullptr : s.c_str(); };
      st = check(mosquitto_tls_set(mosq, opt(t.ca_file), opt(t.ca_dir), opt(t.cert_file),
                                   opt(t.key_file), nullptr),
                 "MQTT TLS settings");
      if (!st) return st;
      st = check(mosquitto_tls_insecure_set(mosq, t.insecure), "MQTT TLS settings");
      if (!st) return st;
    }
    if (options.protocol == MqttProtocol::v5 && !options.clean_session) {
      st = check(
          mosquitto_property_add_int32(&connect_properties, MQTT_PROP_SESSION_EXPIRY_INTERVAL,
                                       static_cast<std::uint32_t>(options.session_expiry.count())),
          "MQTT session expiry");
      if (!st) return st;
    }
    mosquitto_connect_v5_callback_set(mosq, &Network::on_connect);
    mosquitto_disconnect_v5_callback_set(mosq, &Network::on_disconnect);
    mosquitto_publish_v5_callback_set(mosq, &Network::on_publish);
    mosquitto_message_v5_callback_set(mosq, &Network::on_message);
    mosquitto_subscribe_v5_callback_set(mosq, &Network::on_subscribe);
    mosquitto_log_callback_set(mosq, &Network::on_log);
    return core::Ok{};
  }

  core::Status start() {
    try {
      thread = std::thread([this] { run(); });
    } catch (const std::system_error& e) {
      return error(core::Errc::mqtt_failure,
                   "cannot start the MQTT thread for " + broker + ": " + e.what());
    }
    return core::Ok{};
  }

  // Loop thread. Wakes the network thread wherever it is: in the backoff wait (condition
  // variable) or in mosquitto_loop() (a DISCONNECT queued by mosquitto_disconnect wakes it).
  void request_stop() {
    {
      std::lock_guard lock(stop_mutex);
      if (stop_requested) return;
      stop_requested = true;
      stopping = true;
    }
    stop_cv.notify_all();
    if (mosq && thread.joinable()) mosquitto_disconnect(mosq);
  }

  // ---- network thread ----

  void run() {
    unsigned attempt = 0;  // ends since the last accepted connection
    bool first = true;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    while (!stopping) {
      End end = connect_and_serve(first);
      first = false;
      if (stopping) break;
      if (end.accepted) attempt = 0;
      ++attempt;
      MqttDisconnect info;
      info.reason = std::move(end.reason);
      info.was_connected = end.accepted;
      info.attempt = attempt;
      info.retry_in = backoff_delay(options.backoff, attempt, unit(rng));
      const auto delay = info.retry_in;
      post([info = std::move(info)](Loop& l) { l.handle_down(info); });
      std::unique_lock lock(stop_mutex);
      stop_cv.wait_for(lock, delay, [this] { return stop_requested; });
    }
    say_goodbye();
  }

  End connect_and_serve(bool first) {
    {
      std::lock_guard lock(log_mutex);
      log_error.clear();
      ping_sent.reset();
    }
    accepted = false;
    refusal.clear();
    broker_disconnect.reset();
    const auto started = SteadyClock::now();
    const int keepalive = static_cast<int>(options.keepalive.count());
    errno = 0;
    int rc;
    if (!first) {
      rc = mosquitto_reconnect_async(mosq);
    } else if (options.protocol == MqttProtocol::v5) {
      // The only way to give libmosquitto 2.0 CONNECT properties (the session expiry); it keeps
      // them for mosquitto_reconnect_async. This first attempt blocks for the TCP connect.
      rc = mosquitto_connect_bind_v5(mosq, options.host.c_str(), options.port, keepalive, nullptr,
                                     connect_properties);
    } else {
      rc = mosquitto_connect_bind_async(mosq, options.host.c_str(), options.port, keepalive,
                                        nullptr);
    }
    if (rc != MOSQ_ERR_SUCCESS) return End{false, describe(rc, errno)};
    while (!stopping) {
      errno = 0;
      rc = mosquitto_loop(mosq, kLoopTimeoutMs, 1);
      const int saved_errno = errno;
      if (stopping) break;
      if (rc != MOSQ_ERR_SUCCESS) {
        close_socket();
        return End{accepted, describe(rc, saved_errno)};
      }
      if (!accepted && SteadyClock::now() - started > options.connect_timeout) {
        close_socket();
        return End{false, "connect to " + broker + " failed: no CONNACK within " +
                              std::to_string(options.connect_timeout.count()) + " ms"};
      }
    }
    return End{accepted, "stopped"};
  }

  std::string describe(int rc, int saved_errno) {
    std::string detail;
    if (!refusal.empty()) {
      return "connect to " + broker + " refused by the broker: " + refusal;
    }
    if (broker_disconnect) {
      detail = "the broker disconnected: " + sentence(mosquitto_reason_string(*broker_disconnect));
    } else {
      detail = mosq_text(rc, saved_errno);
    }
    {
      std::lock_guard lock(log_mutex);
      if (!log_error.empty()) detail += " (" + log_error + ")";
    }
    return (accepted ? "connection to " + broker + " lost: "
                     : "connect to " + broker + " failed: ") +
           detail;
  }

  // Ends a connection from our side without DISCONNECT (timeouts, errors): libmosquitto sees the
  // end of the stream and closes the socket itself.
  void close_socket() {
    const int fd = mosquitto_socket(mosq);
    if (fd < 0) return;
    ::shutdown(fd, SHUT_RDWR);
    mosquitto_loop(mosq, 0, 1);
  }

  // stop(): a clean DISCONNECT, so the broker discards the will.
  void say_goodbye() {
    if (mosquitto_socket(mosq) < 0) return;
    mosquitto_disconnect(mosq);
    const auto deadline = SteadyClock::now() + kDisconnectGrace;
    while (mosquitto_socket(mosq) >= 0 && SteadyClock::now() < deadline) {
      if (mosquitto_loop(mosq, 50, 1) != MOSQ_ERR_SUCCESS) break;
    }
  }

  void subscribe_all() {
    std::lock_guard lock(sub_mutex);
    subscribe_mids.clear();
    for (const auto& s : subscriptions) {
      int mid = 0;
      if (mosquitto_subscribe(mosq, &mid, s.filter.c_str(), s.qos) == MOSQ_ERR_SUCCESS) {
        subscribe_mids[mid] = s.filter;
      }
    }
  }

  // ---- libmosquitto callbacks (network thread, except on_log) ----

  static Network& self(void* obj) { return *static_cast<Network*>(obj); }

  static void on_connect(mosquitto*, void* obj, int rc, int flags, const mosquitto_property*) {
    Network& n = self(obj);
    if (rc != 0) {
      n.refusal = sentence(n.options.protocol == MqttProtocol::v5 ? mosquitto_reason_string(rc)
                                                                  : mosquitto_connack_string(rc));
      return;
    }
    n.accepted = true;
    n.subscribe_all();
    const bool session_present = (flags & 1) != 0;
    n.post([session_present](Loop& l) { l.handle_connected(session_present); });
  }

  static void on_disconnect(mosquitto*, void* obj, int rc, const mosquitto_property*) {
    Network& n = self(obj);
    // MQTT 5 brokers say why they close a connection; the value is then a reason code (>= 0x80).
    if (n.options.protocol == MqttProtocol::v5 && rc >= 0x80) n.broker_disconnect = rc;
  }

  static void on_publish(mosquitto*, void* obj, int mid, int reason, const mosquitto_property*) {
    self(obj).post([mid, reason](Loop& l) { l.handle_ack(mid, reason); });
  }

  static void on_message(mosquitto*, void* obj, const mosquitto_message* m,
                         const mosquitto_property*) {
    MqttMessage message;
    message.topic = m->topic ? m->topic : "";
    const auto* p = static_cast<const std::uint8_t*>(m->payload);
    if (p && m->payloadlen > 0) message.payload.assign(p, p + m->payloadlen);
    message.qos = m->qos;
    message.retain = m->retain;
    self(obj).post([message = std::move(message)](Loop& l) { l.handle_message(message); });
  }

  static void on_subscribe(mosquitto*, void* obj, int mid, int count, const int* granted,
                           const mosquitto_property*) {
    Network& n = self(obj);
    std::string filter;
    {
      std::lock_guard lock(n.sub_mutex);
      auto it = n.subscribe_mids.find(mid);
      if (it == n.subscribe_mids.end()) return;
      filter = std::move(it->second);
      n.subscribe_mids.erase(it);
    }
    if (count >= 1 && granted[0] >= 0x80) {
      std::string text = "subscription to \"" + filter + "\" refused by " + n.broker;
      n.post([text = std::move(text)](Loop& l) { l.stats.last_error = text; });
    }
  }

  static void on_log(mosquitto*, void* obj, int level, const char* text) {
    Network& n = self(obj);
    const std::string_view line(text ? text : "");
    if (level & (MOSQ_LOG_ERR | MOSQ_LOG_WARNING)) {
      std::lock_guard lock(n.log_mutex);
      n.log_error = line;
      return;
    }
    if (!(level & MOSQ_LOG_DEBUG)) return;
    if (line.ends_with("sending PINGREQ")) {
      std::lock_guard lock(n.log_mutex);
      n.ping_sent = SteadyClock::now();
    } else if (line.ends_with("received PINGRESP")) {
      std::optional<SteadyClock::time_point> sent;
      {
        std::lock_guard lock(n.log_mutex);
        sent = std::exchange(n.ping_sent, std::nullopt);
      }
      if (!sent) return;
      const auto rtt = duration_cast<microseconds>(SteadyClock::now() - *sent);
      n.post([rtt](Loop& l) { l.stats.ping_rtt = rtt; });
    }
  }
};

// ---- MqttClient --------------------------------------------------------------------------------

MqttClient::MqttClient(asio::any_io_executor executor, MqttOptions options)
    : loop_(std::make_shared<Loop>(std::move(executor))),
      net_(std::make_unique<Network>(loop_, std::move(options))) {}

MqttClient::~MqttClient() {
  stop();
}

void MqttClient::on_connected(ConnectedHandler handler) {
  loop_->connected_handler = std::move(handler);
}

void MqttClient::on_disconnected(DisconnectedHandler handler) {
  loop_->disconnected_handler = std::move(handler);
}

void MqttClient::on_message(MessageHandler handler) {
  loop_->message_handler = std::move(handler);
}

core::Status MqttClient::start() {
  if (loop_->started || loop_->stopped) {
    return error(core::Errc::mqtt_stopped, "the client for " + broker() + " was started before");
  }
  if (auto st = check_options(net_->options); !st) return st;
  if (auto st = net_->configure(); !st) return st;
  if (auto st = net_->start(); !st) return st;
  loop_->started = true;
  return core::Ok{};
}

void MqttClient::stop() {
  if (loop_->stopped) return;
  loop_->stopped = true;
  loop_->stats.connected = false;
  net_->request_stop();
  if (net_->thread.joinable()) net_->thread.join();
  // Pending done() handlers are dropped uncalled (the contract); the map may be in use by a
  // handler that called stop(), so it is swapped out rather than cleared in place.
  auto dropped = std::move(loop_->pending);
  loop_->pending.clear();
  loop_->stats.unacknowledged = 0;
}

core::Status MqttClient::publish(std::string_view topic, core::ByteView payload, int qos,
                                 bool retain, DoneHandler done) {
  const std::string where = "publish to " + std::string(topic);
  if (!loop_->started || loop_->stopped) {
    return error(core::Errc::mqtt_stopped,
                 where + ": the client for " + broker() +
                     (loop_->stopped ? " is stopped" : " is not started"));
  }
  if (qos < 0 || qos > 2) return error(core::Errc::invalid_argument, where + ": QoS must be 0..2");
  if (payload.size() > kMaxPayload) {
    return error(core::Errc::invalid_argument, where + ": payload too large");
  }
  if (loop_->pending.size() >= net_->options.max_unacknowledged) {
    return error(core::Errc::mqtt_queue_full, where + ": " + std::to_string(loop_->pending.size()) +
                                                  " messages wait for acknowledgement from " +
                                                  broker());
  }
  if (qos == 0 && !loop_->stats.connected) {
    return error(core::Errc::mqtt_not_connected, where + ": not connected to " + broker());
  }
  const std::string topic_z(topic);
  int mid = 0;
  const int rc =
      mosquitto_publish_v5(net_->mosq, &mid, topic_z.c_str(), static_cast<int>(payload.size()),
                           payload.data(), qos, retain, nullptr);
  // A QoS 1/2 message published without a connection is still queued by libmosquitto (it
  // returns MOSQ_ERR_NO_CONN nonetheless) and sent after the next CONNACK.
  const bool queued = rc == MOSQ_ERR_SUCCESS || (rc == MOSQ_ERR_NO_CONN && qos > 0);
  if (!queued) {
    if (rc == MOSQ_ERR_NO_CONN) {
      return error(core::Errc::mqtt_not_connected, where + ": not connected to " + broker());
    }
    const auto code =
        rc == MOSQ_ERR_NOMEM ? core::Errc::mqtt_failure : core::Errc::invalid_argument;
    return error(code, where + ": " + mosq_text(rc, errno));
  }
  // Message ids wrap after 65535 packets; max_unacknowledged keeps the pending ones fewer, so an
  // id still pending here means something went badly wrong: end the old one rather than lose it.
  if (auto old = loop_->pending.find(mid); old != loop_->pending.end()) {
    Loop::Pending stale = std::move(old->second);
    loop_->pending.erase(old);
    loop_->finish(stale, false);
  }
  Loop::Pending p;
  p.done = std::move(done);
  p.qos = qos;
  p.published = SteadyClock::now();
  p.published_connected = loop_->stats.connected;
  loop_->pending[mid] = std::move(p);
  ++loop_->stats.publishes_sent;
  loop_->stats.unacknowledged = loop_->pending.size();
  return core::Ok{};
}

core::Status MqttClient::subscribe(std::string_view filter, int qos) {
  const std::string filter_z(filter);
  if (loop_->stopped) {
    return error(core::Errc::mqtt_stopped, "subscribe to " + filter_z + ": client stopped");
  }
  if (qos < 0 || qos > 2) {
    return error(core::Errc::invalid_argument, "subscribe to " + filter_z + ": QoS must be 0..2");
  }
  if (mosquitto_sub_topic_check2(filter_z.data(), filter_z.size()) != MOSQ_ERR_SUCCESS) {
    return error(core::Errc::invalid_argument, "invalid topic filter \"" + filter_z + "\"");
  }
  std::lock_guard lock(net_->sub_mutex);
  auto& subs = net_->subscriptions;
  auto it =
      std::find_if(subs.begin(), subs.end(), [&](const auto& s) { return s.filter == filter; });
  if (it == subs.end()) {
    subs.push_back({filter_z, qos});
  } else {
    it->qos = qos;
  }
  // Not started or not connected: the next CONNACK subscribes. Connected (or connecting): now.
  int mid = 0;
  if (loop_->started &&
      mosquitto_subscribe(net_->mosq, &mid, filter_z.c_str(), qos) == MOSQ_ERR_SUCCESS) {
    net_->subscribe_mids[mid] = filter_z;
  }
  return core::Ok{};
}

core::Status MqttClient::unsubscribe(std::string_view filter) {
  const std::string filter_z(filter);
  if (loop_->stopped) {
    return error(core::Errc::mqtt_stopped, "unsubscribe from " + filter_z + ": client stopped");
  }
  std::lock_guard lock(net_->sub_mutex);
  std::erase_if(net_->subscriptions, [&](const auto& s) { return s.filter == filter; });
  int mid = 0;
  if (loop_->started) mosquitto_unsubscribe(net_->mosq, &mid, filter_z.c_str());
  return core::Ok{};
}

bool MqttClient::connected() const {
  return loop_->stats.connected;
}

MqttStats MqttClient::stats() const {
  MqttStats s = loop_->stats;
  s.unacknowledged = loop_->pending.size();
  return s;
}

const MqttOptions& MqttClient::options() const {
  return net_->options;
}

std::string MqttClient::broker() const {
  return net_->broker;
}

}  // namespace ml::platform
