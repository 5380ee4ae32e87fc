// The network backends and the Wi-Fi commands. NmcliBackend runs tests/integration/fake/nmcli,
// which records each call and plays back canned `nmcli -t` output, so the exact command lines the
// real backend runs are checked here.
#include "agent/network.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "coro_support.hpp"
#include "sim_support.hpp"

namespace ml::agent {
namespace {

namespace fs = std::filesystem;
using Argv = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

using test::run;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_file(const fs::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

using test::TempDir;

// ---- fixture: a store and the fake nmcli -------------------------------------------------------

// One call from the fake's log: the arguments.
Argv unescape_call(const std::string& line) {
  Argv args(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\t') {
      args.emplace_back();
    } else if (c == '\\' && i + 1 < line.size()) {
      const char n = line[++i];
      args.back() += n == 't' ? '\t' : n == 'n' ? '\n' : n;
    } else {
      args.back() += c;
    }
  }
  return args;
}

const std::string kWifiFields =
    "ACTIVE,SSID,BSSID,CHAN,FREQ,RATE,SIGNAL,SECURITY,WPA-FLAGS,RSN-FLAGS";
const std::string kDeviceFields = "GENERAL.STATE,GENERAL.REASON,GENERAL.CONNECTION";

// Real `nmcli -t -f <kWifiFields> device wifi list` output (escaped colons, an '&' and a ':' in an
// SSID, a hidden enterprise network, a 5 GHz network).
const char* const kWifiList =
    R"(no:Nabovarme:C4\:6E\:1F\:A2\:10\:02:11:2462 MHz:130 Mbit/s:64:WPA2:(none):pair_ccmp group_ccmp psk
yes:Loppen Public:C4\:6E\:1F\:A2\:10\:01:6:2437 MHz:54 Mbit/s:72::(none):(none)
no:Tom&Jerry\:5G:D8\:07\:B6\:11\:22\:33:36:5180 MHz:270 Mbit/s:47:WPA1 WPA2:pair_tkip pair_ccmp group_tkip psk:pair_tkip pair_ccmp group_tkip psk
no::E0\:63\:DA\:00\:00\:01:1:2412 MHz:65 Mbit/s:30:WPA2 802.1X:(none):pair_ccmp group_ccmp 802.1X
no:Nabovarme:C4\:6E\:1F\:A2\:10\:03:1:2412 MHz:130 Mbit/s:80:WPA2:(none):pair_ccmp group_ccmp psk
)";

const char* const kProfiles = "Wired connection 1:802-3-ethernet\nLoppen Public:802-11-wireless\n";

class NetworkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = fs::path(dir_.path()) / "fake";
    fs::create_directories(fake_);
    log_ = fs::path(dir_.path()) / "nmcli.log";
    ::setenv("FAKE_NMCLI_LOG", log_.c_str(), 1);
    ::setenv("FAKE_NMCLI_DIR", fake_.c_str(), 1);
    auto s = Store::open((fs::path(dir_.path()) / "state").string());
    ASSERT_TRUE(s.ok()) << s.error().message();
    store_.emplace(std::move(s).value());
    settings_.backend = "networkmanager";
    settings_.nmcli = ML_FAKE_NMCLI;
    settings_.timeout = std::chrono::seconds(10);
  }
  void TearDown() override {
    ::unsetenv("FAKE_NMCLI_LOG");
    ::unsetenv("FAKE_NMCLI_DIR");
  }

  // Canned answers for a call key (see the fake): file <key>[.<n>].<ext>.
  void answer(const std::string& key, const std::string& text) {
    write_file(fake_ / (key + ".txt"), text);
  }
  void fail(const std::string& key, int status, const std::string& err) {
    write_file(fake_ / (key + ".status"), std::to_string(status));
    write_file(fake_ / (key + ".err"), err);
  }
  void fail_nth(const std::string& key, int n, int status, const std::string& err) {
    write_file(fake_ / (key + "." + std::to_string(n) + ".status"), std::to_string(status));
    write_file(fake_ / (key + "." + std::to_string(n) + ".err"), err);
  }

  std::vector<Argv> calls() {
    std::vector<Argv> out;
    std::istringstream in(read_file(log_));
    for (std::string line; std::getline(in, line);)
      out.push_back(unescape_call(line));
    return out;
  }
  void forget_calls() { fs::remove(log_); }

  NmcliBackend nmcli() {
    return NmcliBackend(settings_, *store_, [] { return 1700000000; });
  }
  NoneBackend none() {
    return NoneBackend(*store_, [] { return 1700000000; });
  }

  std::optional<std::string> stored(const std::string& key) {
    auto v = store_->setting(std::string(kNetworkScope), key);
    EXPECT_TRUE(v.ok());
    return v.ok() ? *v : std::nullopt;
  }

  NetworkOutcome command(NetworkBackend& backend, const std::string& name,
                         const std::string& argument = "") {
    return run(run_network_command(backend, "0123456", name, argument));
  }

  static std::vector<std::string> texts(const NetworkOutcome& o, const std::string& function) {
    std::vector<std::string> out;
    for (const auto& r : o.replies) {
      EXPECT_EQ(r.function, function);
      out.push_back(r.text);
    }
    return out;
  }

  TempDir dir_;
  fs::path fake_;
  fs::path log_;
  std::optional<Store> store_;
  NetworkSettings settings_;
};

