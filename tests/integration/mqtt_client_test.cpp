// MqttClient against a real mosquitto broker on a free loopback port.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <asio/ip/tcp.hpp>
#include <asio/write.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "mqtt_support.hpp"
#include "platform/mqtt/client.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;
using platform::MqttClient;
using platform::MqttDisconnect;
using platform::MqttMessage;
using platform::MqttOptions;
using platform::MqttProtocol;
using Clock = std::chrono::steady_clock;

core::Bytes bytes(std::string_view s) {
  return core::Bytes(s.begin(), s.end());
}

// A client and everything it reported, in order.
class Peer {
 public:
  Peer(asio::io_context& io, MqttOptions options)
      : client_(std::make_unique<MqttClient>(io.get_executor(), std::move(options))) {
    client_->on_connected([this](bool session_present) { connected.push_back(session_present); });
    client_->on_disconnected([this](const MqttDisconnect& d) {
      downs.push_back(d);
      down_times.push_back(Clock::now());
    });
    client_->on_message([this](const MqttMessage& m) { messages.push_back(m); });
  }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;

  MqttClient& operator*() { return *client_; }
  MqttClient* operator->() { return client_.get(); }
  void destroy() { client_.reset(); }

  std::vector<bool> connected;
  std::vector<MqttDisconnect> downs;
  std::vector<Clock::time_point> down_times;
  std::vector<MqttMessage> messages;

  std::size_t count(const std::string& topic) const {
    std::size_t n = 0;
    for (const auto& m : messages)
      n += m.topic == topic ? 1 : 0;
    return n;
  }

 private:
  std::unique_ptr<MqttClient> client_;
};

// done() bookkeeping for a batch of publishes: how often each was called with true and false.
struct Acks {
  std::map<int, int> delivered;
  std::map<int, int> failed;

  MqttClient::DoneHandler handler(int key) {
    return [this, key](bool ok) { ++(ok ? delivered : failed)[key]; };
  }
  std::size_t finished() const { return delivered.size() + failed.size(); }
  int calls(int key) const {
    auto get = [key](const std::map<int, int>& m) {
      auto it = m.find(key);
      return it == m.end() ? 0 : it->second;
    };
    return get(delivered) + get(failed);
  }
};

class MqttClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A missing broker is a failure, not a skip: scripts/setup-deps installs it.
    ASSERT_TRUE(std::filesystem::exists(kMosquittoBin)) << "no mosquitto at " << kMosquittoBin;
  }

  MqttOptions options(int port, const std::string& id) {
    MqttOptions o;
    o.host = "127.0.0.1";
    o.port = port;
    o.client_id = id;
    o.backoff.initial = 50ms;
    o.backoff.max = 400ms;
    o.connect_timeout = scaled(3s);
    return o;
  }

  void start(Peer& peer) { start(peer, io); }
  void start(Peer& peer, asio::io_context& context) {
    const auto before = peer.connected.size();
    auto st = peer->start();
    ASSERT_TRUE(st.ok()) << st.error().message();
    ASSERT_TRUE(run_until(context, [&] { return peer.connected.size() > before; }))
        << peer->broker() << ": " << peer->stats().last_error;
  }

  // Waits until the peer's subscriptions are active: a QoS 1 publish on the same connection is
  // acknowledged only after the broker has handled the SUBSCRIBE sent before it.
  void settle(Peer& peer) { settle(peer, io); }
  void settle(Peer& peer, asio::io_context& context) {
    bool acked = false;
    auto st = peer->publish("settle/" + peer->options().client_id, bytes("x"), 1, false,
                            [&](bool ok) { acked = ok; });
    ASSERT_TRUE(st.ok()) << st.error().message();
    ASSERT_TRUE(run_until(context, [&] { return acked; }));
  }

  asio::io_context io;
  TempDir dir;
};

// ---- basics ------------------------------------------------------------------------------------

