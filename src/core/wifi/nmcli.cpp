#include "core/wifi/nmcli.hpp"

#include <algorithm>
#include <charconv>

namespace ml::core::wifi {
namespace {

Error bad(std::string detail) {
  return make_error(Errc::nmcli_output, std::move(detail));
}

// A short, printable excerpt of untrusted text for an error message.
std::string excerpt(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7f) ? '?' : c;
  }
  if (text.size() > 40) out += "...";
  return out;
}

// A non-negative decimal number at the start of text (digits only up to the first space or end).
bool leading_int(std::string_view text, int& out, bool whole) {
  std::size_t n = 0;
  while (n < text.size() && text[n] >= '0' && text[n] <= '9')
    ++n;
  if (n == 0 || n > 6) return false;
  if (whole && n != text.size()) return false;
  if (!whole && n != text.size() && text[n] != ' ') return false;
  int v = 0;
  std::from_chars(text.data(), text.data() + n, v);
  out = v;
  return true;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool parse_bssid(std::string_view text, Bssid& out) {
  if (text.size() != 17) return false;
  for (std::size_t i = 0; i < 6; ++i) {
    const int hi = hex_digit(text[i * 3]);
    const int lo = hex_digit(text[i * 3 + 1]);
    if (hi < 0 || lo < 0) return false;
    if (i < 5 && text[i * 3 + 2] != ':') return false;
    out[i] = static_cast<std::uint8_t>(hi * 16 + lo);
  }
  return true;
}

// Space-separated flag words; "(none)", "--" and "" are no flags.
std::vector<std::string_view> flag_words(std::string_view text) {
  std::vector<std::string_view> out;
  if (text == "(none)" || text == "--") return out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t sp = text.find(' ', pos);
    const std::size_t end = sp == std::string_view::npos ? text.size() : sp;
    if (end > pos) out.push_back(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return out;
}

bool has(const std::vector<std::string_view>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

Cipher cipher_of(const std::vector<std::string_view>& words, std::string_view prefix) {
  const std::string p(prefix);
  const bool tkip = has(words, p + "tkip");
  const bool ccmp = has(words, p + "ccmp");
  if (tkip && ccmp) return Cipher::tkip_ccmp;
  if (ccmp) return Cipher::ccmp;
  if (tkip) return Cipher::tkip;
  if (has(words, p + "wep104")) return Cipher::wep104;
  if (has(words, p + "wep40")) return Cipher::wep40;
  return Cipher::unknown;
}

// "2437 MHz" -> 2437, "54 Mbit/s" -> 54 (the unit is not checked: nmcli runs in the C locale).
bool number_with_unit(std::string_view text, int& out) {
  return leading_int(text, out, false);
}

}  // namespace

Result<std::vector<std::string>> split_terse(std::string_view line) {
  if (line.size() > kMaxNmcliLine) {
    return bad("line of " + std::to_string(line.size()) + " bytes, at most " +
               std::to_string(kMaxNmcliLine));
  }
  std::vector<std::string> fields(1);
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '\\' && i + 1 < line.size() && (line[i + 1] == ':' || line[i + 1] == '\\')) {
      fields.back() += line[++i];
    } else if (c == ':') {
      if (fields.size() == kMaxNmcliFields) {
        return bad("more than " + std::to_string(kMaxNmcliFields) + " fields");
      }
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

Result<std::vector<std::string_view>> terse_lines(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t nl = text.find('\n', pos);
    const std::size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (lines.size() == kMaxNmcliLines) {
      return bad("more than " + std::to_string(kMaxNmcliLines) + " lines");
    }
    lines.push_back(line);
  }
  return lines;
}

int signal_to_dbm(int quality) {
  quality = std::clamp(quality, 0, 100);
  // dBm = -100 + 0.6 * quality, rounded to the nearest (halves away from zero).
  return -((100 * 100 - 60 * quality + 50) / 100);
}

Result<Network> parse_nmcli_wifi_line(std::string_view line) {
  auto split = split_terse(line);
  if (!split) return split.error();
  const auto& f = *split;
  if (f.size() != 10) {
    return bad("wifi list line has " + std::to_string(f.size()) +
               " fields, expected 10: " + excerpt(line));
  }
  Network n;
  // ACTIVE,SSID,BSSID,CHAN,FREQ,RATE,SIGNAL,SECURITY,WPA-FLAGS,RSN-FLAGS
  if (f[0] != "yes" && f[0] != "no") return bad("ACTIVE is not yes/no: " + excerpt(f[0]));
  n.active = f[0] == "yes";
  if (f[1].size() > kMaxSsid) return bad("SSID longer than 32 bytes: " + excerpt(f[1]));
  n.ssid = f[1];
  if (!parse_bssid(f[2], n.bssid)) return bad("bad BSSID: " + excerpt(f[2]));
  if (!leading_int(f[3], n.channel, true) || n.channel > 255) {
    return bad("bad channel: " + excerpt(f[3]));
  }
  int freq = 0;
  if (!number_with_unit(f[4], freq)) return bad("bad frequency: " + excerpt(f[4]));
  int rate = 0;
  if (!number_with_unit(f[5], rate)) return bad("bad rate: " + excerpt(f[5]));
  int signal = 0;
  if (!leading_int(f[6], signal, true) || signal > 100) {
    return bad("bad signal: " + excerpt(f[6]));
  }
  n.rssi = signal_to_dbm(signal);

  const std::string_view security = f[7] == "--" ? std::string_view{} : std::string_view(f[7]);
  const auto wpa = flag_words(f[8]);
  const auto rsn = flag_words(f[9]);
  if (wpa.empty() && rsn.empty()) {
    if (security.empty()) {
      n.auth_mode = AuthMode::open;
      n.pairwise_cipher = n.group_cipher = Cipher::none;
    } else {
      n.auth_mode = security == "WEP" ? AuthMode::wep : AuthMode::other;
      n.pairwise_cipher = n.group_cipher = Cipher::unknown;
    }
  } else {
    const bool wpa_psk = has(wpa, "psk");
    const bool rsn_psk = has(rsn, "psk");
    if (wpa_psk && rsn_psk) {
      n.auth_mode = AuthMode::wpa_wpa2_psk;
    } else if (rsn_psk) {
      n.auth_mode = AuthMode::wpa2_psk;
    } else if (wpa_psk) {
      n.auth_mode = AuthMode::wpa_psk;
    } else {
      n.auth_mode = AuthMode::other;
    }
    std::vector<std::string_view> all = wpa;
    all.insert(all.end(), rsn.begin(), rsn.end());
    n.pairwise_cipher = cipher_of(all, "pair_");
    n.group_cipher = cipher_of(all, "group_");
  }

  const bool band_24 = freq > 0 ? freq < 3000 : n.channel <= 14;
  n.phy_11b = band_24;
  n.phy_11g = band_24 && rate > 11;
  n.phy_11n = rate > 54;
  n.wps = false;
  return n;
}

Result<WifiList> parse_nmcli_wifi_list(std::string_view text) {
  auto lines = terse_lines(text);
  if (!lines) return lines.error();
  WifiList list;
  for (const auto line : *lines) {
    auto n = parse_nmcli_wifi_line(line);
    if (!n) {
      if (list.skipped++ == 0) list.first_error = n.error().detail;
      continue;
    }
    list.networks.push_back(std::move(*n));
  }
  return list;
}

std::vector<Network> scan_order(std::vector<Network> networks) {
  std::stable_sort(networks.begin(), networks.end(),
                   [](const Network& a, const Network& b) { return a.rssi > b.rssi; });
  if (networks.size() > kMaxScanResults) networks.resize(kMaxScanResults);
  return networks;
}

Result<DeviceState> parse_nmcli_device_show(std::string_view text) {
  auto lines = terse_lines(text);
  if (!lines) return lines.error();
  DeviceState d;
  bool have_state = false;
  for (const auto line : *lines) {
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = line.substr(0, colon);
    // Values may carry the terse escapes; unescape them the same way.
    auto value = split_terse(line.substr(colon + 1));
    if (!value) return value.error();
    std::string v;
    for (std::size_t i = 0; i < value->size(); ++i) {
      if (i) v += ':';
      v += (*value)[i];
    }
    if (key == "GENERAL.STATE") {
      if (!leading_int(v, d.state, false)) return bad("bad GENERAL.STATE: " + excerpt(v));
      have_state = true;
    } else if (key == "GENERAL.REASON") {
      if (!leading_int(v, d.reason, false)) return bad("bad GENERAL.REASON: " + excerpt(v));
    } else if (key == "GENERAL.CONNECTION") {
      d.connection = v == "--" ? std::string{} : v;
    }
  }
  if (!have_state) return bad("no GENERAL.STATE line");
  return d;
}

std::string_view wifi_status_word(const DeviceState& device) {
  if (device.state == 100) return "connected";
  if (device.state == 10 || device.state == 20) return "disconnected";
  switch (device.reason) {
    case 53:
      return "no_ap_found";
    case 7:
    case 9:
    case 10:
      return "auth_fail";
    case 11:
      return "handshake_timeout";
    case 8:
      return "auth_leave";
    case 39:
      return "assoc_leave";
    case 40:
      return "beacon_timeout";
    default:
      return "unspecified";
  }
}

Result<std::vector<std::string>> parse_nmcli_names(std::string_view text) {
  auto lines = terse_lines(text);
  if (!lines) return lines.error();
  std::vector<std::string> names;
  for (const auto line : *lines) {
    auto fields = split_terse(line);
    if (!fields) return fields.error();
    names.push_back(std::move((*fields)[0]));
  }
  return names;
}

}  // namespace ml::core::wifi