// ---- settings and factory -----------------------------------------------------------------------

TEST_F(NetworkTest, SettingsAreChecked) {
  NetworkSettings s;
  EXPECT_TRUE(check_network_settings(s).ok());
  s.backend = "wpa_supplicant";
  auto c = check_network_settings(s);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().code, core::Errc::config_invalid);
  EXPECT_EQ(c.error().detail,
            "network.backend: must be \"none\" or \"networkmanager\", not \"wpa_supplicant\"");
  s = {};
  s.interface = "wlan 0";
  EXPECT_EQ(check_network_settings(s).error().detail.substr(0, 18), "network.interface:");
  s = {};
  s.ap_profile = s.station_profile;
  EXPECT_FALSE(check_network_settings(s).ok());
  s = {};
  s.ap_ssid = std::string(33, 'x');
  EXPECT_FALSE(check_network_settings(s).ok());
  s = {};
  s.ap_address = "10.0.5.1";
  EXPECT_FALSE(check_network_settings(s).ok());
  s = {};
  s.timeout = std::chrono::milliseconds(0);
  EXPECT_FALSE(check_network_settings(s).ok());

  auto b = make_network_backend(settings_, *store_, [] { return 0; });
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->kind(), "networkmanager");
  settings_.backend = "none";
  EXPECT_EQ((*make_network_backend(settings_, *store_, [] { return 0; }))->kind(), "none");
  settings_.backend = "other";
  EXPECT_FALSE(make_network_backend(settings_, *store_, [] { return 0; }).ok());
}

TEST_F(NetworkTest, CommandNames) {
  for (const char* name :
       {"ssid", "rssi", "scan", "set_ssid", "set_pwd", "set_ssid_pwd", "wifi_status", "reconnect",
        "start_ap", "stop_ap", "ap_status", "set_ap_mesh_pwd"}) {
    EXPECT_TRUE(is_network_command(name)) << name;
  }
  for (const char* name : {"ping", "scan_result", "network_quality", "SSID", ""}) {
    EXPECT_FALSE(is_network_command(name)) << name;
  }
  auto b = none();
  auto o = command(b, "ping");
  EXPECT_TRUE(o.replies.empty());
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::invalid_argument);
}

// ---- none ---------------------------------------------------------------------------------------

TEST_F(NetworkTest, NoneAnswersThatThereIsNoRadio) {
  auto b = none();
  EXPECT_EQ(texts(command(b, "ssid"), "ssid"), (Argv{""}));
  EXPECT_EQ(texts(command(b, "rssi"), "rssi"), (Argv{"31"}));
  EXPECT_TRUE(command(b, "scan").replies.empty());
  EXPECT_EQ(texts(command(b, "wifi_status"), "wifi_status"), (Argv{"disconnected"}));
  EXPECT_EQ(texts(command(b, "ap_status"), "ap_status"), (Argv{"stopped"}));
  auto r = command(b, "reconnect");
  EXPECT_TRUE(r.replies.empty());
  EXPECT_FALSE(r.error);
  EXPECT_TRUE(r.reconnect_mqtt);
  EXPECT_FALSE(fs::exists(log_));  // nmcli never ran
}

