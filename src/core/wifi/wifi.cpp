#include "core/wifi/wifi.hpp"

#include <array>
#include <cstdio>
#include <utility>

namespace ml::core::wifi {
namespace {

Status check_text(std::string_view what, std::string_view text, std::size_t min, std::size_t max) {
  if (text.size() > max) {
    return make_error(Errc::wifi_too_long, std::string(what) + " has " +
                                               std::to_string(text.size()) + " bytes, at most " +
                                               std::to_string(max) + " fit");
  }
  if (text.size() < min) {
    if (min == 1) return make_error(Errc::wifi_bad_value, std::string(what) + " is empty");
    return make_error(Errc::wifi_bad_value, std::string(what) + " has " +
                                                std::to_string(text.size()) + " bytes, WPA needs " +
                                                std::to_string(min) + " to " + std::to_string(max));
  }
  if (text.find('\0') != std::string_view::npos) {
    return make_error(Errc::wifi_bad_value, std::string(what) + " contains a NUL byte");
  }
  return Ok{};
}

bool starts_with_ci(std::string_view text, std::size_t at, std::string_view prefix) {
  if (text.size() - at < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = text[at + i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

}  // namespace

Status check_ssid(std::string_view ssid) {
  return check_text("SSID", ssid, 1, kMaxSsid);
}

Status check_password(std::string_view password) {
  return check_text("password", password, 0, kMaxPassword);
}

Status check_ap_password(std::string_view password) {
  return check_text("access point password", password, kMinWpaPassword, kMaxPassword);
}

std::string unescape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    if (text[i] == '%') {
      // %26 is '&'; %3d / %3D (HEAD) and %61 (SEED) are '='.
      if (starts_with_ci(text, i, "%26")) {
        out += '&';
        i += 3;
        continue;
      }
      if (starts_with_ci(text, i, "%3d") || starts_with_ci(text, i, "%61")) {
        out += '=';
        i += 3;
        continue;
      }
    }
    out += text[i++];
  }
  return out;
}

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    if (c == '&') {
      out += "%26";
    } else if (c == '=') {
      out += "%3D";
    } else {
      out += c;
    }
  }
  return out;
}

Result<CredentialsUpdate> parse_ssid_pwd(std::string_view argument) {
  if (argument.size() > kMaxArgument) {
    return make_error(Errc::wifi_too_long, "argument has " + std::to_string(argument.size()) +
                                               " bytes, at most " + std::to_string(kMaxArgument));
  }
  CredentialsUpdate update;
  bool any_key = false;
  std::size_t pos = 0;
  while (pos <= argument.size()) {
    const std::size_t amp = argument.find('&', pos);
    const std::size_t end = amp == std::string_view::npos ? argument.size() : amp;
    const std::string_view part = argument.substr(pos, end - pos);
    pos = end + 1;
    if (part.empty()) continue;
    const std::size_t eq = part.find('=');
    const std::string_view key = part.substr(0, eq);
    const std::string_view raw =
        eq == std::string_view::npos ? std::string_view{} : part.substr(eq + 1);
    if (key == "ssid") {
      update.ssid = unescape(raw);
      any_key = true;
    } else if (key == "pwd") {
      update.password = unescape(raw);
      any_key = true;
    }
  }
  if (!any_key) return make_error(Errc::wifi_syntax, "expected ssid=<ssid>&pwd=<password>");
  if (update.ssid) {
    if (auto s = check_ssid(*update.ssid); !s) return s.error();
  }
  if (update.password) {
    if (auto s = check_password(*update.password); !s) return s.error();
  }
  return update;
}

std::string format_ssid_pwd(const Credentials& credentials) {
  return "ssid=" + escape(credentials.ssid) + "&pwd=" + escape(credentials.password);
}

std::string_view auth_mode_name(AuthMode mode) {
  switch (mode) {
    case AuthMode::open:
      return "OPEN";
    case AuthMode::wep:
      return "WEP";
    case AuthMode::wpa_psk:
      return "WPA_PSK";
    case AuthMode::wpa2_psk:
      return "WPA2_PSK";
    case AuthMode::wpa_wpa2_psk:
      return "WPA_WPA2_PSK";
    case AuthMode::other:
      return "MAX";
  }
  return "MAX";
}

std::string_view cipher_name(Cipher cipher) {
  switch (cipher) {
    case Cipher::none:
      return "NONE";
    case Cipher::wep40:
      return "WEP40";
    case Cipher::wep104:
      return "WEP104";
    case Cipher::tkip:
      return "TKIP";
    case Cipher::ccmp:
      return "CCMP";
    case Cipher::tkip_ccmp:
      return "TKIP_CCMP";
    case Cipher::unknown:
      return "UNKNOWN";
  }
  return "UNKNOWN";
}

std::string format_bssid(const Bssid& bssid) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", bssid[0], bssid[1], bssid[2],
                bssid[3], bssid[4], bssid[5]);
  return buf;
}

std::string format_scan_result(const Network& n) {
  std::string ssid;
  ssid.reserve(n.ssid.size());
  for (const char c : n.ssid) {
    if (c == '&') {
      ssid += "%26";
    } else {
      ssid += c;
    }
  }
  const auto bit = [](bool b) { return std::string(b ? "1" : "0"); };
  const std::array<std::pair<std::string_view, std::string>, 11> fields{{
      {"ssid", ssid},
      {"bssid", format_bssid(n.bssid)},
      {"rssi", std::to_string(n.rssi)},
      {"channel", std::to_string(n.channel)},
      {"auth_mode", std::string(auth_mode_name(n.auth_mode))},
      {"pairwise_cipher", std::string(cipher_name(n.pairwise_cipher))},
      {"group_cipher", std::string(cipher_name(n.group_cipher))},
      {"phy_11b", bit(n.phy_11b)},
      {"phy_11g", bit(n.phy_11g)},
      {"phy_11n", bit(n.phy_11n)},
      {"wps", bit(n.wps)},
  }};
  std::string out;
  for (const auto& [key, value] : fields) {
    if (key != fields.front().first) out += '&';
    out += key;
    out += '=';
    out += value;
  }
  return out;
}

}  // namespace ml::core::wifi
