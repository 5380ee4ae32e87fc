// The server's ingest end to end: a real mosquitto, the agent reading an emulated meter, and
// `meterlogger-server run`; the database is read back directly. Also the failure cases: bad
// messages, the server killed while storing, the broker restarted.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>
#include <thread>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "platform/sqlite/db.hpp"
#include "postgresql/test_cluster.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

void connect(asio::io_context& io, TestServer& client) {
  ASSERT_TRUE(run_until(io, [&] { return client.connected(); }));
}

TEST(ServerIngest, AgentSamplesLandWithExactValues) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port(), "[commands]\npoll_interval = 2\n");
  add_test_meter(config, {"--valve", "on", "--setup-value", "100.5"});
  auto server = start_server(dir, config);
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345.678"});
  asio::io_context io;
  TestServer witness(io, broker.port(), kTestKey, "witness");
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 2)}));
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 2)) << server->log() << agent->log();
  const auto rows = export_json(config, "6892850");
  ASSERT_GE(rows.size(), 2u);
  // Each stored sample is what the device sent, value for value, at its topic time.
  for (const auto& row : rows) {
    auto sent = witness.wait_for(
        [&](const Received& r) {
          return r.parsed.name == "sample" && r.parsed.time == row["time"].get<std::uint64_t>();
        },
        scaled(10s));
    ASSERT_TRUE(sent) << row.dump();
    for (const char* key : {"t1", "t2", "tdif", "flow1", "effect1", "hr", "v1", "e1"}) {
      ASSERT_TRUE(row.contains(key)) << key << " " << row.dump();
      EXPECT_NE(sent->text.find(std::string("&") + key + "=" + row[key].get<std::string>() + " "),
                std::string::npos)
          << key << " " << row.dump() << " vs " << sent->text;
    }
    EXPECT_EQ(row["energy_kwh"], row["e1"]) << "a MULTICAL 601 here reports kWh";
  }
  // The meter's last sample time is its newest sample's (one statement: more may be arriving).
  EXPECT_EQ(
      count(dir, "SELECT (SELECT last_sample_time FROM meters) - (SELECT MAX(time) FROM samples)"),
      0);
  EXPECT_GE(count(dir, "SELECT last_sample_time FROM meters"), rows.back()["time"]);
  // After connecting, the agent's version and status replies are diagnostics, not samples.
  EXPECT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM diagnostics WHERE function='version'", 1));
  auto show = server_cli(config, {"meters", "show", "6892850"});
  EXPECT_NE(show.out.find("\"status\""), std::string::npos) << show.out;
  EXPECT_EQ(show.out.find(kTestKey), std::string::npos) << "the key is never shown";
  // The periodic poll asks for version and status, and the replies confirm those commands.
  EXPECT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM commands WHERE command='version' AND "
                         "state='acked'",
                         1));
  EXPECT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM commands WHERE command='status' AND "
                         "state='acked' AND reply='close'",
                         1));
  // Hourly rollups count every sample once. One statement reads both, as one snapshot: the agent
  // goes on sending, so two queries could straddle a sample.
  EXPECT_EQ(count(dir,
                  "SELECT (SELECT SUM(samples) FROM rollups WHERE period=0) - "
                  "(SELECT COUNT(*) FROM samples)"),
            0);
}

// A sealed sample as the agent would send it.
std::pair<std::string, core::Bytes> sealed_sample(const std::string& serial, std::int64_t time,
                                                  const std::string& e1,
                                                  const std::string& key = kTestKey) {
  const std::string topic = "/sample/v2/" + serial + "/" + std::to_string(time);
  const std::string text =
      "heap=1000&t1=70.50 C&t2=40.25 C&t3=NaN C&tdif=30.25 K&flow1=100 l/h&"
      "effect1=3.5 kW&hr=1200 h&v1=321.50 m3&e1=" +
      e1 + "&";
  const auto keys = core::envelope::derive_keys_from_hex(key).value();
  return {topic, platform::seal_random(keys, topic, text, core::envelope::Padding::pkcs7).value()};
}

// `run` keeps the meters' keys it has read for 30 s. A meter added, or a key changed, by another
// process meanwhile must not cost a rejected message: a message from a serial the kept keys say
// is unknown, or that they do not open, has the keys read again (unless they were read for that
// message, and at most once a second per meter) before it is rejected.
TEST(ServerIngest, AMeterAddedOrAKeyChangedElsewhereIsReadAgainNotRejected) {
  constexpr const char* kOtherKey = "00112233445566778899aabbccddeeff";
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  const std::int64_t t = unix_now() - 3600;
  const std::string rejected = "SELECT count(*) FROM rejections";
  auto publish = [&](const std::pair<std::string, core::Bytes>& m) {
    pub.publish_raw(m.first, m.second);
  };
  // The kept keys: 6892850's, and 7000001 known to be no meter.
  publish(sealed_sample("6892850", t, "1 kWh"));
  publish(sealed_sample("7000001", t, "1 kWh", kOtherKey));
  ASSERT_TRUE(wait_count(dir, "SELECT count(*) FROM samples", 1)) << server->log();
  ASSERT_TRUE(wait_count(dir, rejected, 1)) << server->log();  // unknown_serial
  // Another process changes the key and adds the meter, and the messages follow at once (the
  // KeyChange test's device switches keys within milliseconds of the server reading them).
  ASSERT_EQ(server_cli(config, {"meters", "set", "6892850", "--key", kOtherKey}).status, 0);
  ASSERT_EQ(
      server_cli(config, {"meters", "add", "7000001", "--kind", "heat", "--key", kOtherKey}).status,
      0);
  publish(sealed_sample("6892850", t + 60, "2 kWh", kOtherKey));
  publish(sealed_sample("7000001", t + 60, "2 kWh", kOtherKey));
  EXPECT_TRUE(wait_count(dir, "SELECT count(*) FROM samples", 3)) << server->log();
  EXPECT_EQ(count(dir, rejected), 1) << server->log();
  EXPECT_EQ(count(dir, "SELECT count(*) FROM samples WHERE serial = '7000001'"), 1);
  EXPECT_EQ(server->stop(SIGTERM), 0);
}