TEST_F(NetworkTest, NoneStoresTheSettings) {
  {
    auto b = none();
    EXPECT_EQ(texts(command(b, "set_ssid_pwd", "ssid=Tom%26Jerry&pwd=a%3db"), "set_ssid_pwd"),
              (Argv{"ssid=Tom%26Jerry&pwd=a%3Db"}));
    EXPECT_EQ(texts(command(b, "set_ssid", "Loppen Public"), "set_ssid"), (Argv{"Loppen Public"}));
    EXPECT_EQ(texts(command(b, "set_pwd", ""), "set_pwd"), (Argv{""}));
    EXPECT_EQ(texts(command(b, "set_ap_mesh_pwd", "new-mesh-pw"), "set_ap_mesh_pwd"),
              (Argv{"new-mesh-pw"}));
    EXPECT_FALSE(command(b, "start_ap").error);
    EXPECT_EQ(b.ap_enabled().value(), true);
    EXPECT_EQ(texts(command(b, "ap_status"), "ap_status"), (Argv{"stopped"}));  // no radio
  }
  // The store keeps them.
  auto b = none();
  EXPECT_EQ(texts(command(b, "ssid"), "ssid"), (Argv{"Loppen Public"}));
  EXPECT_EQ(b.stored_station().value(), (core::wifi::Credentials{"Loppen Public", ""}));
  EXPECT_EQ(b.ap_mesh_password().value(), "new-mesh-pw");
  EXPECT_EQ(stored("ap_enabled"), "1");
  EXPECT_FALSE(command(b, "stop_ap").error);
  EXPECT_EQ(stored("ap_enabled"), "0");
}

TEST_F(NetworkTest, RefusedValuesChangeNothingAndTheReplySaysWhatIsStored) {
  auto b = none();
  ASSERT_FALSE(command(b, "set_ssid_pwd", "ssid=Home&pwd=password1").error);

  auto o = command(b, "set_ssid", std::string(33, 's'));
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::wifi_too_long);
  EXPECT_EQ(texts(o, "set_ssid"), (Argv{"Home"}));

  o = command(b, "set_pwd", std::string(64, 'p'));
  EXPECT_EQ(o.error->code, core::Errc::wifi_too_long);
  EXPECT_EQ(texts(o, "set_pwd"), (Argv{"password1"}));

  o = command(b, "set_ssid_pwd", "ssid=&pwd=x");
  EXPECT_EQ(o.error->code, core::Errc::wifi_bad_value);
  EXPECT_EQ(texts(o, "set_ssid_pwd"), (Argv{"ssid=Home&pwd=password1"}));

  o = command(b, "set_ssid_pwd", "nonsense");
  EXPECT_EQ(o.error->code, core::Errc::wifi_syntax);
  EXPECT_EQ(texts(o, "set_ssid_pwd"), (Argv{"ssid=Home&pwd=password1"}));

  o = command(b, "set_ap_mesh_pwd", "short");
  EXPECT_EQ(o.error->code, core::Errc::wifi_bad_value);
  EXPECT_EQ(texts(o, "set_ap_mesh_pwd"), (Argv{"w1reless"}));
}

// ---- networkmanager: queries
// ----------------------------------------------------------------------

TEST_F(NetworkTest, NmcliScan) {
  answer("device-wifi-list", kWifiList);
  auto b = nmcli();
  auto o = command(b, "scan");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_EQ(texts(o, "scan_result"),
            (Argv{
                "ssid=Nabovarme&bssid=c4:6e:1f:a2:10:03&rssi=-52&channel=1&auth_mode=WPA2_PSK"
                "&pairwise_cipher=CCMP&group_cipher=CCMP&phy_11b=1&phy_11g=1&phy_11n=1&wps=0",
                "ssid=Loppen Public&bssid=c4:6e:1f:a2:10:01&rssi=-57&channel=6&auth_mode=OPEN"
                "&pairwise_cipher=NONE&group_cipher=NONE&phy_11b=1&phy_11g=1&phy_11n=0&wps=0",
                "ssid=Nabovarme&bssid=c4:6e:1f:a2:10:02&rssi=-62&channel=11&auth_mode=WPA2_PSK"
                "&pairwise_cipher=CCMP&group_cipher=CCMP&phy_11b=1&phy_11g=1&phy_11n=1&wps=0",
                "ssid=Tom%26Jerry:5G&bssid=d8:07:b6:11:22:33&rssi=-72&channel=36"
                "&auth_mode=WPA_WPA2_PSK&pairwise_cipher=TKIP_CCMP&group_cipher=TKIP&phy_11b=0"
                "&phy_11g=0&phy_11n=1&wps=0",
                "ssid=&bssid=e0:63:da:00:00:01&rssi=-82&channel=1&auth_mode=MAX"
                "&pairwise_cipher=CCMP&group_cipher=CCMP&phy_11b=1&phy_11g=1&phy_11n=1&wps=0",
            }));
  EXPECT_EQ(calls(), (std::vector<Argv>{{"-t", "-f", kWifiFields, "device", "wifi", "list",
                                         "--rescan", "auto", "ifname", "wlan0"}}));
}

