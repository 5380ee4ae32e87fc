#include "platform/mqtt/durable_subscriber.hpp"

#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/connect.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <deque>
#include <random>
#include <variant>

#include "platform/mqtt/tls_link.hpp"

namespace ml::platform {
namespace {

namespace mqtt = core::mqtt;
using asio::use_awaitable;
constexpr auto kTuple = asio::experimental::as_tuple(use_awaitable);

}  // namespace

DurableSubscriberOptions durable_options(const MqttOptions& client) {
  DurableSubscriberOptions o;
  o.host = client.host;
  o.port = client.port;
  o.client_id = client.client_id;
  o.keepalive = client.keepalive;
  o.username = client.username;
  o.password = client.password;
  o.tls = client.tls;
  o.connect_timeout = client.connect_timeout;
  o.backoff = client.backoff;
  return o;
}

struct DurableSubscriber::State : std::enable_shared_from_this<State> {
  State(asio::any_io_executor executor, DurableSubscriberOptions options)
      : ex(std::move(executor)), o(std::move(options)), timer(ex), ping_timer(ex), deadline(ex) {}

  asio::any_io_executor ex;
  DurableSubscriberOptions o;
  MessageHandler on_message;
  ConnectedHandler on_connected;
  DisconnectedHandler on_disconnected;
  std::function<void()> on_idle;
  DurableSubscriberStats stats;
  bool started = false;
  bool stopping = false;

  std::shared_ptr<asio::ssl::context> tls;  // set when the options ask for TLS
  std::shared_ptr<TlsLink> socket;          // the current connection's
  std::uint64_t connection = 0;             // counts accepted connections
  bool accepted = false;                    // CONNACK received on `socket`
  std::deque<core::Bytes> out;
  bool writing = false;
  bool ping_outstanding = false;
  asio::steady_timer timer;       // backoff waits
  asio::steady_timer ping_timer;  // keepalive
  asio::steady_timer deadline;    // connect timeout
  std::mt19937_64 rng{std::random_device{}()};

  void close(const std::string& why) {
    ping_timer.cancel();
    deadline.cancel();
    if (socket && socket->tcp().is_open()) {
      if (stats.last_error.empty() || !why.empty()) stats.last_error = why;
      asio::error_code ignored;
      socket->tcp().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
      socket->tcp().close(ignored);
    }
  }

  // Queues bytes for the current connection; one write at a time, in order.
  void send(core::Bytes bytes) {
    if (!socket || !socket->tcp().is_open()) return;
    out.push_back(std::move(bytes));
    if (writing) return;
    writing = true;
    asio::co_spawn(ex, writer(shared_from_this(), socket), asio::detached);
  }

  static asio::awaitable<void> writer(std::shared_ptr<State> s, std::shared_ptr<TlsLink> sock) {
    while (!s->out.empty() && sock == s->socket) {
      // Everything queued goes in one write: a stored batch's PUBACKs (hundreds of 4-byte
      // packets) in one system call, and a PINGREQ behind them with them.
      core::Bytes bytes = std::move(s->out.front());
      s->out.pop_front();
      while (!s->out.empty()) {
        bytes.insert(bytes.end(), s->out.front().begin(), s->out.front().end());
        s->out.pop_front();
      }
      auto [ec, n] = co_await sock->write(asio::buffer(bytes), kTuple);
      if (ec) {
        s->close("write failed: " + ec.message());
        break;
      }
    }
    if (sock == s->socket) {
      s->writing = false;
    }
  }

  // Sends PINGREQ every 3/4 keepalive; no packet at all from the broker (a PINGRESP or any
  // other) by the next one ends the connection.
  static asio::awaitable<void> pinger(std::shared_ptr<State> s, std::shared_ptr<TlsLink> sock) {
    const auto period =
        std::chrono::duration_cast<std::chrono::milliseconds>(s->o.keepalive) * 3 / 4;
    while (sock == s->socket && sock->tcp().is_open()) {
      s->ping_timer.expires_after(period);
      auto [ec] = co_await s->ping_timer.async_wait(kTuple);
      if (ec || sock != s->socket || !sock->tcp().is_open()) co_return;
      if (s->ping_outstanding) {
        s->close("no PINGRESP within the keepalive");
        co_return;
      }
      s->ping_outstanding = true;
      s->send(mqtt::encode_pingreq());
    }
  }

