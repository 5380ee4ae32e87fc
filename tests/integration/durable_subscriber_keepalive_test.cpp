// DurableSubscriber's keepalive (platform/mqtt/durable_subscriber.hpp): any packet from the broker
// shows the connection alive. A broker streaming a backlog has its PINGRESP queued behind the
// messages; a subscriber that waited for the PINGRESP alone ended the connection after one
// keepalive and made the broker send everything unacknowledged again (bench/fleet.sh found it at
// 1 658 samples/s on PostgreSQL). Against a scripted broker on loopback that never answers
// PINGREQ: connected as long as it sends messages, the connection ended once it falls silent.
#include <gtest/gtest.h>

#include <asio.hpp>
#include <atomic>
#include <chrono>

#include "core/mqtt/packet.hpp"
#include "harness.hpp"
#include "platform/mqtt/durable_subscriber.hpp"

namespace ml::platform::durable_keepalive_test {

using namespace std::chrono_literals;

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
        peer = co_await acceptor.async_accept(asio::use_awaitable);
        std::array<unsigned char, 4096> in{};
        co_await peer.async_read_some(asio::buffer(in), asio::use_awaitable);  // CONNECT
        const unsigned char connack[] = {0x20, 0x02, 0x00, 0x00};
        co_await asio::async_write(peer, asio::buffer(connack), asio::use_awaitable);
        co_await peer.async_read_some(asio::buffer(in), asio::use_awaitable);  // SUBSCRIBE
        const unsigned char suback[] = {0x90, 0x03, 0x00, 0x01, 0x01};
        co_await asio::async_write(peer, asio::buffer(suback), asio::use_awaitable);
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

}  // namespace ml::platform::durable_keepalive_test