TEST_F(NetworkTest, NmcliScanWithNothingUsable) {
  answer("device-wifi-list", "");
  auto b = nmcli();
  auto o = command(b, "scan");
  EXPECT_FALSE(o.error);
  EXPECT_TRUE(o.replies.empty());

  answer("device-wifi-list", "this is not nmcli -t output\n");
  o = command(b, "scan");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::nmcli_output);
  EXPECT_TRUE(o.replies.empty());
}

TEST_F(NetworkTest, NmcliSsidAndRssi) {
  answer("device-wifi-list", kWifiList);
  settings_.interface = "wlp2s0";
  auto b = nmcli();
  // Nothing stored: the network in use.
  EXPECT_EQ(texts(command(b, "ssid"), "ssid"), (Argv{"Loppen Public"}));
  EXPECT_EQ(texts(command(b, "rssi"), "rssi"), (Argv{"-57"}));
  const Argv list = {"-t",   "-f",       kWifiFields, "device", "wifi",
                     "list", "--rescan", "no",        "ifname", "wlp2s0"};
  EXPECT_EQ(calls(), (std::vector<Argv>{list, list}));

  // Stored: that network, its strongest BSS when the station is not on it.
  ASSERT_TRUE(store_->set_setting("network", "wifi_ssid", "Nabovarme", 1).ok());
  forget_calls();
  EXPECT_EQ(texts(command(b, "ssid"), "ssid"), (Argv{"Nabovarme"}));
  EXPECT_TRUE(calls().empty());
  EXPECT_EQ(texts(command(b, "rssi"), "rssi"), (Argv{"-52"}));

  // Not in range: 31.
  ASSERT_TRUE(store_->set_setting("network", "wifi_ssid", "Elsewhere", 1).ok());
  EXPECT_EQ(texts(command(b, "rssi"), "rssi"), (Argv{"31"}));
}

TEST_F(NetworkTest, NmcliFailingGivesClearErrors) {
  fail("device-wifi-list", 8, "Error: NetworkManager is not running.\n");
  auto b = nmcli();
  auto o = command(b, "rssi");
  EXPECT_EQ(texts(o, "rssi"), (Argv{"31"}));  // the original's "unknown"
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::network_failure);
  EXPECT_EQ(o.error->message(),
            "network backend failure: nmcli device wifi list failed (exit 8): Error: "
            "NetworkManager is not running.");
  o = command(b, "scan");
  EXPECT_TRUE(o.replies.empty());
  EXPECT_EQ(o.error->code, core::Errc::network_failure);
  o = command(b, "ssid");
  EXPECT_EQ(texts(o, "ssid"), (Argv{""}));
  EXPECT_TRUE(o.error);

  settings_.nmcli = "/nonexistent/nmcli";
  auto missing = nmcli();
  o = command(missing, "wifi_status");
  EXPECT_TRUE(o.replies.empty());
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->message(),
            "cannot start program: /nonexistent/nmcli: No such file or directory");
}

TEST_F(NetworkTest, NmcliTimeout) {
  write_file(fake_ / "device-show.sleep", "5");
  settings_.timeout = std::chrono::milliseconds(400);
  auto b = nmcli();
  const auto start = Clock::now();
  auto o = command(b, "wifi_status");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(3));
  EXPECT_TRUE(o.replies.empty());  // no reply: the server asks again
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::process_timeout);
}

