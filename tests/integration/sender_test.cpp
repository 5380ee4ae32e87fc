// The command sender (server/sender.hpp) in this process, with a real mosquitto, the test's
// store (SQLite, or PostgreSQL in that pass) and a clock the test moves: the poll of every meter
// spread over its interval by the second (in slices of a tick), a command queued through another
// connection (as `serve` or the command line queue them) published, a batch of replies confirming
// their commands in one call, and an offline meter's commands held.
#include "server/sender.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "agent_support.hpp"
#include "mqtt_support.hpp"
#include "server/command_queue.hpp"
#include "server/config.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kStart = 1'800'000'000;

// 20 meters 1000000 ... 1000019: the even ones heat meters (polled for version and status), the
// odd ones electricity meters (version only).
std::vector<server::Meter> fleet() {
  std::vector<server::Meter> meters;
  for (int i = 0; i < 20; ++i) {
    server::Meter m;
    m.serial = std::to_string(1000000 + i);
    m.key_hex = kTestKey;
    m.kind = i % 2 == 0 ? core::meter::Kind::heat : core::meter::Kind::electricity;
    m.group = "g";
    meters.push_back(m);
  }
  return meters;
}

struct SenderRig {
  explicit SenderRig(const std::string& commands) : broker(dir) {
    broker.start();
    config = server::load_server_config(write_server_config(dir, broker.port(), commands)).value();
    store = open_test_store(dir);
    const auto meters = fleet();
    EXPECT_TRUE(store->add_meters(meters).ok());
    sender =
        std::make_unique<server::Sender>(io.get_executor(), *store, config, [this] { return now; });
  }
  ~SenderRig() { sender->stop(); }
  std::int64_t count(const std::string& sql) { return count_in(*store, sql); }

  TempDir dir;
  Broker broker;
  server::ServerConfig config;
  std::unique_ptr<server::ServerStore> store;
  asio::io_context io;
  std::int64_t now = kStart;
  std::unique_ptr<server::Sender> sender;
};

TEST(Sender, ThePollIsSpreadOverItsIntervalByTheSecond) {
  SenderRig rig("[commands]\npoll_interval = 10\n");
  ASSERT_TRUE(rig.sender->start().ok());
  const std::string queued = "SELECT count(*) FROM commands";
  run_for(rig.io, 200ms);
  EXPECT_EQ(rig.count(queued), 0) << "the first round begins 5 s after start";
  rig.now += 5;
  // 20 meters in 10 s: 2 a second, a heat meter (2 commands) and an electricity meter (1).
  for (int second = 1; second <= 10; ++second) {
    ASSERT_TRUE(run_until(rig.io, [&] { return rig.count(queued) >= 3 * second; }))
        << "second " << second << ": " << rig.count(queued);
    EXPECT_EQ(rig.count(queued), 3 * second) << "second " << second;
    if (second < 10) ++rig.now;
  }
  EXPECT_EQ(rig.count("SELECT count(DISTINCT serial) FROM commands WHERE command = 'version'"), 20);
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE command = 'status'"), 10);
  // Every one published (the broker is there): sent once, at the second it was queued.
  ASSERT_TRUE(run_until(rig.io, [&] {
    return rig.count("SELECT count(*) FROM commands WHERE state = 'sent'") == 30;
  }));
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE sent_count <> 1 OR first_sent <> "
                      "created"),
            0);
  // The round is done: nothing more until the next one, 10 s after the first began (its first
  // commands expire then, unanswered, and the next round asks again).
  run_for(rig.io, 200ms);
  EXPECT_EQ(rig.count(queued), 30);
}

TEST(Sender, ACommandQueuedElsewhereIsSentAndABatchOfRepliesConfirmsIt) {
  SenderRig rig("[commands]\npoll_interval = 0\n");
  ASSERT_TRUE(rig.sender->start().ok());
  // Another connection to the same database, as `serve` or `send` has.
  auto other = open_test_store(rig.dir);
  const auto version = server::enqueue_command(*other, "1000000", "version", "", rig.now, 0);
  const auto status = server::enqueue_command(*other, "1000002", "status", "", rig.now, 0);
  ASSERT_TRUE(version.ok() && status.ok());
  ASSERT_TRUE(run_until(rig.io, [&] {
    return rig.count("SELECT count(*) FROM commands WHERE state = 'sent'") == 2;
  }));
  EXPECT_EQ(rig.sender->sent(), 2u);
  // One ingest batch: both replies, and one that answers nothing asked.
  rig.sender->on_replies({{"1000000", "version", "linux-1.2.3", rig.now},
                          {"1000002", "status", "open", rig.now},
                          {"1000004", "version", "linux-1.2.3", rig.now}});
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE state = 'acked'"), 2);
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE command = 'version' AND reply = "
                      "'linux-1.2.3' AND state = 'acked'"),
            1);
}