TEST_F(MqttClientTest, RoundTripAtEveryQosWithBinaryPayloads) {
  Broker broker(dir);
  Peer sub(io, options(broker.port(), "sub"));
  Peer pub(io, options(broker.port(), "pub"));
  ASSERT_NO_FATAL_FAILURE(start(sub));
  ASSERT_NO_FATAL_FAILURE(start(pub));
  EXPECT_FALSE(sub.connected[0]);  // a new session
  ASSERT_TRUE(sub->subscribe("rt/#", 2).ok());
  ASSERT_NO_FATAL_FAILURE(settle(sub));

  const std::vector<core::Bytes> payloads = {
      {0x00, 0x01, 0x00, 0xFF, 0x00},         // QoS 0
      {0x00},                                 // QoS 1
      bytes(std::string("\0ab\0\0cd\0", 8)),  // QoS 2
      {},                                     // QoS 1, empty
  };
  const std::vector<int> qos = {0, 1, 2, 1};
  Acks acks;
  for (int i = 0; i < 4; ++i) {
    auto st = pub->publish("rt/" + std::to_string(i), payloads[i], qos[i], false, acks.handler(i));
    ASSERT_TRUE(st.ok()) << st.error().message();
  }
  ASSERT_TRUE(run_until(io, [&] { return sub.messages.size() == 4 && acks.finished() == 4; }));
  run_for(io, 100ms);  // nothing more arrives

  // Messages of different QoS may overtake each other (QoS 2 is delivered after its PUBREL).
  ASSERT_EQ(sub.messages.size(), 4u);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(acks.delivered[i], 1) << i;
    EXPECT_EQ(acks.calls(i), 1) << i;
    const std::string topic = "rt/" + std::to_string(i);
    ASSERT_EQ(sub.count(topic), 1u) << topic;
    const auto& m = *std::find_if(sub.messages.begin(), sub.messages.end(),
                                  [&](const MqttMessage& x) { return x.topic == topic; });
    EXPECT_EQ(m.payload, payloads[i]) << i;
    EXPECT_EQ(m.qos, qos[i]);
    EXPECT_FALSE(m.retain);
  }
  const auto stats = pub->stats();
  EXPECT_TRUE(stats.connected);
  EXPECT_EQ(stats.connects, 1u);
  EXPECT_EQ(stats.publishes_sent, 4u);
  EXPECT_EQ(stats.publishes_acknowledged, 4u);
  EXPECT_EQ(stats.unacknowledged, 0u);
  ASSERT_TRUE(stats.ack_rtt.has_value());
  EXPECT_LT(*stats.ack_rtt, scaled(1s));
  EXPECT_EQ(sub->stats().messages_received, 4u);
}

TEST_F(MqttClientTest, RetainedMessagesCarryTheFlag) {
  Broker broker(dir);
  Peer pub(io, options(broker.port(), "pub"));
  ASSERT_NO_FATAL_FAILURE(start(pub));
  bool acked = false;
  ASSERT_TRUE(pub->publish("keep/me", bytes("v"), 1, true, [&](bool ok) { acked = ok; }).ok());
  ASSERT_TRUE(run_until(io, [&] { return acked; }));
  Peer sub(io, options(broker.port(), "sub"));
  ASSERT_NO_FATAL_FAILURE(start(sub));
  ASSERT_TRUE(sub->subscribe("keep/#", 1).ok());
  ASSERT_TRUE(run_until(io, [&] { return !sub.messages.empty(); }));
  EXPECT_TRUE(sub.messages[0].retain);
  EXPECT_EQ(sub.messages[0].payload, bytes("v"));
}

TEST_F(MqttClientTest, ProtocolVersions31And5RoundTrip) {
  Broker broker(dir);
  for (auto protocol : {MqttProtocol::v31, MqttProtocol::v5}) {
    SCOPED_TRACE(std::string(platform::mqtt_protocol_name(protocol)));
    const std::string id = "p" + std::string(platform::mqtt_protocol_name(protocol));
    auto o = options(broker.port(), id);
    o.protocol = protocol;
    Peer peer(io, o);
    ASSERT_NO_FATAL_FAILURE(start(peer));
    ASSERT_TRUE(peer->subscribe("v/" + id, 2).ok());
    ASSERT_NO_FATAL_FAILURE(settle(peer));
    Acks acks;
    ASSERT_TRUE(peer->publish("v/" + id, core::Bytes{0x00, 0x07}, 2, false, acks.handler(0)).ok());
    ASSERT_TRUE(run_until(io, [&] { return peer.messages.size() == 1 && acks.finished() == 1; }));
    EXPECT_EQ(acks.delivered[0], 1);
    EXPECT_EQ(peer.messages[0].payload, (core::Bytes{0x00, 0x07}));
  }
  const std::string log = broker.log();
  EXPECT_NE(log.find("as p3.1 (p1,"), std::string::npos) << log;  // MQTT 3.1 = protocol level 3
  EXPECT_NE(log.find("as p5 (p5,"), std::string::npos) << log;
}

// ---- errors as values --------------------------------------------------------------------------

TEST_F(MqttClientTest, ErrorsAreValues) {
  Broker broker(dir);
  {
    MqttClient c(io.get_executor(), options(broker.port(), "c"));
    auto st = c.publish("a", bytes("x"), 1, false);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, core::Errc::mqtt_stopped);
  }
  {
    auto o = options(broker.port(), "");
    MqttClient c(io.get_executor(), o);  // clean_session false needs an id
    auto st = c.start();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, core::Errc::invalid_argument);
    EXPECT_NE(st.error().detail.find("client id"), std::string::npos) << st.error().detail;
  }
  {
    auto o = options(broker.port(), "t");
    o.tls = platform::MqttTls{};
    o.tls->ca_file = dir.file("missing-ca.crt");
    MqttClient c(io.get_executor(), o);
    auto st = c.start();
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().detail.find("missing-ca.crt"), std::string::npos) << st.error().detail;
  }
  Peer p(io, options(broker.port(), "p"));
  ASSERT_NO_FATAL_FAILURE(start(p));
  auto st = p->publish("bad/+/topic", bytes("x"), 1, false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::Errc::invalid_argument);
  EXPECT_EQ(p->publish("a", bytes("x"), 3, false).error().code, core::Errc::invalid_argument);
  EXPECT_EQ(p->subscribe("a/#/b", 0).error().code, core::Errc::invalid_argument);
  EXPECT_EQ(p->start().error().code, core::Errc::mqtt_stopped);  // twice
  p->stop();
  EXPECT_EQ(p->publish("a", bytes("x"), 1, false).error().code, core::Errc::mqtt_stopped);
}