TEST(ServerIngest, BadMessagesAreCountedAndChangeNothing) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  const std::int64_t now = unix_now();
  // unknown serial
  auto unknown = sealed_sample("7654321", now, "1 MWh");
  pub.publish_raw(unknown.first, unknown.second);
  // bad MAC: sealed with another key
  auto wrong_key = sealed_sample("6892850", now, "1 MWh", "00112233445566778899aabbccddeeff");
  pub.publish_raw(wrong_key.first, wrong_key.second);
  // tampered
  auto tampered = sealed_sample("6892850", now - 1, "1 MWh");
  tampered.second[60] ^= 1;
  pub.publish_raw(tampered.first, tampered.second);
  // garbage, too short
  pub.publish_raw("/sample/v2/6892850/" + std::to_string(now - 2), core::Bytes{1, 2, 3});
  // implausible times: zero, before 2015, an hour ahead
  for (std::int64_t t : {std::int64_t{0}, std::int64_t{1300000000}, now + 3600}) {
    auto s = sealed_sample("6892850", t, "1 MWh");
    pub.publish_raw(s.first, s.second);
  }
  // unparseable text, authentic
  {
    const std::string topic = "/sample/v2/6892850/" + std::to_string(now - 3);
    const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
    pub.publish_raw(topic, platform::seal_random(keys, topic, "heap=1&e1=12,5 kWh&",
                                                 core::envelope::Padding::pkcs7)
                               .value());
  }
  // authentic and parseable, but the database refuses to store it (a trigger stands in for a
  // storage failure that hits one message): quarantined, the rest of its batch stored
  const std::int64_t refused = now - 7200;
  if (on_postgresql()) {
    ASSERT_TRUE(exec(dir,
                     "CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                     "IF NEW.time = " +
                         std::to_string(refused) +
                         " THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$; "
                         "CREATE TRIGGER refuse_one BEFORE INSERT ON samples FOR EACH ROW "
                         "EXECUTE FUNCTION refuse_one()"));
  } else {
    ASSERT_TRUE(exec(dir, "CREATE TRIGGER refuse_one BEFORE INSERT ON samples WHEN NEW.time = " +
                              std::to_string(refused) +
                              " BEGIN SELECT RAISE(ABORT, 'refused'); END"));
  }
  auto unstorable = sealed_sample("6892850", refused, "2 MWh");
  pub.publish_raw(unstorable.first, unstorable.second);
  // and one good sample
  auto good = sealed_sample("6892850", now - 10, "56.726 MWh");
  pub.publish_raw(good.first, good.second);
  ASSERT_TRUE(wait_count(dir, "SELECT COALESCE(SUM(count), 0) FROM rejections", 9))
      << server->log();
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 1)) << server->log();
  server->stop();
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='unknown_serial'"), 1);
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='bad_mac'"), 2);
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='too_short'"), 1);
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='implausible_time'"), 3);
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='bad_text'"), 1);
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='store_failed'"), 1);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM quarantine"), 9);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), 1);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM rollups WHERE period=0"), 1);
  const auto rows = export_json(config, "6892850");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["time"], now - 10);
  EXPECT_EQ(rows[0]["e1"], "56.726");
  EXPECT_EQ(rows[0]["energy_kwh"], "56726.000");  // MWh normalised exactly, digits kept
  EXPECT_TRUE(rows[0]["t3"].is_null());           // NaN
  EXPECT_EQ(rows[0]["t1"], "70.50");
  EXPECT_EQ(count(dir, "SELECT last_sample_time FROM meters"), now - 10);
}

// The 2018 firmware cuts the last character of a MULTICAL 66 value without leading zeros: once
// V1 reaches 100000 m3 it sends "949018.". Stored as 949018, exactly, and flagged (issue 12).
TEST(ServerIngest, Mc66ValueEndingInAPointIsStoredExactlyAndFlagged) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  const std::int64_t now = unix_now();
  const std::string text =
      "heap=19872&program=112345010200&t1=65.21 C&t2=40.02 C&t3=18.20 C&tdif=25.19 C&"
      "flow1=20 l/h&effect1=0.5 kW&hr=56296 h&v1=949018. m3&e1=1234.56 MWh&";
  const std::string topic = "/sample/v2/6892850/" + std::to_string(now - 5);
  const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
  // Zero padding, as the 2018 firmware seals.
  pub.publish_raw(topic,
                  platform::seal_random(keys, topic, text, core::envelope::Padding::zero).value());
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 1, scaled(30s))) << server->log();
  server->stop();
  EXPECT_EQ(count(dir, "SELECT COALESCE(SUM(count), 0) FROM rejections"), 0);
  EXPECT_EQ(
      count(dir,
            "SELECT COUNT(*) FROM samples WHERE quirks='lost_digit:v1' AND volume_m3='949018' "
            "AND raw LIKE '%v1=949018. m3%'"),
      1);
  const auto rows = export_json(config, "6892850");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0]["v1"], "949018");
  EXPECT_EQ(rows[0]["volume_m3"], "949018");
  EXPECT_EQ(rows[0]["e1"], "1234.56");
  EXPECT_EQ(rows[0]["quirks"], "lost_digit:v1");
  auto csv = server_cli(config, {"export", "6892850", "--format", "csv"});
  ASSERT_EQ(csv.status, 0) << csv.err;
  EXPECT_NE(csv.out.find(",949018,1234.56,1234560.00,949018,lost_digit:v1\n"), std::string::npos)
      << csv.out;
}