TEST_F(NetworkTest, NmcliWifiStatus) {
  answer("device-show",
         "GENERAL.STATE:100 (connected)\nGENERAL.REASON:0 (No reason given)\n"
         "GENERAL.CONNECTION:Loppen Public\n");
  auto b = nmcli();
  EXPECT_EQ(texts(command(b, "wifi_status"), "wifi_status"), (Argv{"connected"}));
  EXPECT_EQ(calls(), (std::vector<Argv>{{"-t", "-f", kDeviceFields, "device", "show", "wlan0"}}));

  answer("device-show",
         "GENERAL.STATE:30 (disconnected)\nGENERAL.REASON:53 (The Wi-Fi network could not be "
         "found)\nGENERAL.CONNECTION:\n");
  EXPECT_EQ(texts(command(b, "wifi_status"), "wifi_status"), (Argv{"no_ap_found"}));
  answer("device-show",
         "GENERAL.STATE:120 (failed)\nGENERAL.REASON:7 (Secrets were required, but not "
         "provided)\nGENERAL.CONNECTION:\n");
  EXPECT_EQ(texts(command(b, "wifi_status"), "wifi_status"), (Argv{"auth_fail"}));

  // No such device.
  fail("device-show", 10, "Error: Device 'wlan0' not found.\n");
  EXPECT_EQ(texts(command(b, "wifi_status"), "wifi_status"), (Argv{"disconnected"}));
  fail("device-show", 1, "Error: something else.\n");
  auto o = command(b, "wifi_status");
  EXPECT_TRUE(o.replies.empty());
  EXPECT_EQ(o.error->detail, "nmcli device show failed (exit 1): Error: something else.");
}

// ---- networkmanager: station credentials
// ---------------------------------------------------------

TEST_F(NetworkTest, NmcliSetCredentialsAddsTheProfile) {
  answer("connection-show", kProfiles);
  auto b = nmcli();
  auto o = command(b, "set_ssid_pwd", "ssid=Tom%26Jerry&pwd=pass%3Dword");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_EQ(texts(o, "set_ssid_pwd"), (Argv{"ssid=Tom%26Jerry&pwd=pass%3Dword"}));
  EXPECT_EQ(calls(),
            (std::vector<Argv>{
                {"-t", "-f", "NAME,TYPE", "connection", "show"},
                {"connection", "add", "type", "wifi", "con-name", "meterlogger", "ifname", "wlan0",
                 "autoconnect", "yes", "ssid", "Tom&Jerry", "802-11-wireless-security.key-mgmt",
                 "wpa-psk", "802-11-wireless-security.psk", "pass=word"},
            }));
  EXPECT_EQ(stored("wifi_ssid"), "Tom&Jerry");
  EXPECT_EQ(stored("wifi_password"), "pass=word");
  EXPECT_EQ(stored("wifi_pending"), "1");

  // The same again: nothing to do.
  forget_calls();
  EXPECT_FALSE(command(b, "set_ssid_pwd", "ssid=Tom%26Jerry&pwd=pass%61word").error);
  EXPECT_TRUE(calls().empty());
}

TEST_F(NetworkTest, NmcliSetCredentialsModifiesTheProfile) {
  answer("connection-show", std::string(kProfiles) + "meterlogger:802-11-wireless\n");
  ASSERT_TRUE(store_->set_setting("network", "wifi_password", "old-password", 1).ok());
  auto b = nmcli();
  auto o = command(b, "set_ssid", "Nabovarme");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_EQ(texts(o, "set_ssid"), (Argv{"Nabovarme"}));
  const Argv show = {"-t", "-f", "NAME,TYPE", "connection", "show"};
  EXPECT_EQ(calls(), (std::vector<Argv>{
                         show,
                         {"connection", "modify", "id", "meterlogger", "connection.interface-name",
                          "wlan0", "connection.autoconnect", "yes", "802-11-wireless.ssid",
                          "Nabovarme", "802-11-wireless-security.key-mgmt", "wpa-psk",
                          "802-11-wireless-security.psk", "old-password"},
                     }));

  // An open network: the security setting goes (its failure when there is none is ignored).
  forget_calls();
  fail_nth("connection-modify", 3, 10, "Error: no setting to remove\n");  // the third modify
  o = command(b, "set_pwd", "");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_EQ(texts(o, "set_pwd"), (Argv{""}));
  EXPECT_EQ(calls(),
            (std::vector<Argv>{
                show,
                {"connection", "modify", "id", "meterlogger", "connection.interface-name", "wlan0",
                 "connection.autoconnect", "yes", "802-11-wireless.ssid", "Nabovarme"},
                {"connection", "modify", "id", "meterlogger", "remove", "802-11-wireless-security"},
            }));
  EXPECT_EQ(stored("wifi_password"), "");
}