TEST_F(MqttClientTest, ConnectionRefusedNamesTheBrokerAndTheReason) {
  const int port = free_port();
  Peer p(io, options(port, "r"));
  ASSERT_TRUE(p->start().ok());
  ASSERT_TRUE(run_until(io, [&] { return p.downs.size() >= 2; }));
  EXPECT_EQ(p.downs[0].reason,
            "connect to 127.0.0.1:" + std::to_string(port) + " failed: Connection refused");
  EXPECT_FALSE(p.downs[0].was_connected);
  EXPECT_EQ(p.downs[0].attempt, 1u);
  EXPECT_EQ(p.downs[1].attempt, 2u);
  EXPECT_EQ(p->stats().last_error, p.downs[1].reason);
  EXPECT_TRUE(p.connected.empty());
  EXPECT_EQ(p->stats().connects, 0u);
  EXPECT_GE(p->stats().connect_failures, 2u);
}

TEST_F(MqttClientTest, ABrokerThatNeverAnswersTimesOut) {
  // Accepts TCP connections and says nothing.
  asio::ip::tcp::acceptor silent(io, {asio::ip::address_v4::loopback(), 0});
  std::vector<asio::ip::tcp::socket> held;
  std::function<void()> accept = [&] {
    silent.async_accept([&](std::error_code ec, asio::ip::tcp::socket s) {
      if (ec) return;
      held.push_back(std::move(s));
      accept();
    });
  };
  accept();
  auto o = options(silent.local_endpoint().port(), "t");
  o.connect_timeout = 300ms;
  Peer p(io, o);
  ASSERT_TRUE(p->start().ok());
  ASSERT_TRUE(run_until(
      io, [&] { return !p.downs.empty(); }, scaled(3s)));
  EXPECT_NE(p.downs[0].reason.find("failed: no CONNACK within 300 ms"), std::string::npos)
      << p.downs[0].reason;
}

TEST_F(MqttClientTest, QoS0IsRefusedWhileDisconnected) {
  Peer p(io, options(free_port(), "q0"));
  ASSERT_TRUE(p->start().ok());
  auto st = p->publish("a", bytes("x"), 0, false);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::Errc::mqtt_not_connected);
  EXPECT_NE(st.error().detail.find("not connected to 127.0.0.1:"), std::string::npos);
}

TEST_F(MqttClientTest, UnacknowledgedLimitRefusesAndRecovers) {
  Broker broker(dir);
  TcpProxy proxy(io, broker.port());
  auto o = options(proxy.port(), "lim");
  o.max_unacknowledged = 5;
  Peer p(io, o);
  ASSERT_NO_FATAL_FAILURE(start(p));
  proxy.hold_replies(true);
  Acks acks;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(p->publish("lim", bytes("x"), 1, false, acks.handler(i)).ok());
  }
  auto st = p->publish("lim", bytes("x"), 1, false, acks.handler(5));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().code, core::Errc::mqtt_queue_full);
  EXPECT_EQ(p->stats().unacknowledged, 5u);
  proxy.hold_replies(false);
  ASSERT_TRUE(run_until(io, [&] { return acks.finished() == 5; }));
  EXPECT_EQ(acks.delivered.size(), 5u);
  EXPECT_TRUE(p->publish("lim", bytes("x"), 1, false, acks.handler(5)).ok());
}

// ---- will --------------------------------------------------------------------------------------

TEST_F(MqttClientTest, WillIsPublishedWhenTheConnectionDiesButNotOnStop) {
  Broker broker(dir);
  TcpProxy proxy(io, broker.port());
  Peer watcher(io, options(broker.port(), "watcher"));
  ASSERT_NO_FATAL_FAILURE(start(watcher));
  ASSERT_TRUE(watcher->subscribe("/offline/#", 1).ok());
  ASSERT_NO_FATAL_FAILURE(settle(watcher));

  auto with_will = [&](int port, const std::string& serial) {
    auto o = options(port, serial);
    o.will = platform::MqttWill{"/offline/v1/" + serial, {}, 0, false};
    return o;
  };
  // Through the proxy: the proxy drops the connection, as a dead network or a killed process.
  Peer device(io, with_will(proxy.port(), "0000001"));
  ASSERT_NO_FATAL_FAILURE(start(device));
  proxy.cut();
  ASSERT_TRUE(run_until(io, [&] { return watcher.count("/offline/v1/0000001") == 1; }));
  EXPECT_TRUE(watcher.messages.back().payload.empty());
  // The device reconnects by itself; a clean stop() does not publish the will.
  ASSERT_TRUE(run_until(io, [&] { return device.connected.size() == 2; }));
  device->stop();
  // And a device that stops cleanly on its own connection.
  Peer other(io, with_will(broker.port(), "0000002"));
  ASSERT_NO_FATAL_FAILURE(start(other));
  other->stop();
  run_for(io, 300ms);  // deliberately: a will, if one were published, has time to arrive
  ASSERT_NO_FATAL_FAILURE(settle(watcher));  // everything before this has been delivered
  EXPECT_EQ(watcher.count("/offline/v1/0000001"), 1u);
  EXPECT_EQ(watcher.count("/offline/v1/0000002"), 0u);
  // stop() is not a disconnect event.
  EXPECT_EQ(other.downs.size(), 0u);
  EXPECT_EQ(other->stats().disconnects, 0u);
}