// The original KMP firmware publishes its samples on /sample/v2/40/... and everything else on
// /sample/v2/0000040/...: one meter, whichever form it was added and is looked up with.
TEST(ServerIngest, ShortSerialsCompareAsNumbers) {
  for (const std::string added_as : {"40", "0000040"}) {
    SCOPED_TRACE(added_as);
    TempDir dir;
    Broker broker(dir);
    broker.start();
    const auto config = write_server_config(dir, broker.port());
    auto add = server_cli(config, {"meters", "add", added_as, "--kind", "heat", "--key", kTestKey});
    ASSERT_EQ(add.status, 0) << add.err;
    EXPECT_NE(add.out.find("added meter 0000040"), std::string::npos) << add.out;
    EXPECT_NE(
        server_cli(config, {"meters", "add", "00040", "--kind", "heat", "--key", kTestKey}).status,
        0);  // the same meter
    auto server = start_server(dir, config);
    asio::io_context io;
    TestServer pub(io, broker.port(), kTestKey, "publisher");
    connect(io, pub);
    const std::int64_t now = unix_now();
    const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
    for (const auto& [form, t, e1] :
         {std::tuple<std::string, std::int64_t, std::string>{"40", now - 20, "12.345 MWh"},
          {"0000040", now - 10, "12.346 MWh"}}) {
      const std::string topic = "/sample/v2/" + form + "/" + std::to_string(t);
      pub.publish_raw(topic, platform::seal_random(keys, topic, "heap=1&e1=" + e1 + "&",
                                                   core::envelope::Padding::pkcs7)
                                 .value());
    }
    {
      const std::string topic = "/status/v2/40/" + std::to_string(now - 5);
      pub.publish_raw(
          topic,
          platform::seal_random(keys, topic, "open", core::envelope::Padding::pkcs7).value());
    }
    ASSERT_TRUE(
        wait_count(dir, "SELECT COUNT(*) FROM samples WHERE serial='0000040'", 2, scaled(30s)))
        << server->log();
    ASSERT_TRUE(
        wait_count(dir, "SELECT COUNT(*) FROM diagnostics WHERE serial='0000040'", 1, scaled(30s)))
        << server->log();
    // A command goes out on both forms: a KMP or MULTICAL 66 device subscribes with "0000040",
    // a pulse meter configured as "40" with "40" (retransmitted until confirmed, so a listener
    // that subscribed late still sees it).
    Process listener({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-t",
                      "/config/v2/#", "-v"},
                     dir.file("listener.log"));
    auto send = server_cli(config, {"send", "40", "ping"});
    ASSERT_EQ(send.status, 0) << send.err;
    const auto until = std::chrono::steady_clock::now() + scaled(30s);
    auto heard = [&] {
      const std::string log = listener.log();
      return log.find("/config/v2/0000040/") != std::string::npos &&
             log.find("/config/v2/40/") != std::string::npos;
    };
    while (!heard() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(100ms);
    EXPECT_TRUE(heard()) << server->log();
    listener.stop();
    server->stop();
    EXPECT_EQ(count(dir, "SELECT COALESCE(SUM(count), 0) FROM rejections"), 0);
    EXPECT_EQ(count(dir, "SELECT last_sample_time FROM meters WHERE serial='0000040'"), now - 10);
    for (const std::string lookup : {"40", "0000040", "00000000040"}) {
      auto show = server_cli(config, {"meters", "show", lookup});
      EXPECT_EQ(show.status, 0) << lookup << ": " << show.err;
      EXPECT_NE(show.out.find("0000040"), std::string::npos) << show.out;
      EXPECT_EQ(export_json(config, lookup).size(), 2u) << lookup;
    }
    EXPECT_NE(server_cli(config, {"meters", "show", "41"}).status, 0);
  }
}

// The server is killed (SIGKILL) again and again while a publisher sends samples as fast as the
// broker takes them: every sample is stored exactly once.
TEST(ServerIngest, KilledRepeatedlyLosesAndDuplicatesNothing) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  // The first run creates the persistent session, so the broker keeps messages for it.
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  constexpr int kSamples = 2000;
  constexpr int kKills = 20;
  const std::int64_t start = unix_now() - 10 * 86400;  // ten days ago, one a minute
  std::thread killer([&] {
    for (int k = 0; k < kKills; ++k) {
      // Deliberately kills at moments spread over the ingest.
      std::this_thread::sleep_for(std::chrono::milliseconds(150 + 37 * (k % 5)));
      server->stop(SIGKILL);
      server = start_server(dir, config);
    }
  });
  for (int i = 0; i < kSamples; ++i) {
    auto s = sealed_sample("6892850", start + 60 * i, std::to_string(1000 + i) + " kWh");
    pub.publish_raw(s.first, s.second);  // waits for the broker's PUBACK
  }
  killer.join();
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", kSamples, scaled(60s)))
      << count(dir, "SELECT COUNT(*) FROM samples") << "\n"
      << server->log();
  server->stop();
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), kSamples);
  EXPECT_EQ(count(dir, "SELECT COUNT(DISTINCT time) FROM samples"), kSamples);
  EXPECT_EQ(count(dir, "SELECT MIN(time) FROM samples"), start);
  EXPECT_EQ(count(dir, "SELECT MAX(time) FROM samples"), start + 60 * (kSamples - 1));
  // Rollups saw each sample once, however often it was delivered.
  EXPECT_EQ(count(dir, "SELECT SUM(samples) FROM rollups WHERE period=0"), kSamples);
  EXPECT_EQ(count(dir, "SELECT SUM(samples) FROM rollups WHERE period=1"), kSamples);
}

