// The Wi-Fi commands end to end: MQTT in, the agent's NetworkManager backend running a fake
// nmcli (tests/integration/fake/nmcli) that records its calls, replies out.
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <fstream>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

void write(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}

class NetworkCommands : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = dir_.path().string() + "/fake";
    std::filesystem::create_directories(fake_);
    log_ = dir_.path().string() + "/nmcli.log";
    ::setenv("FAKE_NMCLI_LOG", log_.c_str(), 1);
    ::setenv("FAKE_NMCLI_DIR", fake_.c_str(), 1);
    // `nmcli -t` output of a real scan: escaped colons, an '&' in a name.
    write(fake_ + "/device-wifi-list.txt",
          "yes:Loppen Public:C4\\:6E\\:1F\\:A2\\:10\\:01:6:2437 MHz:54 Mbit/s:72::(none):(none)\n"
          "no:Tom&Jerry:D8\\:07\\:B6\\:11\\:22\\:33:36:5180 MHz:270 Mbit/s:47:WPA1 WPA2:"
          "pair_tkip pair_ccmp group_tkip psk:pair_tkip pair_ccmp group_tkip psk\n");
    write(fake_ + "/connection-show.txt", "meterlogger:802-11-wireless\n");
    write(fake_ + "/device-show.txt",
          "GENERAL.STATE:100 (connected)\nGENERAL.REASON:0 (No reason given)\n"
          "GENERAL.CONNECTION:meterlogger\n");
  }
  void TearDown() override {
    ::unsetenv("FAKE_NMCLI_LOG");
    ::unsetenv("FAKE_NMCLI_DIR");
  }

  TempDir dir_;
  std::string fake_;
  std::string log_;
};

TEST_F(NetworkCommands, RoundTripThroughNetworkManager) {
  Broker broker(dir_);
  broker.start();
  Emulator meter(dir_, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(
      dir_, write_agent_config(dir_, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                               std::string("[network]\nbackend = \"networkmanager\"\nnmcli = \"") +
                                   ML_FAKE_NMCLI + "\"\n"));
  ASSERT_TRUE(server.reply("version", 0, scaled(20s))) << agent->log();
  auto ask = [&](const std::string& command, const std::string& argument) {
    return server.ask("6892850", command, argument);
  };
  // Every escape variant the original used for '=' is accepted; the reply escapes as HEAD.
  EXPECT_EQ(ask("set_ssid_pwd", "ssid=Tom%26Jerry&pwd=se%3dcr%61t%3D1"),
            "ssid=Tom%26Jerry&pwd=se%3Dcr%3Dt%3D1");
  EXPECT_EQ(ask("ssid", "1"), "Tom&Jerry");
  EXPECT_EQ(ask("rssi", "1"), "-72");  // the configured network, from the scan
  EXPECT_EQ(ask("wifi_status", "1"), "connected");
  {
    const std::size_t from = server.received.size();
    server.send("6892850", "scan");
    ASSERT_TRUE(server.wait_for(
        [](const Received& r) {
          return r.parsed.name == "scan_result" && r.text.rfind("ssid=Tom%26Jerry&", 0) == 0;
        },
        scaled(15s), from));
    std::size_t results = 0;
    for (std::size_t i = from; i < server.received.size(); ++i)
      results += server.received[i].parsed.name == "scan_result" ? 1 : 0;
    EXPECT_EQ(results, 2u);
  }
  // `reconnect` applies the new credentials through NetworkManager, then reconnects MQTT: the
  // device announces itself again.
  const std::size_t from = server.received.size();
  server.send("6892850", "reconnect");
  ASSERT_TRUE(server.reply("version", from, scaled(20s))) << agent->log();
  const std::string calls = read_text_file(log_);
  EXPECT_NE(calls.find("connection\tmodify\tid\tmeterlogger"), std::string::npos) << calls;
  EXPECT_NE(calls.find("802-11-wireless.ssid\tTom&Jerry"), std::string::npos) << calls;
  EXPECT_NE(calls.find("connection\tup\tid\tmeterlogger"), std::string::npos) << calls;
  // The password reaches nmcli but never the log.
  EXPECT_EQ(agent->log().find("se=cr=t=1"), std::string::npos);
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

TEST_F(NetworkCommands, WithoutARadioTheAnswersSaySo) {
  Broker broker(dir_);
  broker.start();
  Emulator meter(dir_, "kmp", {"--serial", "6892850", "--freeze"});
  asio::io_context io;
  TestServer server(io, broker.port());
  auto agent = start_agent(
      dir_, write_agent_config(dir_, broker.port(), {serial_meter("kmp", meter.link(), 60)}));
  ASSERT_TRUE(server.reply("version", 0, scaled(20s))) << agent->log();
  auto ask = [&](const std::string& command, const std::string& argument) {
    return server.ask("6892850", command, argument);
  };
  EXPECT_EQ(ask("rssi", "1"), "31");
  EXPECT_EQ(ask("wifi_status", "1"), "disconnected");
  EXPECT_EQ(ask("ap_status", "1"), "stopped");
  EXPECT_EQ(ask("set_ssid", "Nabovarme"), "Nabovarme");  // stored all the same
  EXPECT_EQ(ask("ssid", "1"), "Nabovarme");
  EXPECT_FALSE(std::filesystem::exists(log_));  // no nmcli was run
  EXPECT_EQ(agent->stop(SIGTERM), 0);
}

}  // namespace
}  // namespace ml::test