// ---- outages -----------------------------------------------------------------------------------

TEST_F(MqttClientTest, BrokerRestartReconnectsWithJitteredBackoffAndResubscribes) {
  Broker broker(dir);
  Peer device(io, options(broker.port(), "dev"));
  ASSERT_TRUE(device->subscribe("/config/v2/0000001/#", 0).ok());  // before start(): kept
  ASSERT_NO_FATAL_FAILURE(start(device));
  ASSERT_NO_FATAL_FAILURE(settle(device));

  broker.stop();
  ASSERT_TRUE(run_until(io, [&] { return device.downs.size() >= 7; }));
  const auto& lost = device.downs[0];
  EXPECT_TRUE(lost.was_connected);
  EXPECT_EQ(lost.reason, "connection to 127.0.0.1:" + std::to_string(broker.port()) +
                             " lost: The connection was lost");
  EXPECT_FALSE(device->connected());
  // Delays: base 50, 100, 200, 400, 400, ... ms, each drawn from [base/2, base].
  bool jittered = false;
  for (std::size_t i = 0; i < device.downs.size(); ++i) {
    const auto& d = device.downs[i];
    EXPECT_EQ(d.attempt, i + 1);
    EXPECT_EQ(d.was_connected, i == 0);
    const auto base = std::min<std::int64_t>(400, 50LL << i);
    EXPECT_GE(d.retry_in.count(), base / 2) << i;
    EXPECT_LE(d.retry_in.count(), base) << i;
    jittered = jittered || d.retry_in.count() != base;
    if (i > 0) {
      EXPECT_EQ(d.reason, "connect to 127.0.0.1:" + std::to_string(broker.port()) +
                              " failed: Connection refused");
    }
  }
  EXPECT_TRUE(jittered);
  // The attempts waited as announced (measured on the loop, so only in sum and with a margin: the
  // first event can be delivered late, by tens of ms on a loaded machine under the sanitizers;
  // retrying without waiting would take a few ms in all).
  std::chrono::milliseconds announced{0};
  for (std::size_t i = 1; i + 1 < device.downs.size(); ++i)
    announced += device.downs[i].retry_in;
  EXPECT_GE(device.down_times.back() - device.down_times[1], announced * 3 / 4);

  broker.start();  // same port, no persistence: the session is gone
  ASSERT_TRUE(run_until(io, [&] { return device.connected.size() == 2; }));
  EXPECT_FALSE(device.connected[1]);
  ASSERT_NO_FATAL_FAILURE(settle(device));
  Peer server(io, options(broker.port(), "server"));
  ASSERT_NO_FATAL_FAILURE(start(server));
  ASSERT_TRUE(server->publish("/config/v2/0000001/1700000000/ping", bytes("c"), 0, false).ok());
  ASSERT_TRUE(run_until(io, [&] { return device.messages.size() == 1; }));
  EXPECT_EQ(device.messages[0].topic, "/config/v2/0000001/1700000000/ping");

  const auto stats = device->stats();
  EXPECT_EQ(stats.connects, 2u);
  EXPECT_EQ(stats.disconnects, 1u);
  EXPECT_GE(stats.connect_failures, 6u);
  EXPECT_TRUE(stats.connected);
}

