// `meterlogger-server ingest --from FILE` end to end: messages published to a real mosquitto are
// captured with the mosquitto_sub command docs/server.md gives, then stored from the file through
// run's pipeline: exact values, rollups, rejections quarantined, bad lines reported and changing
// nothing, and a second run storing nothing twice. Runs on both backends (ServerIngest.*).
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "agent_support.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

std::size_t lines_in(const std::string& path) {
  const std::string text = read_text_file(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string sample_text(int minute) {
  return "heap=1000&t1=70.50 C&t2=40.25 C&t3=NaN C&tdif=30.25 K&flow1=100 l/h&effect1=3.5 kW&"
         "hr=1200 h&v1=321.5" +
         std::to_string(minute % 10) + " m3&e1=" + std::to_string(12000 + minute) + ".125 kWh&";
}

TEST(ServerIngest, ACaptureFileIsStoredAsRunStoresItAndTwiceStoresNothingTwice) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const auto config = write_server_config(dir, broker.port());
  add_test_meter(config);
  // The capture, as docs/server.md ("Ingesting a capture file") gives it.
  const std::string capture = dir.file("capture.txt");
  Process sub({"mosquitto_sub", "-h", "127.0.0.1", "-p", std::to_string(broker.port()), "-q", "1",
               "-v", "-F", "%t\\t%x", "-t", "/+/v2/#", "-t", "/offline/v1/#"},
              capture, dir.file("mosquitto_sub.err"));
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));
  // A last will of a serial that is no meter (changes nothing), until the capture has it: then
  // mosquitto_sub has subscribed.
  ASSERT_TRUE(run_until(
      io,
      [&] {
        pub.publish_raw("/offline/v1/9999999", {});
        run_for(io, 50ms);
        return lines_in(capture) > 0;
      },
      scaled(20s)))
      << read_text_file(dir.file("mosquitto_sub.err"));
  const std::size_t wills = lines_in(capture);  // (a late one only adds to them)

  const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
  auto sealed = [](const core::envelope::Keys& k, const std::string& topic,
                   const std::string& text) {
    return platform::seal_random(k, topic, text, core::envelope::Padding::pkcs7).value();
  };
  // 30 samples, one every 6 minutes over three hours, from midnight UTC two days ago.
  const std::int64_t base = (unix_now() - 2 * 86400) / 86400 * 86400;
  std::size_t published = 0;
  for (int i = 0; i < 30; ++i) {
    const std::string topic = "/sample/v2/6892850/" + std::to_string(base + 360 * i);
    pub.publish_raw(topic, sealed(keys, topic, sample_text(6 * i)));
    ++published;
  }
  {  // a reply
    const std::string topic = "/status/v2/6892850/" + std::to_string(base + 100);
    pub.publish_raw(topic, sealed(keys, topic, "open"));
    ++published;
  }
  {  // sealed with another key: bad_mac
    const std::string topic = "/sample/v2/6892850/" + std::to_string(base + 60);
    const auto other = core::envelope::derive_keys_from_hex("00112233445566778899aabbccddeeff");
    pub.publish_raw(topic, sealed(other.value(), topic, sample_text(1)));
    ++published;
  }
  {  // no such meter: unknown_serial
    const std::string topic = "/sample/v2/7654321/" + std::to_string(base + 60);
    pub.publish_raw(topic, sealed(keys, topic, sample_text(1)));
    ++published;
  }
  ASSERT_TRUE(run_until(
      io, [&] { return lines_in(capture) >= wills + published; }, scaled(20s)))
      << wills << " + " << published << " lines expected, " << lines_in(capture) << " captured";
  sub.stop();
  const std::string captured = read_text_file(capture);
  const std::size_t captured_lines = lines_in(capture);
  // Bad lines: none of them is stored, counted as a rejection or quarantined.
  {
    std::ofstream out(capture, std::ios::app);
    out << "# a note, skipped\n"
        << "/sample/v2/6892850/" << base + 120 << " 00ff\n"   // no tab
        << "/sample/v2/6892850/" << base + 180 << "\t00fg\n"  // bad hex
        << "/sample/v2/+/" << base + 240 << "\t00\n";         // a wildcard: bad topic
  }

  auto first = server_cli(config, {"ingest", "--from", capture});
  EXPECT_EQ(first.status, 3) << first.out << first.err;  // some lines were bad
  EXPECT_NE(first.out.find("stored 31, duplicates 0"), std::string::npos) << first.out;
  EXPECT_NE(first.out.find("rejected: bad_mac=1 unknown_serial=1\n"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find("bad lines: 3 (bad_hex=1 bad_topic=1 no_tab=1)"), std::string::npos)
      << first.out;
  EXPECT_NE(first.out.find(" messages/s)"), std::string::npos) << first.out;
  const std::size_t first_bad = captured_lines + 2;  // after the note
  EXPECT_NE(first.err.find(capture + ":" + std::to_string(first_bad) + ": no_tab: "),
            std::string::npos)
      << first.err;
  EXPECT_NE(first.err.find(":" + std::to_string(first_bad + 1) + ": bad_hex: 'g' at column"),
            std::string::npos)
      << first.err;

  // Exact values, at their topic times.
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), 30);
  auto exported = server_cli(config, {"export", "6892850", "--format", "json"});
  ASSERT_EQ(exported.status, 0) << exported.err;
  std::istringstream lines(exported.out);
  int i = 0;
  for (std::string line; std::getline(lines, line); ++i) {
    const auto row = nlohmann::json::parse(line);
    EXPECT_EQ(row["time"], base + 360 * i);
    EXPECT_EQ(row["e1"], std::to_string(12000 + 6 * i) + ".125");
    EXPECT_EQ(row["energy_kwh"], std::to_string(12000 + 6 * i) + ".125");
    EXPECT_EQ(row["v1"], "321.5" + std::to_string(6 * i % 10));
    EXPECT_EQ(row["t1"], "70.50");
    EXPECT_TRUE(row["t3"].is_null());
  }
  EXPECT_EQ(i, 30);
  EXPECT_EQ(count(dir, "SELECT last_sample_time FROM meters WHERE serial='6892850'"),
            base + 360 * 29);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM diagnostics WHERE function='status'"), 1);
  // Rollups: three hours of ten samples, one day of thirty, first and last energy exact.
  const auto hours = rows(dir,
                          "SELECT bucket, samples, first_time, last_time, energy_first, "
                          "energy_last FROM rollups WHERE period=0 ORDER BY bucket");
  ASSERT_EQ(hours.size(), 3u);
  for (int h = 0; h < 3; ++h) {
    const auto& r = hours[static_cast<std::size_t>(h)];
    EXPECT_EQ(r[0], std::to_string(base + 3600 * h));
    EXPECT_EQ(r[1], "10");
    EXPECT_EQ(r[2], std::to_string(base + 3600 * h));
    EXPECT_EQ(r[3], std::to_string(base + 3600 * h + 360 * 9));
    EXPECT_EQ(r[4], std::to_string(12000 + 60 * h) + ".125");
    EXPECT_EQ(r[5], std::to_string(12000 + 60 * h + 54) + ".125");
  }
  const auto days = rows(dir, "SELECT bucket, samples FROM rollups WHERE period=1");
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(days[0][0], std::to_string(base));
  EXPECT_EQ(days[0][1], "30");
  // Rejections counted and quarantined as `run` does; bad lines left no trace.
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='bad_mac'"), 1);
  EXPECT_EQ(count(dir, "SELECT count FROM rejections WHERE reason='unknown_serial'"), 1);
  EXPECT_EQ(count(dir, "SELECT COALESCE(SUM(count), 0) FROM rejections"), 2);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM quarantine"), 2);
  // The status reply's valve event; the unknown serial's wills made none.
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM events"), 1);

  // Twice: no sample stored again, the rollups as they were (the reply, newest-wins, is written
  // again with the same value and time: "stored 1").
  const auto rollups_before = rows(dir, "SELECT * FROM rollups ORDER BY period, bucket");
  auto second = server_cli(config, {"ingest", "--from", capture});
  EXPECT_EQ(second.status, 3) << second.out << second.err;
  EXPECT_NE(second.out.find("stored 1, duplicates 30"), std::string::npos) << second.out;
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), 30);
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM events"), 1);
  EXPECT_EQ(rows(dir, "SELECT * FROM rollups ORDER BY period, bucket"), rollups_before);
  // The capture as mosquitto_sub wrote it, without the bad lines: exit status 0.
  const std::string clean = dir.file("clean.txt");
  std::ofstream(clean) << captured;
  auto third = server_cli(config, {"ingest", "--from", clean, "--batch", "7"});
  EXPECT_EQ(third.status, 0) << third.out << third.err;
  EXPECT_NE(third.out.find("stored 1, duplicates 30"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("bad lines: 0\n"), std::string::npos) << third.out;
  EXPECT_EQ(count(dir, "SELECT COUNT(*) FROM samples"), 30);
  EXPECT_EQ(rows(dir, "SELECT * FROM rollups ORDER BY period, bucket"), rollups_before);

  // A file that is not there: the command fails and says so.
  auto missing = server_cli(config, {"ingest", "--from", dir.file("nothing.txt")});
  EXPECT_EQ(missing.status, 1);
  EXPECT_NE(missing.err.find("cannot open"), std::string::npos) << missing.err;
}

}  // namespace
}  // namespace ml::test
