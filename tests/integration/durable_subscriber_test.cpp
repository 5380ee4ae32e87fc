// DurableSubscriber's unsubscriptions (platform/mqtt/durable_subscriber.hpp) against a real
// mosquitto: a persistent session keeps the filters an earlier version of the program subscribed
// to, and a program that moved some of them to another session (`run`'s reply lane,
// server/ingest.hpp) lets go of them at connect, so that they are not delivered twice.
#include "platform/mqtt/durable_subscriber.hpp"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <memory>
#include <string>
#include <vector>

#include "mqtt_support.hpp"
#include "platform/mqtt/client.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;
using platform::DurableSubscriber;
using platform::DurableSubscriberOptions;
using platform::ReceivedMessage;

struct Session {
  Session(asio::io_context& io, int port, std::vector<core::mqtt::Subscription> subscriptions,
          std::vector<std::string> unsubscriptions) {
    DurableSubscriberOptions o;
    o.port = port;
    o.client_id = "lanes-test";
    o.subscriptions = std::move(subscriptions);
    o.unsubscriptions = std::move(unsubscriptions);
    sub = std::make_unique<DurableSubscriber>(io.get_executor(), o);
    sub->on_message([this](ReceivedMessage m) {
      topics.push_back(m.topic);
      sub->acknowledge(m);
    });
    EXPECT_TRUE(sub->start().ok());
  }
  ~Session() { sub->stop(); }
  std::unique_ptr<DurableSubscriber> sub;
  std::vector<std::string> topics;
  bool got(const std::string& topic) const {
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  }
};

TEST(DurableSubscriber, AFilterOfAnEarlierVersionIsUnsubscribedAndNoLongerDelivered) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  asio::io_context io;
  platform::MqttOptions po;
  po.port = broker.port();
  po.client_id = "lanes-test-publisher";
  platform::MqttClient publisher(io.get_executor(), po);
  ASSERT_TRUE(publisher.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return publisher.connected(); }));
  auto publish = [&](const std::string& topic) {
    const core::Bytes x{'x'};
    ASSERT_TRUE(publisher.publish(topic, x, 1, false).ok());
  };

  // The earlier version: samples and replies in one session.
  {
    Session old(io, broker.port(), {{"/sample/v2/#", 1}, {"/status/v2/#", 1}}, {});
    ASSERT_TRUE(run_until(io, [&] { return old.sub->stats().connected; }));
    publish("/status/v2/1/100");
    ASSERT_TRUE(run_until(io, [&] { return old.got("/status/v2/1/100"); }));
  }
  // The same session without unsubscribing: it still holds the old filter (the control).
  {
    Session kept(io, broker.port(), {{"/sample/v2/#", 1}}, {});
    ASSERT_TRUE(run_until(io, [&] { return kept.sub->stats().connected; }));
    publish("/status/v2/1/200");
    publish("/sample/v2/1/200");
    ASSERT_TRUE(run_until(io, [&] { return kept.got("/sample/v2/1/200"); }));
    ASSERT_TRUE(run_until(io, [&] { return kept.got("/status/v2/1/200"); }))
        << "a persistent session keeps the filters it was given before";
  }
  // This version lets go of it: the reply is no longer delivered, the samples still are.
  Session now(io, broker.port(), {{"/sample/v2/#", 1}}, {"/status/v2/#"});
  ASSERT_TRUE(run_until(io, [&] { return now.sub->stats().unsubscribed == 1; }));
  publish("/status/v2/1/300");
  publish("/sample/v2/1/300");
  ASSERT_TRUE(run_until(io, [&] { return now.got("/sample/v2/1/300"); }));
  EXPECT_FALSE(now.got("/status/v2/1/300"));
  // Unsubscribing a filter the session no longer holds is no error.
  now.sub->stop();
  Session again(io, broker.port(), {{"/sample/v2/#", 1}}, {"/status/v2/#"});
  ASSERT_TRUE(run_until(io, [&] { return again.sub->stats().unsubscribed == 1; }));
  publish("/sample/v2/1/400");
  ASSERT_TRUE(run_until(io, [&] { return again.got("/sample/v2/1/400"); }));
  EXPECT_EQ(again.sub->stats().connects, 1u);
  publisher.stop();
  io.run_for(100ms);
}

}  // namespace
}  // namespace ml::test