// The documented rule: a QoS 1/2 message in flight when the connection drops is sent again
// after the reconnect and gets exactly one done(true).
TEST_F(MqttClientTest, InFlightMessagesAreResentAfterAReconnect) {
  Broker broker(dir);
  TcpProxy proxy(io, broker.port());
  Peer server(io, options(broker.port(), "server"));
  ASSERT_NO_FATAL_FAILURE(start(server));
  ASSERT_TRUE(server->subscribe("data/#", 2).ok());
  ASSERT_NO_FATAL_FAILURE(settle(server));

  Peer device(io, options(proxy.port(), "device"));
  ASSERT_NO_FATAL_FAILURE(start(device));
  proxy.hold_replies(true);  // the broker gets everything; its acknowledgements are lost
  Acks acks;
  constexpr int kCount = 20;
  for (int i = 0; i < kCount; ++i) {
    const int qos = 1 + i % 2;
    ASSERT_TRUE(device
                    ->publish("data/" + std::to_string(i), bytes(std::to_string(i)), qos, false,
                              acks.handler(i))
                    .ok());
  }
  run_for(io, 300ms);  // deliberately: no acknowledgement gets through meanwhile
  EXPECT_EQ(acks.finished(), 0u);
  proxy.cut();
  proxy.hold_replies(false);
  ASSERT_TRUE(run_until(io, [&] { return acks.finished() == kCount; }));
  ASSERT_EQ(device.connected.size(), 2u);
  EXPECT_TRUE(device.connected[1]);  // the broker kept the session
  ASSERT_TRUE(run_until(io, [&] {
    for (int i = 0; i < kCount; ++i) {
      if (server.count("data/" + std::to_string(i)) == 0) return false;
    }
    return true;
  }));
  run_for(io, 200ms);  // deliberately: nothing more (no duplicate) arrives
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(acks.delivered[i], 1) << i;
    EXPECT_EQ(acks.calls(i), 1) << i;
    if (i % 2 == 1) {
      EXPECT_EQ(server.count("data/" + std::to_string(i)), 1u) << "QoS 2 message " << i;
    }
  }
  EXPECT_EQ(device->stats().disconnects, 1u);
  EXPECT_EQ(device->stats().publishes_acknowledged, static_cast<std::uint64_t>(kCount) + 0u);
}

// A broker that loses its state (no persistence, restarted) cannot confirm a QoS 2 message that
// may have been past PUBREC: done(false), so the caller publishes it again. QoS 1 is simply sent
// again and acknowledged.
TEST_F(MqttClientTest, QoS2InFlightToABrokerThatLostTheSessionEndsWithFalse) {
  Broker broker(dir);
  TcpProxy proxy(io, broker.port());
  Peer device(io, options(proxy.port(), "device"));
  ASSERT_NO_FATAL_FAILURE(start(device));
  proxy.hold_replies(true);
  Acks acks;
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(
        device->publish("d/" + std::to_string(i), bytes("x"), 1 + i % 2, false, acks.handler(i))
            .ok());
  }
  run_for(io, 200ms);  // deliberately: the publishes reach the broker, some past PUBREC
  broker.kill();
  proxy.cut();
  proxy.hold_replies(false);
  ASSERT_TRUE(run_until(io, [&] { return !device.downs.empty(); }));
  broker.start();
  ASSERT_TRUE(run_until(io, [&] { return acks.finished() == 6; }));
  EXPECT_FALSE(device.connected.back());  // a new session
  run_for(io, 100ms);                     // deliberately: no second done() call arrives
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(acks.calls(i), 1) << i;
    EXPECT_EQ(acks.delivered[i], i % 2 == 0 ? 1 : 0) << i;  // QoS 1 true, QoS 2 false
  }
}

TEST_F(MqttClientTest, PublishesDuringAnOutageAreSentAfterTheReconnect) {
  BrokerOptions bo;
  bo.persistence = true;  // the server's session (its subscription) survives the restart
  Broker broker(dir, bo);
  Peer server(io, options(broker.port(), "server"));
  ASSERT_NO_FATAL_FAILURE(start(server));
  ASSERT_TRUE(server->subscribe("outage/#", 2).ok());
  ASSERT_NO_FATAL_FAILURE(settle(server));
  auto o = options(broker.port(), "device");
  o.max_inflight = 5;  // more waiting than in flight: libmosquitto's own queue is used too
  Peer device(io, o);
  ASSERT_NO_FATAL_FAILURE(start(device));

  broker.stop();
  ASSERT_TRUE(run_until(io, [&] { return !device.downs.empty() && !server.downs.empty(); }));
  EXPECT_EQ(device->publish("outage/q0", bytes("x"), 0, false).error().code,
            core::Errc::mqtt_not_connected);
  Acks acks;
  constexpr int kCount = 60;
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(device
                    ->publish("outage/" + std::to_string(i), bytes(std::to_string(i)), 1 + i % 2,
                              false, acks.handler(i))
                    .ok());
  }
  EXPECT_EQ(device->stats().unacknowledged, static_cast<std::size_t>(kCount));
  run_for(io, 100ms);  // deliberately: nothing is sent while the broker is down
  EXPECT_EQ(acks.finished(), 0u);

  broker.start();
  ASSERT_TRUE(run_until(io, [&] { return acks.finished() == kCount; }));
  ASSERT_TRUE(run_until(io, [&] {
    for (int i = 0; i < kCount; ++i) {
      if (server.count("outage/" + std::to_string(i)) == 0) return false;
    }
    return true;
  }));
  run_for(io, 100ms);                    // deliberately: nothing more (no duplicate) arrives
  EXPECT_TRUE(server.connected.back());  // the session was kept
  for (int i = 0; i < kCount; ++i) {
    EXPECT_EQ(acks.delivered[i], 1) << i;
    EXPECT_EQ(acks.calls(i), 1) << i;
    if (i % 2 == 1) {
      EXPECT_EQ(server.count("outage/" + std::to_string(i)), 1u) << i;
    }
  }
  EXPECT_EQ(server.count("outage/q0"), 0u);
}