TEST_F(NetworkTest, NmcliRefusesWhatNetworkManagerCannotUse) {
  ASSERT_TRUE(store_->set_setting("network", "wifi_ssid", "Home", 1).ok());
  ASSERT_TRUE(store_->set_setting("network", "wifi_password", "password1", 1).ok());
  auto b = nmcli();
  // A WEP-length key: the original stored it; NetworkManager's WPA profile cannot use it.
  auto o = command(b, "set_pwd", "wep12");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::wifi_bad_value);
  EXPECT_EQ(texts(o, "set_pwd"), (Argv{"password1"}));
  EXPECT_FALSE(fs::exists(log_));

  // nmcli refuses: nothing stored, the error says why, the password is not in it.
  answer("connection-show", kProfiles);
  fail("connection-add", 2,
       "Error: failed to modify 802-11-wireless-security.psk: property is invalid.\n");
  o = command(b, "set_ssid_pwd", "ssid=New&pwd=supersecret");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->message(),
            "network backend failure: nmcli connection add failed (exit 2): Error: failed to "
            "modify 802-11-wireless-security.psk: property is invalid.");
  EXPECT_EQ(o.error->message().find("supersecret"), std::string::npos);
  EXPECT_EQ(texts(o, "set_ssid_pwd"), (Argv{"ssid=Home&pwd=password1"}));
  EXPECT_EQ(stored("wifi_ssid"), "Home");
  EXPECT_EQ(stored("wifi_pending"), std::nullopt);
}

TEST_F(NetworkTest, NmcliReconnectAppliesPendingCredentialsOnly) {
  answer("connection-show", std::string(kProfiles) + "meterlogger:802-11-wireless\n");
  answer("device-show",
         "GENERAL.STATE:100 (connected)\nGENERAL.REASON:0 (No reason given)\n"
         "GENERAL.CONNECTION:meterlogger\n");
  auto b = nmcli();
  // Nothing pending: Wi-Fi is left alone, MQTT reconnects.
  auto o = command(b, "reconnect");
  EXPECT_FALSE(o.error);
  EXPECT_TRUE(o.reconnect_mqtt);
  EXPECT_TRUE(o.replies.empty());
  EXPECT_FALSE(fs::exists(log_));

  ASSERT_FALSE(command(b, "set_ssid_pwd", "ssid=Nabovarme&pwd=password1").error);
  forget_calls();
  o = command(b, "reconnect");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_TRUE(o.reconnect_mqtt);
  EXPECT_EQ(calls(), (std::vector<Argv>{
                         {"-t", "-f", "NAME,TYPE", "connection", "show"},
                         {"connection", "modify", "id", "meterlogger", "connection.interface-name",
                          "wlan0", "connection.autoconnect", "yes", "802-11-wireless.ssid",
                          "Nabovarme", "802-11-wireless-security.key-mgmt", "wpa-psk",
                          "802-11-wireless-security.psk", "password1"},
                         {"-t", "-f", kDeviceFields, "device", "show", "wlan0"},
                         {"-w", "8", "connection", "up", "id", "meterlogger"},
                     }));
  EXPECT_EQ(stored("wifi_pending"), "0");
  forget_calls();
  EXPECT_FALSE(command(b, "reconnect").error);
  EXPECT_FALSE(fs::exists(log_));
}

TEST_F(NetworkTest, NmcliReconnectGoesBackWhenTheNewNetworkFails) {
  answer("connection-show", std::string(kProfiles) + "meterlogger:802-11-wireless\n");
  answer("device-show",
         "GENERAL.STATE:100 (connected)\nGENERAL.REASON:0 (No reason given)\n"
         "GENERAL.CONNECTION:Loppen Public\n");
  fail_nth("connection-up", 1, 4,
           "Error: Connection activation failed: Secrets were required, but not provided.\n");
  auto b = nmcli();
  ASSERT_FALSE(command(b, "set_ssid_pwd", "ssid=Nabovarme&pwd=wrong-password").error);
  forget_calls();
  auto o = command(b, "reconnect");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->detail,
            "cannot connect to \"Nabovarme\": nmcli connection up failed (exit 4): Error: "
            "Connection activation failed: Secrets were required, but not provided.; back on "
            "\"Loppen Public\"");
  EXPECT_TRUE(o.reconnect_mqtt);
  const auto c = calls();
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[3], (Argv{"-w", "8", "connection", "up", "id", "meterlogger"}));
  EXPECT_EQ(c[4], (Argv{"-w", "8", "connection", "up", "id", "Loppen Public"}));
  EXPECT_EQ(stored("wifi_pending"), "1");  // still to be applied
}

