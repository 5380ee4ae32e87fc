// `run` keeps the meters' keys it has read for 30 s (docs/server.md, "Ingest"). A meter added, or
// a key changed, by another process meanwhile must not cost a rejected message: a message from a
// serial the kept keys say is unknown, or that they do not open, has the keys read again (unless
// they were read for that message, and at most once a second per meter) before it is rejected.
#include <gtest/gtest.h>

#include "agent_support.hpp"
#include "core/envelope/envelope.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kOtherKey = "00112233445566778899aabbccddeeff";

std::pair<std::string, core::Bytes> sealed(const std::string& serial, const std::string& key_hex,
                                           std::int64_t time) {
  const std::string topic = "/sample/v2/" + serial + "/" + std::to_string(time);
  const auto keys = core::envelope::derive_keys_from_hex(key_hex).value();
  return {topic,
          platform::seal_random(keys, topic, "heap=1000&e1=1 kWh&", core::envelope::Padding::pkcs7)
              .value()};
}

TEST(ServerIngest, AMeterAddedOrAKeyChangedElsewhereIsReadAgainNotRejected) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  auto server = start_server(dir, config);
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));
  const std::int64_t t = unix_now() - 3600;
  const std::string rejected = "SELECT count(*) FROM rejections";

  // The kept keys: 6892850's, and 7000001 known to be no meter.
  auto publish = [&](const std::pair<std::string, core::Bytes>& m) {
    pub.publish_raw(m.first, m.second);
  };
  publish(sealed("6892850", kTestKey, t));
  publish(sealed("7000001", kOtherKey, t));
  ASSERT_TRUE(wait_count(dir, "SELECT count(*) FROM samples", 1)) << server->log();
  ASSERT_TRUE(wait_count(dir, rejected, 1)) << server->log();  // unknown_serial

  // Another process changes the key and adds the meter, and the messages follow at once (the
  // KeyChange test's device switches keys within milliseconds of the server reading them).
  ASSERT_EQ(server_cli(config, {"meters", "set", "6892850", "--key", kOtherKey}).status, 0);
  ASSERT_EQ(
      server_cli(config, {"meters", "add", "7000001", "--kind", "heat", "--key", kOtherKey}).status,
      0);
  publish(sealed("6892850", kOtherKey, t + 60));
  publish(sealed("7000001", kOtherKey, t + 60));
  EXPECT_TRUE(wait_count(dir, "SELECT count(*) FROM samples", 3)) << server->log();
  EXPECT_EQ(count(dir, rejected), 1) << server->log();
  EXPECT_EQ(count(dir, "SELECT count(*) FROM samples WHERE serial = '7000001'"), 1);
  EXPECT_EQ(server->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace ml::test