// PostgreSQL goes away in the middle of a burst and comes back: ingest holds what it has
// unacknowledged (the broker keeps the rest), reconnects and stores everything once; nothing is
// quarantined for the outage. (A cluster of its own: the shared one serves other tests.)
TEST(PostgresOnly, ADatabaseRestartDuringABurstLosesNothing) {
  TempDir dir;
  OwnCluster cluster(dir.file("pg"));
  Broker broker(dir);
  broker.start();
  const std::string config = dir.file("server.toml");
  std::ofstream(config) << "log_level = \"debug\"\n[database]\nurl = \"" << cluster.url()
                        << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker.port()
                        << "\n[http]\nlisten = \"127.0.0.1:8080\"\n";
  add_test_meter(config);
  auto server = start_server(dir, config);
  const auto stored = [&] {
    auto c = platform::postgresql::Connection::open(cluster.url());
    if (!c) return std::int64_t{-1};
    auto r = c->query("SELECT COUNT(*) FROM samples");
    return r ? r->int64(0, 0) : std::int64_t{-1};
  };
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  constexpr int kSamples = 2000;
  const std::int64_t start = unix_now() - 10 * 86400;
  std::thread outage([&] {
    // Halted once ingest is under way, for long enough that the server retries (1 s, 2 s, ...).
    wait_until([&] { return stored() >= 200; }, scaled(60s), 20ms);
    ASSERT_TRUE(cluster.halt());
    std::this_thread::sleep_for(3s);  // the outage being tested, not a wait for an event
    ASSERT_TRUE(cluster.resume());
  });
  for (int i = 0; i < kSamples; ++i) {
    auto s = sealed_sample("6892850", start + 60 * i, std::to_string(1000 + i) + " kWh");
    pub.publish_raw(s.first, s.second);
  }
  outage.join();
  ASSERT_TRUE(wait_until([&] { return stored() >= kSamples; }, scaled(90s), 100ms))
      << stored() << "\n"
      << server->log();
  server->stop();
  EXPECT_NE(server->log().find("messages held unacknowledged"), std::string::npos)
      << "the outage was not seen: the test proves nothing\n"
      << server->log();
  auto c = platform::postgresql::Connection::open(cluster.url()).value();
  const auto one = [&](const std::string& sql) { return c.query(sql).value().int64(0, 0); };
  EXPECT_EQ(one("SELECT COUNT(*) FROM samples"), kSamples);
  EXPECT_EQ(one("SELECT COUNT(DISTINCT time) FROM samples"), kSamples);
  EXPECT_EQ(one("SELECT COUNT(*) FROM quarantine"), 0);
  EXPECT_EQ(one("SELECT COALESCE(SUM(samples), 0) FROM rollups WHERE period=0"), kSamples);
}

TEST(ServerIngest, BrokerRestartLosesNothing) {
  TempDir dir;
  BrokerOptions persistent;
  persistent.persistence = true;
  Broker broker(dir, persistent);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  const std::int64_t start = unix_now() - 86400;
  constexpr int kPerRound = 300;
  for (int round = 0; round < 3; ++round) {
    {
      asio::io_context io;
      TestServer pub(io, broker.port(), kTestKey, "publisher");
      connect(io, pub);
      for (int i = 0; i < kPerRound; ++i) {
        const int n = round * kPerRound + i;
        auto s = sealed_sample("6892850", start + 60 * n, std::to_string(n) + " kWh");
        pub.publish_raw(s.first, s.second);
      }
    }
    broker.stop();  // saves its database, with what the server has not acknowledged yet
    broker.start();
  }
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 3 * kPerRound, scaled(60s)))
      << count(dir, "SELECT COUNT(*) FROM samples") << "\n"
      << server->log();
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), 3 * kPerRound);
}

// Samples arriving hours late, out of order, land in the right buckets: each rollup equals one
// computed from scratch over the stored samples.
TEST(ServerIngest, LateSamplesKeepRollupsRight) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  const std::int64_t base = (unix_now() - 2 * 86400) / 86400 * 86400;  // midnight UTC
  // Newest first: hours 30..0, every 20 minutes; then a few into the middle again.
  std::vector<std::int64_t> times;
  for (int m = 30 * 60; m >= 0; m -= 20)
    times.push_back(base + 60 * m);
  for (int m : {5, 65, 125, 24 * 60 + 5})
    times.push_back(base + 60 * m);
  for (std::size_t i = 0; i < times.size(); ++i) {
    const auto minutes = (times[i] - base) / 60;
    auto s = sealed_sample("6892850", times[i], std::to_string(5000 + minutes) + ".5 kWh");
    pub.publish_raw(s.first, s.second);
  }
  ASSERT_TRUE(
      wait_count(dir, "SELECT COUNT(*) FROM samples", static_cast<std::int64_t>(times.size())))
      << server->log();
  server->stop();
  for (int period : {0, 1}) {
    const std::int64_t size = period == 0 ? 3600 : 86400;
    const auto buckets =
        rows(dir,
             "SELECT bucket, samples, first_time, last_time, energy_first, energy_last FROM "
             "rollups WHERE period=" +
                 std::to_string(period) + " ORDER BY bucket");
    for (const auto& q : buckets) {
      const std::int64_t bucket = std::stoll(q[0]);
      const auto s =
          rows(dir, "SELECT COUNT(*), MIN(time), MAX(time) FROM samples WHERE time>=" +
                        std::to_string(bucket) + " AND time<" + std::to_string(bucket + size));
      ASSERT_EQ(s.size(), 1u);
      EXPECT_EQ(q[1], s[0][0]) << "bucket " << bucket;
      EXPECT_EQ(q[2], s[0][1]);
      EXPECT_EQ(q[3], s[0][2]);
      EXPECT_EQ(q[4], std::to_string(5000 + (std::stoll(s[0][1]) - base) / 60) + ".5");
      EXPECT_EQ(q[5], std::to_string(5000 + (std::stoll(s[0][2]) - base) / 60) + ".5");
    }
    EXPECT_EQ(buckets.size(), period == 0 ? 31u : 2u);
  }
}

bool file_is(const std::string& path, const std::string& text, std::chrono::milliseconds timeout) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < end) {
    if (read_text_file(path) == text) return true;
    std::this_thread::sleep_for(50ms);
  }
  return read_text_file(path) == text;
}