  // One connection, from connect to its end; returns why it ended.
  static asio::awaitable<std::string> session(std::shared_ptr<State> s) {
    auto sock = std::make_shared<TlsLink>(s->ex, s->tls.get());
    s->socket = sock;
    s->accepted = false;
    s->out.clear();
    s->writing = false;
    s->ping_outstanding = false;
    const std::string where = s->o.host + ":" + std::to_string(s->o.port);

    // The connect timeout: closing the socket ends whatever is pending.
    s->deadline.expires_after(s->o.connect_timeout);
    s->deadline.async_wait([s, sock](const asio::error_code& ec) {
      if (!ec && !s->accepted && sock == s->socket) s->close("");
    });

    asio::ip::tcp::resolver resolver(s->ex);
    auto [rec, endpoints] =
        co_await resolver.async_resolve(s->o.host, std::to_string(s->o.port), kTuple);
    if (rec) co_return "cannot resolve " + s->o.host + ": " + rec.message();
    auto [cec, ep] = co_await asio::async_connect(sock->tcp(), endpoints, kTuple);
    if (cec) co_return "connect to " + where + " failed: " + cec.message();
    sock->tcp().set_option(asio::ip::tcp::no_delay(true));
    if (sock->secure) {
      const std::string failed = co_await sock->handshake(s->o.host, s->o.tls->insecure);
      if (!failed.empty()) co_return "TLS handshake with " + where + " failed: " + failed;
    }

    mqtt::Connect c;
    c.client_id = s->o.client_id;
    c.clean_session = false;
    c.keepalive_s = static_cast<std::uint16_t>(s->o.keepalive.count());
    c.username = s->o.username;
    c.password = s->o.password;
    auto connect = mqtt::encode_connect(c);
    if (!connect) co_return connect.error().message();
    s->send(std::move(connect).value());

    core::Bytes buffer;
    std::array<std::uint8_t, 16384> chunk{};
    bool subscribed = false;
    std::size_t skip = 0;  // bytes of an oversize PUBLISH still to be thrown away
    for (;;) {
      // Every whole packet in the buffer, then read more.
      for (;;) {
        if (skip > 0) {
          const std::size_t n = std::min(skip, buffer.size());
          buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
          skip -= n;
          if (skip > 0) break;
        }
        auto header = mqtt::parse_fixed_header(buffer, mqtt::kMaxRemainingLength);
        if (!header) {
          s->close("");
          co_return "from " + where + ": " + header.error().message();
        }
        if (!*header) break;
        const auto& h = **header;
        if (h.remaining_length > s->o.max_packet) {
          if (h.type != mqtt::PacketType::publish || !s->accepted) {
            s->close("");
            co_return "from " + where + ": a packet of " + std::to_string(h.remaining_length) +
                " bytes (at most " + std::to_string(s->o.max_packet) + " are accepted)";
          }
          // Its topic and the start of its payload; the rest is thrown away as it arrives.
          const std::size_t head = std::min({h.remaining_length - 1, mqtt::kPublishHeadSize,
                                             std::max<std::size_t>(s->o.max_packet, 64)});
          if (buffer.size() < h.header_size + head) break;
          auto p =
              mqtt::decode_publish_head(h, core::ByteView(buffer.data() + h.header_size, head));
          buffer.erase(buffer.begin(),
                       buffer.begin() + static_cast<std::ptrdiff_t>(h.header_size + head));
          skip = h.remaining_length - head;
          if (!p) {
            s->close("");
            co_return "from " + where + ": " + p.error().message();
          }
          ++s->stats.received;
          ++s->stats.oversize;
          ReceivedMessage m{std::move(p->topic), std::move(p->payload), p->qos, p->dup,
                            p->packet_id,        s->connection};
          m.truncated = true;
          m.size = h.remaining_length;
          if (s->on_message) s->on_message(std::move(m));
          continue;
        }
        if (buffer.size() < h.header_size + h.remaining_length) break;
        const core::ByteView body(buffer.data() + h.header_size, h.remaining_length);
        auto packet = mqtt::decode_incoming(h, body);
        buffer.erase(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(
                                                          h.header_size + h.remaining_length));
        if (!packet) {
          s->close("");
          co_return "from " + where + ": " + packet.error().message();
        }
        // Any packet shows the connection alive, not only the PINGRESP: while a backlog is read,
        // the PINGRESP waits behind the messages the broker sent before it, longer than the
        // keepalive when storing is slow, and ending the connection for it would make the broker
        // send every unacknowledged message again.
        s->ping_outstanding = false;
        if (auto* ack = std::get_if<mqtt::Connack>(&*packet)) {
          if (ack->return_code != 0) {
            s->close("");
            co_return where + ": " + mqtt::connack_reason(ack->return_code);
          }
          s->accepted = true;
          s->deadline.cancel();
          ++s->connection;
          ++s->stats.connects;
          s->stats.connected = true;
          auto sub = mqtt::encode_subscribe(1, s->o.subscriptions);
          if (!sub) co_return sub.error().message();
          s->send(std::move(sub).value());
          if (!s->o.unsubscriptions.empty()) {
            auto unsub = mqtt::encode_unsubscribe(2, s->o.unsubscriptions);
            if (!unsub) co_return unsub.error().message();
            s->send(std::move(unsub).value());
          }
          asio::co_spawn(s->ex, pinger(s, sock), asio::detached);
          if (s->on_connected) s->on_connected(ack->session_present);
        } else if (!s->accepted) {
          s->close("");
          co_return where + " sent a packet before CONNACK";
        } else if (auto* p = std::get_if<mqtt::Publish>(&*packet)) {
          ++s->stats.received;
          ReceivedMessage m{std::move(p->topic), std::move(p->payload), p->qos, p->dup,
                            p->packet_id,        s->connection};
          m.size = h.remaining_length;
          if (s->on_message) s->on_message(std::move(m));
        } else if (auto* rel = std::get_if<mqtt::PacketId>(&*packet)) {
          s->send(mqtt::encode_pubcomp(rel->packet_id));  // QoS 2: the message was stored
        } else if (auto* sa = std::get_if<mqtt::Suback>(&*packet)) {
          for (std::size_t i = 0; i < sa->granted.size(); ++i) {
            if (sa->granted[i] == 0x80) {
              s->close("");
              co_return where + " refused the subscription to " +
                  (i < s->o.subscriptions.size() ? s->o.subscriptions[i].filter : "?");
            }
          }
          subscribed = true;
        } else if (std::holds_alternative<mqtt::Unsuback>(*packet)) {
          ++s->stats.unsubscribed;
        }
      }
      // Idle once the socket has nothing more right now: under load a batch then takes what
      // arrived while the last one was stored, not only one read's 16 KiB (about 77 samples),
      // which held `run` on PostgreSQL to a third of the broker's rate (bench/RESULTS.md).
      if (s->accepted && s->on_idle && !sock->more_waiting()) s->on_idle();
      auto [ec, n] = co_await sock->read_some(asio::buffer(chunk), kTuple);
      if (ec) {
        if (s->stopping) co_return "stopped";
        const std::string last = s->stats.last_error;
        co_return !s->accepted && !subscribed
            ? "connection to " + where + " failed: " +
                  (ec == asio::error::operation_aborted ? "no CONNACK in time" : ec.message())
            : "connection to " + where + " lost: " + (last.empty() ? ec.message() : last);
      }
      buffer.insert(buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    }
  }

  static asio::awaitable<void> run(std::shared_ptr<State> s) {
    unsigned attempt = 0;
    while (!s->stopping) {
      s->stats.last_error.clear();
      const std::string reason = co_await session(s);
      const bool was_connected = s->accepted;
      s->close("");
      s->socket.reset();
      if (s->stats.connected) {
        s->stats.connected = false;
        ++s->stats.disconnects;
      }
      if (s->stopping) break;
      s->stats.last_error = reason;
      attempt = was_connected ? 1 : attempt + 1;
      if (s->on_disconnected) s->on_disconnected(reason);
      const double u = std::uniform_real_distribution<double>(0.0, 1.0)(s->rng);
      s->timer.expires_after(backoff_delay(s->o.backoff, attempt, u));
      co_await s->timer.async_wait(kTuple);
    }
  }
};

DurableSubscriber::DurableSubscriber(asio::any_io_executor executor,
                                     DurableSubscriberOptions options)
    : state_(std::make_shared<State>(std::move(executor), std::move(options))) {}

DurableSubscriber::~DurableSubscriber() {
  stop();
}

void DurableSubscriber::on_message(MessageHandler handler) {
  state_->on_message = std::move(handler);
}
void DurableSubscriber::on_connected(ConnectedHandler handler) {
  state_->on_connected = std::move(handler);
}
void DurableSubscriber::on_disconnected(DisconnectedHandler handler) {
  state_->on_disconnected = std::move(handler);
}
void DurableSubscriber::on_idle(std::function<void()> handler) {
  state_->on_idle = std::move(handler);
}

core::Status DurableSubscriber::start() {
  if (state_->started) return core::make_error(core::Errc::invalid_argument, "started twice");
  if (state_->o.client_id.empty()) {
    return core::make_error(core::Errc::invalid_argument, "a persistent session needs a client id");
  }
  if (state_->o.subscriptions.empty()) {
    return core::make_error(core::Errc::invalid_argument, "nothing to subscribe to");
  }
  if (state_->o.keepalive < std::chrono::seconds(5) || state_->o.keepalive.count() > 65535) {
    return core::make_error(core::Errc::invalid_argument, "keepalive must be 5..65535 s");
  }
  if (state_->o.tls) {
    auto ctx = platform::tls_context(*state_->o.tls);
    if (!ctx) return ctx.error();
    state_->tls = std::move(ctx).value();
  }
  state_->started = true;
  asio::co_spawn(state_->ex, State::run(state_), asio::detached);
  return core::Ok{};
}

void DurableSubscriber::stop() {
  auto& s = *state_;
  if (!s.started || s.stopping) return;
  s.stopping = true;
  s.timer.cancel();
  if (s.socket && s.socket->tcp().is_open() && s.accepted && !s.writing) {
    // DISCONNECT, best effort (not in the middle of another write): the socket closes right after.
    const auto bytes = core::mqtt::encode_disconnect();
    asio::error_code ignored;
    s.socket->write_now(asio::buffer(bytes), ignored);
  }
  s.close("");
  if (s.stats.connected) {
    s.stats.connected = false;
    ++s.stats.disconnects;
  }
  s.on_message = nullptr;
  s.on_connected = nullptr;
  s.on_disconnected = nullptr;
  s.on_idle = nullptr;
}

void DurableSubscriber::acknowledge(const ReceivedMessage& m) {
  auto& s = *state_;
  if (m.qos == 0) return;
  if (m.connection != s.connection || !s.stats.connected) {
    ++s.stats.acks_dropped;
    return;
  }
  ++s.stats.acknowledged;
  s.send(m.qos == 1 ? core::mqtt::encode_puback(m.packet_id)
                    : core::mqtt::encode_pubrec(m.packet_id));
}

const DurableSubscriberStats& DurableSubscriber::stats() const {
  return state_->stats;
}

}  // namespace ml::platform
