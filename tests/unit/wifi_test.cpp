#include "core/wifi/wifi.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/wifi/nmcli.hpp"

namespace ml::core::wifi {
namespace {

CredentialsUpdate parsed(std::string_view argument) {
  auto r = parse_ssid_pwd(argument);
  EXPECT_TRUE(r.ok()) << argument << ": " << (r.ok() ? "" : r.error().message());
  return r.ok() ? r.value() : CredentialsUpdate{};
}

Errc rejected(std::string_view argument) {
  auto r = parse_ssid_pwd(argument);
  EXPECT_FALSE(r.ok()) << "parsed: " << argument;
  return r.ok() ? Errc::invalid_argument : r.error().code;
}

// ---- set_ssid_pwd ----------------------------------------------------------------------------

TEST(WifiSsidPwd, PlainValues) {
  auto u = parsed("ssid=Loppen Public&pwd=secret123");
  EXPECT_EQ(u.ssid, "Loppen Public");
  EXPECT_EQ(u.password, "secret123");
}

TEST(WifiSsidPwd, UnescapesEveryVariantTheOriginalUsed) {
  // %26 is '&'; '=' arrives as %3d (HEAD unescape), %3D (HEAD's own reply escaping) or %61 (SEED).
  auto u = parsed("ssid=Tom%26Jerry&pwd=a%3db%3Dc%61d");
  EXPECT_EQ(u.ssid, "Tom&Jerry");
  EXPECT_EQ(u.password, "a=b=c=d");
  // Anything else with a '%' is kept as it is.
  u = parsed("ssid=100%25%2&pwd=%");
  EXPECT_EQ(u.ssid, "100%25%2");
  EXPECT_EQ(u.password, "%");
}

TEST(WifiSsidPwd, EmptyOrMissingPassword) {
  EXPECT_EQ(parsed("ssid=Open&pwd=").password, "");
  EXPECT_EQ(parsed("ssid=Open&pwd").password, "");
  // No pwd key: the stored password stays (nullopt).
  auto u = parsed("ssid=Open");
  EXPECT_EQ(u.ssid, "Open");
  EXPECT_FALSE(u.password.has_value());
  u = parsed("pwd=only-the-password");
  EXPECT_FALSE(u.ssid.has_value());
  EXPECT_EQ(u.password, "only-the-password");
}

TEST(WifiSsidPwd, OrderEmptyPartsUnknownKeysAndRepeats) {
  auto u = parsed("&&pwd=p4ssword&&ssid=Net&mode=x&");
  EXPECT_EQ(u.ssid, "Net");
  EXPECT_EQ(u.password, "p4ssword");
  EXPECT_EQ(parsed("ssid=a&ssid=b").ssid, "b");
  // A raw '=' inside a value belongs to the value (the original cut it there).
  EXPECT_EQ(parsed("ssid=x&pwd=a=b").password, "a=b");
}

TEST(WifiSsidPwd, Bounds) {
  EXPECT_EQ(parsed("ssid=" + std::string(kMaxSsid, 's')).ssid->size(), kMaxSsid);
  EXPECT_EQ(parsed("ssid=x&pwd=" + std::string(kMaxPassword, 'p')).password->size(), kMaxPassword);
  // Bounds count the unescaped bytes: 32 escaped '&' are 32 bytes of SSID.
  std::string amps;
  for (std::size_t i = 0; i < kMaxSsid; ++i)
    amps += "%26";
  EXPECT_EQ(*parsed("ssid=" + amps).ssid, std::string(kMaxSsid, '&'));

  EXPECT_EQ(rejected("ssid=" + std::string(kMaxSsid + 1, 's')), Errc::wifi_too_long);
  EXPECT_EQ(rejected("ssid=x&pwd=" + std::string(kMaxPassword + 1, 'p')), Errc::wifi_too_long);
  EXPECT_EQ(rejected("ssid=x&pwd=" + std::string(kMaxArgument, 'p')), Errc::wifi_too_long);
  auto r = parse_ssid_pwd("ssid=" + std::string(40, 's'));
  EXPECT_EQ(r.error().message(), "Wi-Fi setting too long: SSID has 40 bytes, at most 32 fit");
}

TEST(WifiSsidPwd, Rejections) {
  EXPECT_EQ(rejected(""), Errc::wifi_syntax);
  EXPECT_EQ(rejected("hello"), Errc::wifi_syntax);
  EXPECT_EQ(rejected("SSID=x&PWD=y"), Errc::wifi_syntax);
  EXPECT_EQ(rejected("ssid=&pwd=x"), Errc::wifi_bad_value);
  EXPECT_EQ(rejected("ssid"), Errc::wifi_bad_value);
  EXPECT_EQ(rejected(std::string("ssid=a\0b", 8)), Errc::wifi_bad_value);
}

TEST(WifiSsidPwd, ReplyEscapesAsHead) {
  EXPECT_EQ(format_ssid_pwd({"Tom&Jerry", "a=b&c"}), "ssid=Tom%26Jerry&pwd=a%3Db%26c");
  EXPECT_EQ(format_ssid_pwd({"Open", ""}), "ssid=Open&pwd=");
  EXPECT_EQ(format_ssid_pwd({"50%", "x"}), "ssid=50%&pwd=x");
  // What the reply says parses back to the same credentials.
  const Credentials c{"a&b=c", "=&=&"};
  auto u = parsed(format_ssid_pwd(c));
  EXPECT_EQ(u.ssid, c.ssid);
  EXPECT_EQ(u.password, c.password);
}

TEST(WifiChecks, StationAndAccessPoint) {
  EXPECT_TRUE(check_ssid("x").ok());
  EXPECT_EQ(check_ssid("").error().code, Errc::wifi_bad_value);
  EXPECT_TRUE(check_password("").ok());
  EXPECT_TRUE(check_password("wep12").ok());
  EXPECT_TRUE(check_ap_password("w1reless").ok());
  EXPECT_TRUE(check_ap_password(std::string(63, 'x')).ok());
  EXPECT_EQ(check_ap_password("short").error().code, Errc::wifi_bad_value);
  EXPECT_EQ(check_ap_password("short").error().detail,
            "access point password has 5 bytes, WPA needs 8 to 63");
  EXPECT_EQ(check_ap_password(std::string(64, 'x')).error().code, Errc::wifi_too_long);
}

// ---- scan_result ------------------------------------------------------------------------------

TEST(WifiScanResult, HeadFormat) {
  Network n;
  n.ssid = "Tom&Jerry=1";
  n.bssid = {0xC4, 0x6E, 0x1F, 0xA2, 0x10, 0x0B};
  n.rssi = -57;
  n.channel = 6;
  n.auth_mode = AuthMode::wpa_wpa2_psk;
  n.pairwise_cipher = Cipher::tkip_ccmp;
  n.group_cipher = Cipher::tkip;
  n.phy_11b = n.phy_11g = true;
  EXPECT_EQ(format_scan_result(n),
            "ssid=Tom%26Jerry=1&bssid=c4:6e:1f:a2:10:0b&rssi=-57&channel=6&auth_mode=WPA_WPA2_PSK"
            "&pairwise_cipher=TKIP_CCMP&group_cipher=TKIP&phy_11b=1&phy_11g=1&phy_11n=0&wps=0");
}

TEST(WifiScanResult, Names) {
  EXPECT_EQ(auth_mode_name(AuthMode::open), "OPEN");
  EXPECT_EQ(auth_mode_name(AuthMode::wep), "WEP");
  EXPECT_EQ(auth_mode_name(AuthMode::wpa_psk), "WPA_PSK");
  EXPECT_EQ(auth_mode_name(AuthMode::wpa2_psk), "WPA2_PSK");
  EXPECT_EQ(auth_mode_name(AuthMode::wpa_wpa2_psk), "WPA_WPA2_PSK");
  EXPECT_EQ(auth_mode_name(AuthMode::other), "MAX");
  EXPECT_EQ(cipher_name(Cipher::none), "NONE");
  EXPECT_EQ(cipher_name(Cipher::wep40), "WEP40");
  EXPECT_EQ(cipher_name(Cipher::wep104), "WEP104");
  EXPECT_EQ(cipher_name(Cipher::tkip), "TKIP");
  EXPECT_EQ(cipher_name(Cipher::ccmp), "CCMP");
  EXPECT_EQ(cipher_name(Cipher::tkip_ccmp), "TKIP_CCMP");
  EXPECT_EQ(cipher_name(Cipher::unknown), "UNKNOWN");
}

// ---- nmcli terse output -----------------------------------------------------------------------

TEST(WifiNmcli, SplitsTerseFieldsWithEscapes) {
  auto f = split_terse(R"(yes:My\:Net\\work:C4\:6E\:1F\:A2\:10\:01::x)");
  ASSERT_TRUE(f.ok());
  ASSERT_EQ(f->size(), 5u);
  EXPECT_EQ((*f)[0], "yes");
  EXPECT_EQ((*f)[1], R"(My:Net\work)");
  EXPECT_EQ((*f)[2], "C4:6E:1F:A2:10:01");
  EXPECT_EQ((*f)[3], "");
  EXPECT_EQ((*f)[4], "x");
  // A backslash before anything else is kept.
  EXPECT_EQ((*split_terse(R"(a\b)"))[0], R"(a\b)");
  EXPECT_EQ((*split_terse("a\\"))[0], "a\\");
  EXPECT_EQ(split_terse(std::string(kMaxNmcliLine + 1, 'x')).error().code, Errc::nmcli_output);
  EXPECT_EQ(split_terse(std::string(kMaxNmcliFields, ':')).error().code, Errc::nmcli_output);
  EXPECT_TRUE(split_terse(std::string(kMaxNmcliFields - 1, ':')).ok());
}

TEST(WifiNmcli, SignalToDbmInvertsNetworkManager) {
  EXPECT_EQ(signal_to_dbm(100), -40);
  EXPECT_EQ(signal_to_dbm(0), -100);
  EXPECT_EQ(signal_to_dbm(72), -57);
  EXPECT_EQ(signal_to_dbm(75), -55);
  EXPECT_EQ(signal_to_dbm(150), -40);
  EXPECT_EQ(signal_to_dbm(-3), -100);
  // NetworkManager's quality for each dBm in range maps back to that dBm.
  for (int dbm = -100; dbm <= -40; ++dbm) {
    const int quality = 100 - static_cast<int>((100.0 * (-40 - dbm)) / 60.0);
    EXPECT_EQ(signal_to_dbm(quality), dbm) << quality;
  }
}

Network line(std::string_view text) {
  auto n = parse_nmcli_wifi_line(text);
  EXPECT_TRUE(n.ok()) << text << ": " << (n.ok() ? "" : n.error().message());
  return n.ok() ? n.value() : Network{};
}

TEST(WifiNmcli, OpenNetwork) {
  const Network n =
      line(R"(yes:Loppen Public:C4\:6E\:1F\:A2\:10\:01:6:2437 MHz:54 Mbit/s:72::(none):(none))");
  EXPECT_TRUE(n.active);
  EXPECT_EQ(n.ssid, "Loppen Public");
  EXPECT_EQ(format_bssid(n.bssid), "c4:6e:1f:a2:10:01");
  EXPECT_EQ(n.channel, 6);
  EXPECT_EQ(n.rssi, -57);
  EXPECT_EQ(n.auth_mode, AuthMode::open);
  EXPECT_EQ(n.pairwise_cipher, Cipher::none);
  EXPECT_EQ(n.group_cipher, Cipher::none);
  EXPECT_TRUE(n.phy_11b);
  EXPECT_TRUE(n.phy_11g);
  EXPECT_FALSE(n.phy_11n);
  EXPECT_FALSE(n.wps);
}

TEST(WifiNmcli, SecurityMapping) {
  struct Case {
    const char* security;
    const char* wpa;
    const char* rsn;
    AuthMode auth;
    Cipher pairwise;
    Cipher group;
  };
  const Case cases[] = {
      {"", "(none)", "(none)", AuthMode::open, Cipher::none, Cipher::none},
      {"--", "--", "--", AuthMode::open, Cipher::none, Cipher::none},
      {"WEP", "(none)", "(none)", AuthMode::wep, Cipher::unknown, Cipher::unknown},
      {"802.1X", "(none)", "(none)", AuthMode::other, Cipher::unknown, Cipher::unknown},
      {"WPA1", "pair_tkip group_tkip psk", "(none)", AuthMode::wpa_psk, Cipher::tkip, Cipher::tkip},
      {"WPA2", "(none)", "pair_ccmp group_ccmp psk", AuthMode::wpa2_psk, Cipher::ccmp,
       Cipher::ccmp},
      {"WPA1 WPA2", "pair_tkip pair_ccmp group_tkip psk", "pair_tkip pair_ccmp group_tkip psk",
       AuthMode::wpa_wpa2_psk, Cipher::tkip_ccmp, Cipher::tkip},
      {"WPA2 WPA3", "(none)", "pair_ccmp group_ccmp psk sae", AuthMode::wpa2_psk, Cipher::ccmp,
       Cipher::ccmp},
      {"WPA3", "(none)", "pair_ccmp group_ccmp sae", AuthMode::other, Cipher::ccmp, Cipher::ccmp},
      {"WPA2 802.1X", "(none)", "pair_ccmp group_ccmp 802.1X", AuthMode::other, Cipher::ccmp,
       Cipher::ccmp},
      {"OWE", "(none)", "pair_ccmp group_ccmp owe", AuthMode::other, Cipher::ccmp, Cipher::ccmp},
      {"WPA1", "pair_wep104 group_wep40 psk", "(none)", AuthMode::wpa_psk, Cipher::wep104,
       Cipher::wep40},
      {"WPA2", "(none)", "pair_gcmp group_gcmp psk", AuthMode::wpa2_psk, Cipher::unknown,
       Cipher::unknown},
  };
  for (const auto& c : cases) {
    const std::string text =
        std::string("no:Net:00\\:11\\:22\\:33\\:44\\:55:11:2462 MHz:54 Mbit/s:50:") + c.security +
        ":" + c.wpa + ":" + c.rsn;
    const Network n = line(text);
    EXPECT_EQ(n.auth_mode, c.auth) << text;
    EXPECT_EQ(n.pairwise_cipher, c.pairwise) << text;
    EXPECT_EQ(n.group_cipher, c.group) << text;
  }
}

TEST(WifiNmcli, PhyEstimates) {
  const auto phy = [](const char* chan, const char* freq, const char* rate) {
    const Network n = line(std::string("no:N:00\\:11\\:22\\:33\\:44\\:55:") + chan + ":" + freq +
                           ":" + rate + ":50:WPA2:(none):pair_ccmp group_ccmp psk");
    return std::string(n.phy_11b ? "b" : "") + (n.phy_11g ? "g" : "") + (n.phy_11n ? "n" : "");
  };
  EXPECT_EQ(phy("1", "2412 MHz", "11 Mbit/s"), "b");
  EXPECT_EQ(phy("1", "2412 MHz", "54 Mbit/s"), "bg");
  EXPECT_EQ(phy("13", "2472 MHz", "270 Mbit/s"), "bgn");
  EXPECT_EQ(phy("36", "5180 MHz", "54 Mbit/s"), "");
  EXPECT_EQ(phy("36", "5180 MHz", "540 Mbit/s"), "n");
}

TEST(WifiNmcli, HiddenAndOddSsids) {
  EXPECT_EQ(line(R"(no::00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:20:WPA2:(none):psk)").ssid, "");
  EXPECT_EQ(line(R"(no:a\:b\\c & d=e:00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:20:::)").ssid,
            R"(a:b\c & d=e)");
  EXPECT_EQ(line("no:Æblehaven 🍎:00\\:11\\:22\\:33\\:44\\:55:1:2412 MHz:54 Mbit/s:20:::").ssid,
            "Æblehaven 🍎");
}

TEST(WifiNmcli, BadLines) {
  const char* bad[] = {
      "",
      "yes:Net",
      R"(maybe:Net:00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:20:::)",
      R"(no:Net:00\:11\:22\:33\:44:1:2412 MHz:54 Mbit/s:20:::)",
      R"(no:Net:00\:11\:22\:33\:44\:5G:1:2412 MHz:54 Mbit/s:20:::)",
      R"(no:Net:00\:11\:22\:33\:44\:55:x:2412 MHz:54 Mbit/s:20:::)",
      R"(no:Net:00\:11\:22\:33\:44\:55:1:MHz:54 Mbit/s:20:::)",
      R"(no:Net:00\:11\:22\:33\:44\:55:1:2412 MHz:fast:20:::)",
      R"(no:Net:00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:101:::)",
      R"(no:Net:00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:-5:::)",
      R"(no:Net:00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:20::::)",
      R"(no:123456789012345678901234567890123:00\:11\:22\:33\:44\:55:1:2412 MHz:54 Mbit/s:20:::)",
  };
  for (const char* text : bad) {
    auto n = parse_nmcli_wifi_line(text);
    EXPECT_FALSE(n.ok()) << text;
    if (!n.ok()) {
      EXPECT_EQ(n.error().code, Errc::nmcli_output) << text;
    }
  }
  EXPECT_EQ(parse_nmcli_wifi_line("yes:Net").error().detail,
            "wifi list line has 2 fields, expected 10: yes:Net");
}

TEST(WifiNmcli, ListSkipsBadLinesAndOrdersForScan) {
  const std::string text =
      "no:Weak:00\\:11\\:22\\:33\\:44\\:01:1:2412 MHz:54 Mbit/s:10:::\r\n"
      "garbage\n"
      "\n"
      "yes:Strong:00\\:11\\:22\\:33\\:44\\:02:6:2437 MHz:54 Mbit/s:90:::\n"
      "no:Mid:00\\:11\\:22\\:33\\:44\\:03:11:2462 MHz:54 Mbit/s:50:::";
  auto list = parse_nmcli_wifi_list(text);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->networks.size(), 3u);
  EXPECT_EQ(list->skipped, 1u);
  EXPECT_NE(list->first_error.find("garbage"), std::string::npos);
  auto ordered = scan_order(list->networks);
  ASSERT_EQ(ordered.size(), 3u);
  EXPECT_EQ(ordered[0].ssid, "Strong");
  EXPECT_EQ(ordered[1].ssid, "Mid");
  EXPECT_EQ(ordered[2].ssid, "Weak");