// Every kind of command through the queue to the real agent and back: a reply on its own topic,
// open/close confirmed by the status that follows, open_until by its echo.
TEST(ServerCommands, SendWaitRoundTripsEveryKindOfCommand) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345"});
  AgentMeter m = serial_meter("kmp", meter.link(), 60);
  m.extra = "[meter.valve]\noutput = \"file:" + dir.file("ac1") + "\"\n";
  auto agent = start_agent(dir, write_agent_config(dir, broker.port(), {m}));
  auto ask = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "send");
    args.insert(args.begin() + 1, "6892850");
    args.insert(args.end(), {"--wait", "--timeout", std::to_string(scaled(30s).count() / 1000)});
    auto r = server_cli(config, args);
    EXPECT_EQ(r.status, 0) << args[2] << ": " << r.err << server->log() << agent->log();
    return r.out.empty() ? std::string("<nothing>") : r.out.substr(0, r.out.size() - 1);
  };
  EXPECT_EQ(ask({"version"}).find("linux"), 0u);
  EXPECT_EQ(ask({"status"}), "close");
  EXPECT_EQ(ask({"ping"}), "");
  EXPECT_FALSE(ask({"uptime"}).empty());
  // (On a failure: the output file as it is, and both logs, to tell which side was late.)
  auto valve_output = [&] {
    return "ac1: '" + read_text_file(dir.file("ac1")) + "'\n" + server->log() + agent->log();
  };
  EXPECT_EQ(ask({"open_until", "12400"}), "12400");
  EXPECT_TRUE(file_is(dir.file("ac1"), "1\n", scaled(5s))) << valve_output();
  EXPECT_EQ(ask({"close"}), "close");  // no reply of its own: the status after it
  EXPECT_TRUE(file_is(dir.file("ac1"), "0\n", scaled(5s))) << valve_output();
  EXPECT_EQ(ask({"open"}), "open");
  EXPECT_EQ(ask({"set_cron", "minute=0&hour=6&command=close"}), "minute=0&hour=6&command=close");
  EXPECT_EQ(ask({"cron"}), "1");
  EXPECT_EQ(ask({"clear_cron"}), "");
  EXPECT_EQ(ask({"rssi"}), "31");  // no radio (network backend none)
  EXPECT_EQ(ask({"ap_status"}), "stopped");
  EXPECT_EQ(ask({"chip_id"}).rfind("0x", 0), 0u);
  EXPECT_NE(ask({"network_quality"}).find("disconnect_count="), std::string::npos);
  EXPECT_NE(ask({"reset_reason"}).find("reason="), std::string::npos);
  // --timing: how long after its commit the reply was seen stored, on standard error.
  auto timed = server_cli(config, {"send", "6892850", "uptime", "--wait", "--timing", "--timeout",
                                   std::to_string(scaled(30s).count() / 1000)});
  EXPECT_EQ(timed.status, 0) << timed.err;
  EXPECT_EQ(timed.err.rfind("command #", 0), 0u) << timed.err;
  EXPECT_NE(timed.err.find(": queued -> reply stored within "), std::string::npos) << timed.err;
  // A generated key is printed once, and never again.
  auto generated =
      server_cli(config, {"meters", "add", "1111111", "--kind", "water", "--generate-key"});
  ASSERT_EQ(generated.status, 0) << generated.err;
  const auto at = generated.out.find("key: ");
  ASSERT_NE(at, std::string::npos) << generated.out;
  const std::string key = generated.out.substr(at + 5, 32);
  EXPECT_TRUE(core::envelope::parse_master_key(key).ok()) << key;
  EXPECT_EQ(server_cli(config, {"meters", "show", "1111111"}).out.find(key), std::string::npos);
  EXPECT_EQ(server_cli(config, {"meters", "list", "--json"}).out.find(key), std::string::npos);
  // A command the device does not know is refused before it is queued.
  auto bad = server_cli(config, {"send", "6892850", "make_coffee"});
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.err.find("not a device command"), std::string::npos);
  // Without a running server nothing answers: --wait gives up with the reason.
  server->stop();
  // (Deliberately 2 s: nothing may answer meanwhile.)
  auto lonely = server_cli(config, {"send", "6892850", "version", "--wait", "--timeout", "2"});
  EXPECT_EQ(lonely.status, 3);
  EXPECT_NE(lonely.err.find("no reply"), std::string::npos) << lonely.err;
}

// A sealed message on /<function>/v2/<serial>/<time>, as a device sends it.
std::pair<std::string, core::Bytes> sealed_reply(const std::string& function,
                                                 const std::string& serial, std::int64_t time,
                                                 const std::string& text,
                                                 const std::string& key = kTestKey) {
  const std::string topic = "/" + function + "/v2/" + serial + "/" + std::to_string(time);
  const auto keys = core::envelope::derive_keys_from_hex(key).value();
  return {topic, platform::seal_random(keys, topic, text, core::envelope::Padding::pkcs7).value()};
}

// A device reply recorded two hours ago and published again while the device is offline does
// not confirm a new command; the same reply sealed now does.
TEST(ServerCommands, AReplayedOldReplyConfirmsNoNewCommand) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "attacker");
  connect(io, pub);
  const std::int64_t recorded = unix_now() - 7200;
  ASSERT_EQ(server_cli(config, {"send", "6892850", "open"}).status, 0);
  ASSERT_EQ(server_cli(config, {"send", "6892850", "open_until", "12400"}).status, 0);
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM commands WHERE state='sent'", 2, scaled(30s)))
      << server->log();
  for (const auto& [function, text] : std::vector<std::pair<std::string, std::string>>{
           {"status", "open"}, {"open_until", "12400"}}) {
    auto old = sealed_reply(function, "6892850", recorded, text);
    pub.publish_raw(old.first, old.second);
  }
  // A sample after them: once it is stored, the replies before it have been handled.
  auto marker = sealed_sample("6892850", unix_now() - 5, "1 MWh");
  pub.publish_raw(marker.first, marker.second);
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 1, scaled(30s))) << server->log();
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM commands WHERE state='acked'"), 0);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM commands WHERE state='sent'"), 2);
  // The device answers now: both are confirmed.
  for (const auto& [function, text] : std::vector<std::pair<std::string, std::string>>{
           {"status", "open"}, {"open_until", "12400"}}) {
    auto fresh = sealed_reply(function, "6892850", unix_now(), text);
    pub.publish_raw(fresh.first, fresh.second);
  }
  EXPECT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM commands WHERE state='acked'", 2, scaled(30s)))
      << server->log();
}