// ---- networkmanager: the mesh access point
// -------------------------------------------------------

TEST_F(NetworkTest, NmcliWithoutAnApInterface) {
  auto b = nmcli();
  auto o = command(b, "start_ap");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->code, core::Errc::network_unsupported);
  EXPECT_TRUE(o.replies.empty());
  EXPECT_EQ(texts(command(b, "ap_status"), "ap_status"), (Argv{"stopped"}));
  EXPECT_FALSE(command(b, "stop_ap").error);
  EXPECT_EQ(texts(command(b, "set_ap_mesh_pwd", "mesh-password"), "set_ap_mesh_pwd"),
            (Argv{"mesh-password"}));
  EXPECT_FALSE(fs::exists(log_));
}

TEST_F(NetworkTest, NmcliStartsAndStopsTheAccessPoint) {
  settings_.ap_interface = "uap0";
  answer("device-wifi-list", kWifiList);  // the station is on channel 6
  answer("connection-show", kProfiles);
  auto b = nmcli();
  auto o = command(b, "start_ap");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_TRUE(o.replies.empty());
  EXPECT_EQ(
      calls(),
      (std::vector<Argv>{
          {"-t", "-f", kWifiFields, "device", "wifi", "list", "--rescan", "no", "ifname", "wlan0"},
          {"-t", "-f", "NAME,TYPE", "connection", "show"},
          {"connection",
           "add",
           "type",
           "wifi",
           "con-name",
           "meterlogger-ap",
           "ifname",
           "uap0",
           "autoconnect",
           "yes",
           "ssid",
           "mesh-0123456",
           "802-11-wireless.mode",
           "ap",
           "802-11-wireless.band",
           "bg",
           "802-11-wireless.channel",
           "6",
           "ipv4.method",
           "shared",
           "ipv4.addresses",
           "10.0.5.1/24",
           "ipv6.method",
           "ignore",
           "802-11-wireless-security.key-mgmt",
           "wpa-psk",
           "802-11-wireless-security.psk",
           "w1reless"},
          {"-w", "8", "connection", "up", "id", "meterlogger-ap"},
      }));
  EXPECT_EQ(stored("ap_enabled"), "1");

  answer("connection-show", std::string(kProfiles) + "meterlogger-ap:802-11-wireless\n");
  answer("connection-show-active", "meterlogger-ap:802-11-wireless\n");
  forget_calls();
  EXPECT_EQ(texts(command(b, "ap_status"), "ap_status"), (Argv{"started"}));
  EXPECT_EQ(calls(),
            (std::vector<Argv>{{"-t", "-f", "NAME,TYPE", "connection", "show", "--active"}}));

  // A new mesh password: the running access point restarts with it.
  forget_calls();
  o = command(b, "set_ap_mesh_pwd", "n3w-mesh-pw");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_EQ(texts(o, "set_ap_mesh_pwd"), (Argv{"n3w-mesh-pw"}));
  EXPECT_EQ(calls(), (std::vector<Argv>{
                         {"-t", "-f", "NAME,TYPE", "connection", "show"},
                         {"connection", "modify", "id", "meterlogger-ap",
                          "802-11-wireless-security.key-mgmt", "wpa-psk",
                          "802-11-wireless-security.psk", "n3w-mesh-pw"},
                         {"-t", "-f", "NAME,TYPE", "connection", "show", "--active"},
                         {"-w", "8", "connection", "up", "id", "meterlogger-ap"},
                     }));

  forget_calls();
  o = command(b, "stop_ap");
  ASSERT_FALSE(o.error) << o.error->message();
  EXPECT_EQ(calls(),
            (std::vector<Argv>{
                {"-t", "-f", "NAME,TYPE", "connection", "show"},
                {"connection", "modify", "id", "meterlogger-ap", "connection.autoconnect", "no"},
                {"-t", "-f", "NAME,TYPE", "connection", "show", "--active"},
                {"-w", "8", "connection", "down", "id", "meterlogger-ap"},
            }));
  EXPECT_EQ(stored("ap_enabled"), "0");

  answer("connection-show-active", "Loppen Public:802-11-wireless\n");
  EXPECT_EQ(texts(command(b, "ap_status"), "ap_status"), (Argv{"stopped"}));
}