TEST_F(MqttClientTest, StopDuringTheBackoffWaitReturnsPromptly) {
  auto o = options(free_port(), "s");
  o.backoff.initial = 5s;
  o.backoff.max = 60s;
  o.backoff.jitter = 0;
  Peer p(io, o);
  ASSERT_TRUE(p->start().ok());
  ASSERT_TRUE(run_until(io, [&] { return !p.downs.empty(); }));
  EXPECT_EQ(p.downs[0].retry_in, 5s);
  const auto t0 = Clock::now();
  p->stop();
  EXPECT_LT(Clock::now() - t0, scaled(500ms));
  p->stop();  // idempotent
}

TEST_F(MqttClientTest, StopWhileConnectedReturnsPromptly) {
  Broker broker(dir);
  Peer p(io, options(broker.port(), "s"));
  ASSERT_NO_FATAL_FAILURE(start(p));
  const auto t0 = Clock::now();
  p->stop();
  EXPECT_LT(Clock::now() - t0, scaled(500ms));
  EXPECT_FALSE(p->connected());
}

TEST_F(MqttClientTest, NoCallbackAfterDestruction) {
  Broker broker(dir);
  // The client runs on its own io_context, which does not run while its network thread queues
  // acknowledgements and messages there.
  asio::io_context client_io;
  auto calls = std::make_shared<int>(0);
  Peer p(client_io, options(broker.port(), "p"));
  ASSERT_NO_FATAL_FAILURE(start(p, client_io));
  ASSERT_TRUE(p->subscribe("#", 1).ok());
  ASSERT_NO_FATAL_FAILURE(settle(p, client_io));
  p->on_connected([calls](bool) { ++*calls; });
  p->on_disconnected([calls](const MqttDisconnect&) { ++*calls; });
  p->on_message([calls](const MqttMessage&) { ++*calls; });
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(p->publish("x", bytes("x"), i % 3, false, [calls](bool) { ++*calls; }).ok());
  }
  Peer other(io, options(broker.port(), "other"));
  ASSERT_NO_FATAL_FAILURE(start(other));
  for (int i = 0; i < 10; ++i)
    ASSERT_TRUE(other->publish("y", bytes("y"), 0, false).ok());
  // Everything reaches p's network thread: no event tells it from outside, so a scaled wait.
  std::this_thread::sleep_for(scaled(300ms));
  p.destroy();
  client_io.restart();
  const std::size_t ran = client_io.poll();
  EXPECT_GT(ran, 10u);   // the queued handlers ran...
  EXPECT_EQ(*calls, 0);  // ...and called nothing
}

// ---- authentication and TLS --------------------------------------------------------------------

TEST_F(MqttClientTest, UsernameAndPassword) {
  BrokerOptions bo;
  bo.password_file = make_password_file(dir, "esp8266", "chah5Kai");
  Broker broker(dir, bo);

  auto good = options(broker.port(), "good");
  good.username = "esp8266";
  good.password = "chah5Kai";
  Peer ok(io, good);
  ASSERT_NO_FATAL_FAILURE(start(ok));

  auto bad = options(broker.port(), "bad");
  bad.username = "esp8266";
  bad.password = "wrong";
  Peer refused(io, bad);
  ASSERT_TRUE(refused->start().ok());
  ASSERT_TRUE(run_until(io, [&] { return refused.downs.size() >= 2; }));
  EXPECT_EQ(refused.downs[0].reason, "connect to 127.0.0.1:" + std::to_string(broker.port()) +
                                         " refused by the broker: Connection Refused: not "
                                         "authorised");
  EXPECT_FALSE(refused.downs[0].was_connected);
  EXPECT_EQ(refused.downs[1].attempt, 2u);  // backing off, not giving up
  EXPECT_GE(refused.downs[1].retry_in, 50ms);
  EXPECT_TRUE(refused.connected.empty());
}