// A message larger than the server accepts (256 KiB; the broker has no message_size_limit) is
// quarantined truncated and acknowledged; the connection stays, and later samples are stored.
TEST(ServerIngest, AnOversizeMessageIsQuarantinedWithoutAReconnectLoop) {
  TempDir dir;
  const int port = free_port();
  // The test brokers' own limit (message_size_limit 65536) left out: mosquitto's default.
  Broker broker(dir, port,
                std::string(::geteuid() == 0 ? "user root\n" : "") + "listener " +
                    std::to_string(port) +
                    " 127.0.0.1\nallow_anonymous true\npersistence false\n"
                    "max_queued_messages 0\nmax_queued_bytes 104857600\nlog_dest file " +
                    dir.file("mosquitto.log") + "\n");
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  connect(io, pub);
  const std::int64_t now = unix_now();
  pub.publish_raw("/sample/v2/6892850/" + std::to_string(now - 20), core::Bytes(300 * 1024, 0x41));
  // An empty payload is quarantined too (as an empty blob) and acknowledged.
  pub.publish_raw("/sample/v2/6892850/" + std::to_string(now - 15), {});
  for (int i = 0; i < 3; ++i) {
    auto good = sealed_sample("6892850", now - 10 + i, std::to_string(1000 + i) + " kWh");
    pub.publish_raw(good.first, good.second);
  }
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 3, scaled(30s))) << server->log();
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='too_large'"), 1);
  EXPECT_EQ(count(dir, "SELECT length(payload) FROM quarantine WHERE reason='too_large'"), 4096);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM quarantine"), 2);
  EXPECT_EQ(count(dir,
                  "SELECT count FROM rejections_by_serial WHERE serial='6892850' AND "
                  "reason='too_large'"),
            1);
  server->stop();
  // One connection from start to stop: no reconnect loop.
  const std::string log = server->log();
  std::size_t connects = 0;
  for (auto at = log.find("ingest: connected"); at != std::string::npos;
       at = log.find("ingest: connected", at + 1)) {
    ++connects;
  }
  EXPECT_EQ(connects, 1u) << log;
  EXPECT_NE(log.find("larger than the server accepts"), std::string::npos) << log;
}

// Last wills carry no MAC: 2 000 of them for serials that are no meter add nothing; a meter's
// will is one event however often it comes, and its next authentic sample makes it online.
TEST(ServerIngest, ForgedLastWillsAreBoundedAndAnAuthenticMessageOverridesThem) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "attacker");
  connect(io, pub);
  for (int i = 0; i < 2000; ++i)
    pub.publish_raw("/offline/v1/F" + std::to_string(100000 + i), {});
  for (int i = 0; i < 50; ++i)
    pub.publish_raw("/offline/v1/6892850", {});
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM events", 1, scaled(60s))) << server->log();
  // A sample after the wills: once it is stored, every will before it has been handled.
  auto sample = sealed_sample("6892850", unix_now() - 5, "1 MWh");
  pub.publish_raw(sample.first, sample.second);
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples", 1, scaled(30s))) << server->log();
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM events WHERE serial='6892850' AND kind='offline'"), 1);
  EXPECT_EQ(count(dir, "SELECT offline_since FROM meters WHERE serial='6892850'"), 0)
      << "the authentic sample overrides the will";
  auto shown = nlohmann::json::parse(server_cli(config, {"meters", "show", "6892850"}).out);
  EXPECT_TRUE(shown["offline_since"].is_null()) << shown.dump();
  // Offline again: a new will after the authentic message is a new event.
  pub.publish_raw("/offline/v1/6892850", {});
  ASSERT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM events", 2, scaled(30s))) << server->log();
  EXPECT_GT(count(dir, "SELECT offline_since FROM meters WHERE serial='6892850'"), 0);
  shown = nlohmann::json::parse(server_cli(config, {"meters", "show", "6892850"}).out);
  EXPECT_TRUE(shown["offline_since"].is_string()) << shown.dump();
  server->stop();
  EXPECT_NE(server->log().find("last wills ignored 2049"), std::string::npos) << server->log();
}

// A device with the wrong key is visible while it happens: a log line naming the serial and the
// likely cause, counts in `meters show`; a serial that is no meter is listed to adopt it.
TEST(ServerIngest, AWrongKeyAndAnUnknownSerialAreVisible) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345"});
  // The agent's configuration with another key than the server has for 6892850.
  const auto agent_config =
      write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 1)});
  std::string text = read_text_file(agent_config);
  text.replace(text.find(kTestKey), 32, "00112233445566778899aabbccddeeff");
  std::ofstream(agent_config) << text;
  auto agent = start_agent(dir, agent_config);
  ASSERT_TRUE(wait_count(dir,
                         "SELECT COALESCE(SUM(count), 0) FROM rejections_by_serial WHERE "
                         "serial='6892850' AND reason='bad_mac'",
                         3, scaled(30s)))
      << server->log() << agent->log();
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), 0);
  // The log names the serial and the likely cause, while the server runs.
  const std::string log = server->log();
  EXPECT_NE(log.find("6892850"), std::string::npos);
  EXPECT_NE(log.find("bad MAC: wrong key?"), std::string::npos) << log;
  auto shown = nlohmann::json::parse(server_cli(config, {"meters", "show", "6892850"}).out);
  EXPECT_GE(shown["rejected"]["bad_mac"]["count"].get<int>(), 3) << shown.dump();
  EXPECT_EQ(shown["rejected"]["bad_mac"]["hint"], "bad MAC: wrong key?");
  // A serial that is not a meter: listed, until it is added.
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "stranger");
  connect(io, pub);
  auto stranger = sealed_sample("7654321", unix_now() - 5, "1 MWh");
  pub.publish_raw(stranger.first, stranger.second);
  pub.publish_raw(stranger.first, stranger.second);
  ASSERT_TRUE(wait_count(dir,
                         "SELECT COALESCE(SUM(count), 0) FROM rejections_by_serial WHERE "
                         "serial='7654321'",
                         2, scaled(30s)))
      << server->log();
  auto unknown = server_cli(config, {"meters", "unknown", "--json"});
  ASSERT_EQ(unknown.status, 0) << unknown.err;
  auto row = nlohmann::json::parse(unknown.out.substr(0, unknown.out.find('\n')));
  EXPECT_EQ(row["serial"], "7654321");
  EXPECT_EQ(row["count"], 2);
  EXPECT_EQ(unknown.out.find("6892850"), std::string::npos) << unknown.out;
  ASSERT_EQ(
      server_cli(config, {"meters", "add", "7654321", "--kind", "heat", "--key", kTestKey}).status,
      0);
  EXPECT_EQ(server_cli(config, {"meters", "unknown", "--json"}).out, "");
}