TEST_F(NetworkTest, NmcliStartApModifiesAnExistingProfile) {
  settings_.ap_interface = "wlan1";
  settings_.ap_ssid = "gateway-ap";
  answer("connection-show", std::string(kProfiles) + "meterlogger-ap:802-11-wireless\n");
  // The station on a 5 GHz channel.
  answer("device-wifi-list",
         "yes:Home5:00\\:11\\:22\\:33\\:44\\:55:44:5220 MHz:540 Mbit/s:70:WPA2:(none):pair_ccmp "
         "group_ccmp psk\n");
  ASSERT_TRUE(store_->set_setting("network", "ap_mesh_password", "stored-mesh", 1).ok());
  auto b = nmcli();
  auto o = command(b, "start_ap");
  ASSERT_FALSE(o.error) << o.error->message();
  const auto c = calls();
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[2], (Argv{"connection",
                        "modify",
                        "id",
                        "meterlogger-ap",
                        "connection.interface-name",
                        "wlan1",
                        "connection.autoconnect",
                        "yes",
                        "802-11-wireless.ssid",
                        "gateway-ap",
                        "802-11-wireless.mode",
                        "ap",
                        "802-11-wireless.band",
                        "a",
                        "802-11-wireless.channel",
                        "44",
                        "ipv4.method",
                        "shared",
                        "ipv4.addresses",
                        "10.0.5.1/24",
                        "ipv6.method",
                        "ignore",
                        "802-11-wireless-security.key-mgmt",
                        "wpa-psk",
                        "802-11-wireless-security.psk",
                        "stored-mesh"}));

  // Activation fails: a clear error.
  fail("connection-up", 4, "Error: Connection activation failed: No suitable device found.\n");
  o = command(b, "start_ap");
  ASSERT_TRUE(o.error);
  EXPECT_EQ(o.error->detail,
            "nmcli connection up failed (exit 4): Error: Connection activation failed: No "
            "suitable device found.");
}

// ---- one command at a time ---------------------------------------------------------------------

TEST_F(NetworkTest, CommandsRunOneAtATimeInOrder) {
  answer("connection-show", std::string(kProfiles) + "meterlogger:802-11-wireless\n");
  answer("device-show",
         "GENERAL.STATE:100 (connected)\nGENERAL.REASON:0 (No reason given)\n"
         "GENERAL.CONNECTION:Loppen Public\n");
  auto b = nmcli();
  asio::io_context io;
  NetworkCommands commands(io.get_executor(), b);
  std::vector<std::string> done;
  bool reconnect_mqtt = false;
  const auto record = [&](const std::string& name) {
    return [&, name](NetworkOutcome o) {
      EXPECT_FALSE(o.error) << name << ": " << o.error->message();
      done.push_back(name);
      if (name == "reconnect") reconnect_mqtt = o.reconnect_mqtt;
    };
  };
  // Submitted back to back, as the server sends them: `reconnect` must see the new credentials.
  commands.submit("0123456", "set_ssid_pwd", "ssid=Nabovarme&pwd=password1",
                  record("set_ssid_pwd"));
  commands.submit("0123456", "reconnect", "", record("reconnect"));
  commands.submit("0123456", "ssid", "", record("ssid"));
  EXPECT_TRUE(done.empty());  // never from inside submit
  EXPECT_EQ(commands.pending(), 3u);
  io.run();
  EXPECT_EQ(done, (std::vector<std::string>{"set_ssid_pwd", "reconnect", "ssid"}));
  EXPECT_TRUE(reconnect_mqtt);
  EXPECT_EQ(commands.pending(), 0u);
  const auto c = calls();
  ASSERT_EQ(c.size(), 6u);  // show, modify; show, modify, device show, up
  EXPECT_EQ(c[5], (Argv{"-w", "8", "connection", "up", "id", "meterlogger"}));
  EXPECT_EQ(stored("wifi_pending"), "0");

  // The loop can run again later; the none backend completes without nmcli.
  auto n = none();
  NetworkCommands quick(io.get_executor(), n);
  std::vector<std::string> replies;
  quick.submit("1", "rssi", "", [&](NetworkOutcome o) { replies.push_back(o.replies.at(0).text); });
  EXPECT_TRUE(replies.empty());
  io.restart();
  io.run();
  EXPECT_EQ(replies, (std::vector<std::string>{"31"}));
}

}  // namespace
}  // namespace ml::agent