// A meter whose last will came: its commands are held (not sent into its broker session, to
// arrive all at once when it is back), and the poll leaves it out; once it is heard again they
// go out at once.
TEST(Sender, AMeterThatIsOfflineHasItsCommandsHeldAndIsNotPolled) {
  SenderRig rig("[commands]\npoll_interval = 10\n");
  ASSERT_TRUE(rig.store->mark_offline("1000000", rig.now).ok());
  ASSERT_TRUE(rig.sender->start().ok());
  auto other = open_test_store(rig.dir);
  ASSERT_TRUE(server::enqueue_command(*other, "1000000", "open", "", rig.now, 0).ok());
  ASSERT_TRUE(server::enqueue_command(*other, "1000002", "open", "", rig.now, 0).ok());
  ASSERT_TRUE(run_until(rig.io, [&] {
    return rig.count("SELECT count(*) FROM commands WHERE serial = '1000002' AND state = 'sent'") ==
           1;
  }));
  ASSERT_TRUE(run_until(rig.io, [&] {
    return rig.count("SELECT count(*) FROM commands WHERE serial = '1000000' AND next_send > " +
                     std::to_string(rig.now)) == 1;
  }));
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE serial = '1000000' AND state = "
                      "'queued' AND sent_count = 0 AND next_send = " +
                      std::to_string(rig.now + rig.config.commands.retry_max_s)),
            1);
  EXPECT_EQ(rig.sender->sent(), 1u);
  // A whole round of the poll: every meter but the offline one.
  rig.now += 5;
  for (int second = 0; second < 11; ++second) {
    run_for(rig.io, 60ms);
    ++rig.now;
  }
  ASSERT_TRUE(run_until(rig.io, [&] {
    return rig.count("SELECT count(DISTINCT serial) FROM commands WHERE command = 'version'") == 19;
  }));
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE serial = '1000000'"), 1);
  // Heard again (ingest marks it online and tells the sender): what was held goes out at once.
  // (On a slow machine the first round ends only now and the next one, which includes the meter
  // again, may begin meanwhile: its poll is not what is asked about here.)
  ASSERT_TRUE(rig.store->mark_online("1000000").ok());
  rig.sender->on_back({"1000000"});
  EXPECT_TRUE(run_until(rig.io, [&] {
    return rig.count(
               "SELECT count(*) FROM commands WHERE serial = '1000000' AND command = 'open' AND "
               "state = 'sent' AND sent_count = 1") == 1;
  }));
}

// Another worker may store a command's reply within milliseconds of its publication: the
// command is recorded as sent before it is published, so that reply confirms it. Here a
// subscriber on a thread of its own answers each command the moment it sees it, through a
// connection of its own, as that worker would.
TEST(Sender, AReplyCheckedTheMomentTheCommandIsPublishedConfirmsIt) {
  SenderRig rig("[commands]\npoll_interval = 0\n");
  auto other = open_test_store(rig.dir);
  asio::io_context peer_io;
  auto work = asio::make_work_guard(peer_io);
  platform::MqttOptions o;
  o.port = rig.broker.port();
  o.client_id = "other-worker";
  platform::MqttClient peer(peer_io.get_executor(), o);
  std::atomic<int> confirmed_at_once{0};
  std::atomic<int> seen{0};
  peer.on_message([&](const platform::MqttMessage& m) {
    // /config/v2/<serial>/<time>/<command>, answered by a reply of the command's name
    const auto serial = m.topic.substr(11, 7);
    const auto function = m.topic.substr(m.topic.rfind('/') + 1);
    auto acked = server::acknowledge(*other, serial, function, "1", rig.now, rig.now);
    if (acked && !acked->empty()) ++confirmed_at_once;
    ++seen;
  });
  ASSERT_TRUE(peer.subscribe("/config/v2/#", 1).ok());
  ASSERT_TRUE(peer.start().ok());
  std::thread peer_thread([&] { peer_io.run(); });
  // Stopped and joined however the test ends (a failed assertion returns early).
  struct Joined {
    std::function<void()> stop;
    ~Joined() { stop(); }
  } joined{[&] {
    peer.stop();
    work.reset();
    peer_io.stop();
    if (peer_thread.joinable()) peer_thread.join();
  }};
  ASSERT_TRUE(run_until(rig.io, [&] { return peer.connected(); }));
  // 120 commands in one round of sends: the last is published well after the first.
  for (int i = 0; i < 20; ++i) {
    for (const char* command : {"version", "uptime", "vdd", "rssi", "mem", "ping"}) {
      ASSERT_TRUE(
          server::enqueue_command(*rig.store, std::to_string(1000000 + i), command, "", rig.now, 0)
              .ok());
    }
  }
  ASSERT_TRUE(rig.sender->start().ok());
  const bool all_seen = run_until(rig.io, [&] { return seen == 120; });
  joined.stop();
  ASSERT_TRUE(all_seen) << seen;
  EXPECT_EQ(confirmed_at_once, 120);
  EXPECT_EQ(rig.count("SELECT count(*) FROM commands WHERE state = 'acked' AND sent_count = 1"),
            120);
}

}  // namespace
}  // namespace ml::test