// server.db holds every meter key and the password hashes: it and its -wal and -shm files are
// the owner's only whatever the umask, in folders only the owner may enter.
TEST(ServerIngest, TheDatabaseIsPrivate) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const mode_t saved = ::umask(022);
  auto config = write_server_config(dir, broker.port());
  std::string text = read_text_file(config);
  text.replace(text.find(dir.file("server.db")), dir.file("server.db").size(),
               dir.file("var/lib/server.db"));
  std::ofstream(config) << text;
  add_test_meter(config);
  auto server = start_server(dir, config);
  auto mode = [](const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return -1;
    return static_cast<int>(st.st_mode & 07777);
  };
  EXPECT_EQ(mode(dir.file("var")), 0700);
  EXPECT_EQ(mode(dir.file("var/lib")), 0700);
  EXPECT_EQ(mode(dir.file("var/lib/server.db")), 0600);
  EXPECT_EQ(mode(dir.file("var/lib/server.db-wal")), 0600);  // while `run` has it open
  EXPECT_EQ(mode(dir.file("var/lib/server.db-shm")), 0600);
  server->stop();
  // A database an older version left readable by everyone is made private when opened.
  ::chmod(dir.file("var/lib/server.db").c_str(), 0644);
  ASSERT_EQ(server_cli(config, {"meters", "list"}).status, 0);
  EXPECT_EQ(mode(dir.file("var/lib/server.db")), 0600);
  ::umask(saved);
}

// Read-only commands never create the database (docs/server.md, "Read-only commands"): a
// missing one is an error naming the path and what to do, and nothing appears on disk; a
// writing command creates it 0600 whatever the umask; an older schema is not migrated by a
// read-only command.
TEST(ServerStore, ReadOnlyCommandsNeverCreateTheDatabase) {
  TempDir dir;
  auto config = write_server_config(dir, 1883);
  std::string text = read_text_file(config);
  const std::string db = dir.file("var/lib/server.db");
  text.replace(text.find(dir.file("server.db")), dir.file("server.db").size(), db);
  std::ofstream(config) << text;
  for (std::vector<std::string> args : {std::vector<std::string>{"meters", "list"},
                                        {"alarms", "list"},
                                        {"notify", "log"},
                                        {"export", "6892850"},
                                        {"users", "list"}}) {
    auto r = server_cli(config, args);
    EXPECT_EQ(r.status, 1) << args[0];
    EXPECT_NE(r.err.find("no database at " + db +
                         ": run `meterlogger-server run` or `meters add` first, or check "
                         "[database] path in " +
                         config),
              std::string::npos)
        << r.err;
    struct stat st {};
    EXPECT_NE(::stat(db.c_str(), &st), 0) << args[0];
    EXPECT_NE(::stat(dir.file("var").c_str(), &st), 0) << args[0] << " created the folder";
  }
  const mode_t saved = ::umask(0);
  auto m = server_cli(config, {"migrate"});
  ::umask(saved);
  ASSERT_EQ(m.status, 0) << m.err;
  EXPECT_NE(m.out.find("created at schema version"), std::string::npos) << m.out;
  struct stat st {};
  ASSERT_EQ(::stat(db.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat(dir.file("var/lib").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_EQ(server_cli(config, {"meters", "list"}).status, 0);
  EXPECT_NE(server_cli(config, {"migrate"}).out.find("nothing to do"), std::string::npos);

  // A database an older version wrote: the read-only command says to migrate, changes nothing.
  {
    auto d = platform::sqlite::Db::open(db);
    ASSERT_TRUE(d);
    ASSERT_TRUE(d->exec("PRAGMA user_version=3"));
  }
  auto old = server_cli(config, {"meters", "list"});
  EXPECT_EQ(old.status, 1);
  EXPECT_NE(old.err.find("schema version 3"), std::string::npos) << old.err;
  EXPECT_NE(old.err.find("meterlogger-server migrate"), std::string::npos) << old.err;
  auto d = platform::sqlite::Db::open_read_only(db);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->schema_version().value(), 3);
}

// `meterlogger-server check` against a real mosquitto (docs/install.md, "Check your
// installation"): a good installation is all ok; a wrong broker port, a password file others may
// read and an anonymous broker are named with what to do.
struct CheckSetup {
  TempDir dir;
  Broker broker{dir, [&] {
                  BrokerOptions o;
                  o.password_file = make_password_file(dir, "server", "s3cret");
                  return o;
                }()};
  std::string config;
  std::string password_file = dir.file("mqtt.pw");
  std::string mosquitto_conf = dir.file("mosquitto.conf");

  explicit CheckSetup(int port = 0) {
    broker.start();
    std::ofstream(password_file) << "s3cret\n";
    ::chmod(password_file.c_str(), 0600);
    config = dir.file("server.toml");
    std::ofstream(config) << "[database]\npath = \"" << dir.file("server.db")
                          << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = "
                          << (port != 0 ? port : broker.port())
                          << "\nusername = \"server\"\npassword_file = \"" << password_file
                          << "\"\n[http]\nweb_dir = \"" << ML_WEB_DIR << "\"\n";
    std::ofstream(mosquitto_conf) << "persistence true\nmax_queued_messages 0\n"
                                     "message_size_limit 65536\nallow_anonymous false\n"
                                     "password_file /etc/mosquitto/meterlogger.passwd\n";
  }
  RunResult check() { return server_cli(config, {"check", "--mosquitto-conf", mosquitto_conf}); }
};

bool has_line(const std::string& out, const std::string& start, const std::string& part) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(start, 0) == 0 && line.find(part) != std::string::npos) return true;
  return false;
}