// Mosquitto's own ACLs grant every subscription (and filter at delivery), so a scripted broker
// answers here: CONNACK to CONNECT, SUBACK 0x80 (failure) to every SUBSCRIBE.
TEST_F(MqttClientTest, ARefusedSubscriptionIsReported) {
  using asio::ip::tcp;
  tcp::acceptor acceptor(io, {asio::ip::address_v4::loopback(), 0});
  tcp::socket peer(io);
  std::string in;
  std::array<char, 512> buf{};
  std::function<void()> serve = [&] {
    peer.async_read_some(asio::buffer(buf), [&](std::error_code ec, std::size_t n) {
      if (ec) return;
      in.append(buf.data(), n);
      // Packets here are short: one byte of remaining length.
      auto length = [&] { return 2u + static_cast<std::uint8_t>(in[1]); };
      while (in.size() >= 2 && in.size() >= length()) {
        const auto type = static_cast<std::uint8_t>(in[0]) >> 4;
        std::string reply;
        if (type == 1) reply = std::string("\x20\x02\x00\x00", 4);  // CONNACK accepted
        if (type == 8) reply = std::string("\x90\x03", 2) + in.substr(2, 2) + "\x80";
        in.erase(0, length());
        if (!reply.empty()) asio::write(peer, asio::buffer(reply));
      }
      serve();
    });
  };
  acceptor.async_accept(peer, [&](std::error_code ec) {
    if (!ec) serve();
  });
  Peer p(io, options(acceptor.local_endpoint().port(), "acl"));
  ASSERT_NO_FATAL_FAILURE(start(p));
  ASSERT_TRUE(p->subscribe("/sample/#", 0).ok());
  ASSERT_TRUE(run_until(io, [&] { return !p->stats().last_error.empty(); }));
  EXPECT_EQ(p->stats().last_error, "subscription to \"/sample/#\" refused by 127.0.0.1:" +
                                       std::to_string(acceptor.local_endpoint().port()));
  p->stop();
}

TEST_F(MqttClientTest, UsernameAndPasswordMqtt5) {
  BrokerOptions bo;
  bo.password_file = make_password_file(dir, "esp8266", "chah5Kai");
  Broker broker(dir, bo);
  auto bad = options(broker.port(), "bad5");
  bad.protocol = MqttProtocol::v5;
  bad.username = "esp8266";
  bad.password = "wrong";
  Peer refused(io, bad);
  ASSERT_TRUE(refused->start().ok());
  ASSERT_TRUE(run_until(io, [&] { return !refused.downs.empty(); }));
  EXPECT_NE(refused.downs[0].reason.find("refused by the broker: Not authorized"),
            std::string::npos)
      << refused.downs[0].reason;
}

TEST_F(MqttClientTest, TlsWithTheBrokersCaConnectsAndAnotherCaFails) {
  const TestCerts certs = make_certs(dir, "broker");
  const TestCerts stranger = make_certs(dir, "stranger");
  BrokerOptions bo;
  bo.ca_file = certs.ca_file;
  bo.cert_file = certs.cert_file;
  bo.key_file = certs.key_file;
  Broker broker(dir, bo);

  auto o = options(broker.port(), "tls");
  o.host = "localhost";  // the name in the certificate
  o.tls = platform::MqttTls{};
  o.tls->ca_file = certs.ca_file;
  Peer secure(io, o);
  ASSERT_NO_FATAL_FAILURE(start(secure));
  ASSERT_TRUE(secure->subscribe("tls/#", 1).ok());
  ASSERT_NO_FATAL_FAILURE(settle(secure));
  bool acked = false;
  ASSERT_TRUE(
      secure->publish("tls/x", core::Bytes{0x00, 0x01}, 1, false, [&](bool ok) { acked = ok; })
          .ok());
  ASSERT_TRUE(run_until(io, [&] { return acked && secure.messages.size() == 1; }));

  auto wrong = o;
  wrong.client_id = "tls-wrong";
  wrong.tls->ca_file = stranger.ca_file;
  Peer rejected(io, wrong);
  ASSERT_TRUE(rejected->start().ok());
  ASSERT_TRUE(run_until(io, [&] { return rejected.downs.size() >= 2; }));
  const std::string& reason = rejected.downs[0].reason;
  EXPECT_EQ(reason.rfind("connect to localhost:" + std::to_string(broker.port()) + " failed: ", 0),
            0u)
      << reason;
  EXPECT_NE(reason.find("certificate verify failed"), std::string::npos) << reason;
  EXPECT_TRUE(rejected.connected.empty());

  auto plain = options(broker.port(), "plain");  // no TLS towards a TLS listener
  Peer confused(io, plain);
  ASSERT_TRUE(confused->start().ok());
  ASSERT_TRUE(run_until(io, [&] { return !confused.downs.empty(); }));
  EXPECT_TRUE(confused.connected.empty());
}

