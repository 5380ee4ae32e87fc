// DurableSubscriber's keepalive (platform/mqtt/durable_subscriber.hpp): any packet from the broker
// shows the connection alive. A broker streaming a backlog has its PINGRESP queued behind the
// messages; a subscriber that waited for the PINGRESP alone ended the connection after one
// keepalive and made the broker send everything unacknowledged again (bench/fleet.sh found it at
// 1 658 samples/s on PostgreSQL). Against a scripted broker on loopback that never answers
// PINGREQ: connected as long as it sends messages, the connection ended once it falls silent.
// And idle (on_idle, when `run` stores a batch) only once what arrived is handed over.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "core/mqtt/packet.hpp"
#include "harness.hpp"
#include "platform/mqtt/durable_subscriber.hpp"

namespace ml::platform::durable_keepalive_test {

using namespace std::chrono_literals;

// The scripted broker's side of a connection: the subscriber accepted on `peer`, its CONNECT
// answered with CONNACK and its SUBSCRIBE with SUBACK.
asio::awaitable<void> accept_subscriber(asio::ip::tcp::acceptor& acceptor,
                                        asio::ip::tcp::socket& peer) {
  peer = co_await acceptor.async_accept(asio::use_awaitable);
  std::array<unsigned char, 4096> in{};
  co_await peer.async_read_some(asio::buffer(in), asio::use_awaitable);  // CONNECT
  const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};
  co_await asio::async_write(peer, asio::buffer(connack), asio::use_awaitable);
  co_await peer.async_read_some(asio::buffer(in), asio::use_awaitable);  // SUBSCRIBE
  const unsigned char suback[] = {0x90, 0x03, 0x00, 0x01, 0x01};
  co_await asio::async_write(peer, asio::buffer(suback), asio::use_awaitable);
}

TEST(DurableSubscriberKeepalive, MessagesKeepTheConnectionWithoutAPingrespAndSilenceEndsIt) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(io);
  std::atomic<bool> streaming{true};
  int messages = 0;
  int disconnects = 0;
  // The broker: CONNACK and SUBACK, then a QoS 0 message every 200 ms while `streaming`; every
  // PINGREQ goes unanswered.
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await accept_subscriber(acceptor, peer);
        const unsigned char payload[] = {'x'};
        const auto publish =
            core::mqtt::encode_publish("/sample/v2/1/2", core::ByteView(payload, 1), 0, 0, false)
                .value();
        asio::steady_timer pace(io);
        while (streaming) {
          co_await asio::async_write(peer, asio::buffer(publish), asio::use_awaitable);
          pace.expires_after(200ms);
          co_await pace.async_wait(asio::use_awaitable);
        }
      },
      asio::detached);

  DurableSubscriberOptions o;
  o.port = acceptor.local_endpoint().port();
  o.client_id = "keepalive-test";
  o.subscriptions = {{"/sample/#", 1}};
  o.keepalive = 5s;  // PINGREQ every 3.75 s
  DurableSubscriber sub(io.get_executor(), o);
  sub.on_message([&](ReceivedMessage) { ++messages; });
  sub.on_disconnected([&](const std::string&) { ++disconnects; });
  ASSERT_TRUE(sub.start().ok());

  // Three keepalive periods of messages and unanswered PINGREQs: still the first connection.
  io.run_for(12s);
  EXPECT_EQ(disconnects, 0);
  EXPECT_EQ(sub.stats().connects, 1u);
  EXPECT_GT(messages, 20);

  // Silence: the next PINGREQ after a whole period without a packet ends the connection.
  streaming = false;
  const auto deadline = std::chrono::steady_clock::now() + test::scaled(30s);
  while (disconnects == 0 && std::chrono::steady_clock::now() < deadline)
    io.run_for(100ms);
  EXPECT_EQ(disconnects, 1) << "the connection to a silent broker ends";
  sub.stop();
  peer.close();
  acceptor.close();
  io.run_for(100ms);
}

// A batch is what has arrived, not what one read brought: the broker writes 150 messages of
// about 300 bytes at once (47 KB, three reads of the subscriber's 16 KiB), and `run` stores a batch
// at on_idle. Idle came after the first read, with a third of them, which held `run` on PostgreSQL
// to a third of the broker's rate (bench/RESULTS.md, "Server ingest on PostgreSQL").
TEST(DurableSubscriberKeepalive, IdleComesOnceEverythingThatArrivedIsHandedOver) {
  asio::io_context io;
  asio::ip::tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), 0});
  asio::ip::tcp::socket peer(io);
  constexpr int kMessages = 150;
  bool written = false;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        co_await accept_subscriber(acceptor, peer);
        const std::vector<unsigned char> payload(290, 'x');
        std::vector<std::uint8_t> all;
        for (int i = 0; i < kMessages; ++i) {
          const auto p = core::mqtt::encode_publish("/sample/v2/1/" + std::to_string(i + 2),
                                                    core::ByteView(payload.data(), payload.size()),
                                                    1, static_cast<std::uint16_t>(i + 1), false)
                             .value();
          all.insert(all.end(), p.begin(), p.end());
        }
        EXPECT_GT(all.size(), 2u * 16384u);
        co_await asio::async_write(peer, asio::buffer(all), asio::use_awaitable);
        written = true;
        std::array<unsigned char, 4096> acks{};
        for (;;)
          co_await peer.async_read_some(asio::buffer(acks), asio::use_awaitable);
      },
      asio::detached);

  DurableSubscriberOptions o;
  o.port = acceptor.local_endpoint().port();
  o.client_id = "idle-test";
  o.subscriptions = {{"/sample/#", 1}};
  DurableSubscriber sub(io.get_executor(), o);
  int messages = 0;
  std::vector<int> handed_at_idle;  // the messages handed over when each idle came
  sub.on_message([&](ReceivedMessage m) {
    ++messages;
    sub.acknowledge(m);
  });
  sub.on_idle([&] { handed_at_idle.push_back(messages); });
  ASSERT_TRUE(sub.start().ok());
  const auto deadline = std::chrono::steady_clock::now() + test::scaled(10s);
  while ((!written || messages < kMessages) && std::chrono::steady_clock::now() < deadline)
    io.run_for(10ms);
  ASSERT_EQ(messages, kMessages);
  io.run_for(50ms);
  ASSERT_FALSE(handed_at_idle.empty());
  EXPECT_EQ(handed_at_idle.back(), kMessages);
  for (int n : handed_at_idle)
    EXPECT_TRUE(n == 0 || n == kMessages) << "idle with " << n << " of the messages handed over";
  sub.stop();
  peer.close();
  acceptor.close();
  io.run_for(100ms);
}

}  // namespace ml::platform::durable_keepalive_test