TEST(ServerCheck, AGoodInstallationIsAllOk) {
  CheckSetup s;
  ASSERT_EQ(server_cli(s.config, {"migrate"}).status, 0);
  auto r = s.check();
  EXPECT_EQ(r.status, 0) << r.out << r.err;
  EXPECT_EQ(r.out.find("\nerror"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("\nwarning"), std::string::npos) << r.out;
  EXPECT_TRUE(has_line(r.out, "ok",
                       "connected to 127.0.0.1:" + std::to_string(s.broker.port()) + " as server"))
      << r.out;
  EXPECT_TRUE(has_line(r.out, "ok", "mqtt.password_file: " + s.password_file)) << r.out;
  EXPECT_TRUE(has_line(r.out, "ok", "dashboard: index.html in")) << r.out;
  EXPECT_TRUE(has_line(r.out, "ok", "database: ")) << r.out;
  EXPECT_NE(r.out.find("  max_queued_messages 0"), std::string::npos) << r.out;  // recommended
}

TEST(ServerCheck, AWrongBrokerPortIsAnErrorNamingIt) {
  CheckSetup s(1);  // nothing listens on port 1
  auto r = s.check();
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has_line(r.out, "error", "127.0.0.1:1")) << r.out;
  struct stat st {};
  EXPECT_NE(::stat(s.dir.file("server.db").c_str(), &st), 0) << "check created the database";
}

TEST(ServerCheck, APasswordFileOthersMayReadIsAnErrorWithTheChmod) {
  CheckSetup s;
  ::chmod(s.password_file.c_str(), 0644);
  auto r = s.check();
  EXPECT_EQ(r.status, 1);
  EXPECT_TRUE(has_line(r.out, "error", "chmod 600 " + s.password_file)) << r.out;
  EXPECT_EQ(r.out.find("s3cret"), std::string::npos);  // never shown
}

TEST(ServerCheck, AnAnonymousBrokerIsAWarning) {
  CheckSetup s;
  ASSERT_EQ(server_cli(s.config, {"migrate"}).status, 0);
  std::ofstream(s.mosquitto_conf, std::ios::app) << "allow_anonymous true\n";
  auto r = s.check();
  EXPECT_EQ(r.status, 0) << r.out;
  EXPECT_TRUE(has_line(r.out, "warning", "allow_anonymous true in " + s.mosquitto_conf)) << r.out;
}

// The prepaid loop: a payment becomes open_until = paid + setup value, the device opens its
// valve, and closes it by itself exactly when the meter reaches the paid energy.
TEST(ServerPrepaid, PaymentClosesTheValveAtThePaidEnergy) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config, {"--valve", "on", "--setup-value", "12345"});
  auto server = start_server(dir, config);
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12340"});
  AgentMeter m = serial_meter("kmp", meter.link(), 1);
  m.extra = "[meter.valve]\noutput = \"file:" + dir.file("ac1") + "\"\n";
  auto agent = start_agent(dir, write_agent_config(dir, broker.port(), {m}));
  // 17.00 at 1.70 per kWh = 10 kWh, and 5.10 at 0.85 = 6 kWh: the valve closes at 12361.
  auto paid = server_cli(config, {"pay", "6892850", "--amount", "17.00", "--price", "1.70"});
  ASSERT_EQ(paid.status, 0) << paid.err;
  EXPECT_NE(paid.out.find("open_until 12355"), std::string::npos) << paid.out;
  paid = server_cli(config, {"pay", "6892850", "--amount", "5.10", "--price", "0.85"});
  EXPECT_NE(paid.out.find("open_until 12361"), std::string::npos) << paid.out;
  ASSERT_TRUE(file_is(dir.file("ac1"), "1\n", scaled(30s))) << server->log() << agent->log();
  // The older, unconfirmed limit was superseded; the newer one confirmed.
  EXPECT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM commands WHERE command='open_until' AND "
                         "argument='12361' AND state='acked'",
                         1));
  const std::size_t queued = samples_queued(*agent);
  meter.request({{"cmd", "set"}, {"energy", "12360.9"}});
  // Two samples later the agent has read 12360.9 (the first may have been under way).
  ASSERT_TRUE(wait_for_samples_queued(*agent, queued + 2)) << agent->log();
  EXPECT_EQ(read_text_file(dir.file("ac1")), "1\n") << "below the paid energy: still open";
  meter.request({{"cmd", "set"}, {"energy", "12361"}});
  EXPECT_TRUE(file_is(dir.file("ac1"), "0\n", scaled(5s))) << agent->log();
  // The server hears the device's own `status` -> close.
  EXPECT_TRUE(wait_count(dir,
                         "SELECT COUNT(*) FROM diagnostics WHERE function='status' AND "
                         "value='close'",
                         1));
  // A correction resends the limit: withdrawing the second payment brings it back to 12355.
  auto list = server_cli(config, {"payments", "list", "6892850"});
  EXPECT_NE(list.out.find("open_until 12361"), std::string::npos) << list.out;
  const auto second = count(dir, "SELECT MAX(id) FROM payments");
  auto withdrawn = server_cli(config, {"payments", "void", std::to_string(second)});
  EXPECT_NE(withdrawn.out.find("open_until 12355"), std::string::npos) << withdrawn.out;
  auto audit = server_cli(config, {"payments", "audit", "6892850"});
  EXPECT_NE(audit.out.find("void #" + std::to_string(second)), std::string::npos) << audit.out;
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM payments_audit"), 3);
  // The audit log cannot be edited.
  auto db = platform::sqlite::Db::open(dir.file("server.db")).value();
  EXPECT_FALSE(db.exec("DELETE FROM payments_audit").ok());
  EXPECT_FALSE(db.exec("UPDATE payments_audit SET amount='0'").ok());
}

}  // namespace
}  // namespace ml::test