// The broker configuration we ship, included from a Debian-like main file as it is installed.
TEST_F(MqttClientTest, PackagedBrokerConfigurationWorks) {
  std::ifstream in(std::string(ML_PACKAGING_DIR) + "/mosquitto/meterlogger.conf");
  std::stringstream packaged;
  packaged << in.rdbuf();
  std::string conf = packaged.str();
  ASSERT_FALSE(conf.empty());
  const int port = free_port();
  auto replace = [&](const std::string& from, const std::string& to) {
    const auto at = conf.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    conf.replace(at, from.size(), to);
  };
  replace("listener 1883\n", "listener " + std::to_string(port) + " 127.0.0.1\n");
  replace("password_file /etc/mosquitto/meterlogger.passwd",
          "password_file " + make_password_file(dir, "esp8266", "chah5Kai"));
  std::filesystem::create_directory(dir.path() / "conf.d");
  std::ofstream(dir.path() / "conf.d" / "meterlogger.conf") << conf;
  std::string main_conf = ::geteuid() == 0 ? "user root\n" : "";
  main_conf += "persistence true\npersistence_location " + dir.path().string() + "/\n" +
               "log_dest file " + dir.file("mosquitto.log") + "\n" + "include_dir " +
               (dir.path() / "conf.d").string() + "\n";
  Broker broker(dir, port, main_conf);

  Peer anonymous(io, options(port, "anonymous"));
  ASSERT_TRUE(anonymous->start().ok());
  auto o = options(port, "0000001");
  o.username = "esp8266";
  o.password = "chah5Kai";
  Peer device(io, o);
  ASSERT_NO_FATAL_FAILURE(start(device));
  ASSERT_TRUE(device->subscribe("/config/v2/0000001/#", 0).ok());
  ASSERT_NO_FATAL_FAILURE(settle(device));
  ASSERT_TRUE(run_until(io, [&] { return !anonymous.downs.empty(); }));
  EXPECT_NE(anonymous.downs[0].reason.find("not authorised"), std::string::npos);
  EXPECT_TRUE(anonymous.connected.empty());

  broker.stop();  // persistence: the session survives the restart
  broker.start();
  ASSERT_TRUE(run_until(io, [&] { return device.connected.size() == 2; }));
  EXPECT_TRUE(device.connected[1]);
}

// ---- sessions, keepalive, throughput -----------------------------------------------------------

TEST_F(MqttClientTest, Mqtt5SessionSurvivesAReconnect) {
  Broker broker(dir);
  TcpProxy proxy(io, broker.port());
  auto o = options(proxy.port(), "s5");
  o.protocol = MqttProtocol::v5;
  Peer p(io, o);
  ASSERT_NO_FATAL_FAILURE(start(p));
  EXPECT_FALSE(p.connected[0]);
  proxy.cut();
  ASSERT_TRUE(run_until(io, [&] { return p.connected.size() == 2; }));
  EXPECT_TRUE(p.connected[1]);  // session expiry was sent and kept by the broker
  proxy.cut();
  ASSERT_TRUE(run_until(io, [&] { return p.connected.size() == 3; }));
  EXPECT_TRUE(p.connected[2]);  // also on the reconnects
}

TEST_F(MqttClientTest, PingRoundTripIsMeasured) {
  Broker broker(dir);
  auto o = options(broker.port(), "ping");
  o.keepalive = 5s;  // the smallest libmosquitto accepts; the PINGREQ goes after 5 s idle
  Peer p(io, o);
  ASSERT_NO_FATAL_FAILURE(start(p));
  EXPECT_FALSE(p->stats().ping_rtt.has_value());
  ASSERT_TRUE(run_until(
      io, [&] { return p->stats().ping_rtt.has_value(); }, scaled(10s)));
  EXPECT_LT(*p->stats().ping_rtt, scaled(1s));
}

TEST_F(MqttClientTest, ThroughputQoS2InOrderWithFlowControl) {
  Broker broker(dir);
  Peer server(io, options(broker.port(), "server"));
  ASSERT_NO_FATAL_FAILURE(start(server));
  ASSERT_TRUE(server->subscribe("bulk/#", 2).ok());
  ASSERT_NO_FATAL_FAILURE(settle(server));
  auto o = options(broker.port(), "device");
  o.max_unacknowledged = 100;
  Peer device(io, o);
  ASSERT_NO_FATAL_FAILURE(start(device));

  constexpr int kCount = 2000;
  int next = 0;
  int acked = 0;
  int refused = 0;
  // Keep the window full: publish until the client refuses, publish again on each done().
  std::function<void()> pump = [&] {
    while (next < kCount) {
      auto st = device->publish("bulk/x", bytes(std::to_string(next)), 2, false, [&](bool ok) {
        acked += ok ? 1 : 0;
        pump();
      });
      if (!st.ok()) {
        EXPECT_EQ(st.error().code, core::Errc::mqtt_queue_full);
        ++refused;
        return;
      }
      ++next;
    }
  };
  const auto t0 = Clock::now();
  pump();
  ASSERT_TRUE(run_until(
      io, [&] { return acked == kCount && server.messages.size() >= kCount + 0u; }, scaled(30s)))
      << "acked " << acked << ", received " << server.messages.size();
  const auto elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  run_for(io, 100ms);  // deliberately: nothing more (no duplicate) arrives
  ASSERT_EQ(server.messages.size(), static_cast<std::size_t>(kCount));
  for (int i = 0; i < kCount; ++i) {
    ASSERT_EQ(server.messages[static_cast<std::size_t>(i)].payload, bytes(std::to_string(i))) << i;
  }
  EXPECT_GT(refused, 0);  // the limit was reached and respected
  std::printf("[ info ] %d QoS 2 messages in %.2f s (%.0f/s), window refused %d times\n", kCount,
              elapsed, kCount / elapsed, refused);
}

}  // namespace
}  // namespace ml::test