  std::string many;
  for (int i = 0; i < 100; ++i)
    many += "no:N" + std::to_string(i) +
            ":00\\:11\\:22\\:33\\:44\\:55:1:2412 MHz:54 Mbit/s:" + std::to_string(i) + ":::\n";
  auto big = parse_nmcli_wifi_list(many);
  ASSERT_TRUE(big.ok());
  auto top = scan_order(big->networks);
  ASSERT_EQ(top.size(), kMaxScanResults);
  EXPECT_EQ(top.front().rssi, signal_to_dbm(99));
  EXPECT_EQ(top.back().rssi, signal_to_dbm(100 - static_cast<int>(kMaxScanResults)));

  std::string too_many;
  for (std::size_t i = 0; i <= kMaxNmcliLines; ++i)
    too_many += "x\n";
  EXPECT_EQ(parse_nmcli_wifi_list(too_many).error().code, Errc::nmcli_output);
}

TEST(WifiNmcli, DeviceShowAndStatusWords) {
  auto d = parse_nmcli_device_show(
      "GENERAL.STATE:100 (connected)\nGENERAL.REASON:0 (No reason given)\n"
      "GENERAL.CONNECTION:Loppen\\: Public\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->state, 100);
  EXPECT_EQ(d->reason, 0);
  EXPECT_EQ(d->connection, "Loppen: Public");
  EXPECT_EQ(wifi_status_word(*d), "connected");

  d = parse_nmcli_device_show(
      "GENERAL.STATE:30 (disconnected)\nGENERAL.REASON:53 (The Wi-Fi network could not be "
      "found)\nGENERAL.CONNECTION:\n");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->connection, "");
  EXPECT_EQ(wifi_status_word(*d), "no_ap_found");
  EXPECT_EQ(
      parse_nmcli_device_show("GENERAL.STATE:20 (unavailable)\nGENERAL.CONNECTION:--")->connection,
      "");

  const auto word = [](int state, int reason) {
    return std::string(wifi_status_word(DeviceState{state, reason, ""}));
  };
  EXPECT_EQ(word(10, 0), "disconnected");
  EXPECT_EQ(word(20, 35), "disconnected");
  EXPECT_EQ(word(120, 7), "auth_fail");
  EXPECT_EQ(word(30, 9), "auth_fail");
  EXPECT_EQ(word(30, 10), "auth_fail");
  EXPECT_EQ(word(50, 11), "handshake_timeout");
  EXPECT_EQ(word(30, 8), "auth_leave");
  EXPECT_EQ(word(30, 39), "assoc_leave");
  EXPECT_EQ(word(30, 40), "beacon_timeout");
  EXPECT_EQ(word(30, 0), "unspecified");
  EXPECT_EQ(word(70, 17), "unspecified");

  EXPECT_EQ(parse_nmcli_device_show("GENERAL.REASON:0 (x)").error().code, Errc::nmcli_output);
  EXPECT_EQ(parse_nmcli_device_show("GENERAL.STATE:connected").error().code, Errc::nmcli_output);
  EXPECT_EQ(parse_nmcli_device_show("").error().code, Errc::nmcli_output);
}

TEST(WifiNmcli, ProfileNames) {
  auto names = parse_nmcli_names(
      "Wired connection "
      "1:802-3-ethernet\nmeterlogger:802-11-wireless\nodd\\:name:802-11-wireless\n");
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"Wired connection 1", "meterlogger", "odd:name"}));
  EXPECT_TRUE(parse_nmcli_names("")->empty());
}

}  // namespace
}  // namespace ml::core::wifi
