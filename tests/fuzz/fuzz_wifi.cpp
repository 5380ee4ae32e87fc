// Fuzz target: the Wi-Fi command texts and nmcli's terse output. The first byte picks the parser:
//   0  `set_ssid_pwd` argument; invariants: accepted values are within bounds, and the reply text
//      for them parses back to the same credentials when they hold no escape sequence
//   1  `nmcli -t … device wifi list`; invariants: bounded, every scan_result line is built
//   2  `nmcli -t … device show`; invariant: the status word is one of the original's
//   3  terse field splitting; invariant: bounded field count
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/wifi/nmcli.hpp"
#include "core/wifi/wifi.hpp"

namespace {

using namespace ml::core::wifi;

bool has_escape(const std::string& s) {
  return unescape(s) != s;
}

void check_ssid_pwd(std::string_view text) {
  auto u = parse_ssid_pwd(text);
  if (!u.ok()) return;
  if (u->ssid && (u->ssid->empty() || u->ssid->size() > kMaxSsid)) std::abort();
  if (u->password && u->password->size() > kMaxPassword) std::abort();
  const Credentials c{u->ssid.value_or("x"), u->password.value_or("")};
  // "%26" in a value comes back as '&': the original's format cannot say otherwise.
  const std::string reply = format_ssid_pwd(c);
  if (has_escape(c.ssid) || has_escape(c.password)) return;
  auto again = parse_ssid_pwd(reply);
  if (!again.ok() || again->ssid != c.ssid || again->password != c.password) std::abort();
}

void check_wifi_list(std::string_view text) {
  auto list = parse_nmcli_wifi_list(text);
  if (!list.ok()) return;
  if (list->networks.size() > kMaxNmcliLines) std::abort();
  for (const auto& n : scan_order(list->networks)) {
    if (n.ssid.size() > kMaxSsid || n.rssi > -40 || n.rssi < -100) std::abort();
    const std::string line = format_scan_result(n);
    if (line.rfind("ssid=", 0) != 0 || line.find("&wps=0") == std::string::npos) std::abort();
  }
}

void check_device_show(std::string_view text) {
  auto d = parse_nmcli_device_show(text);
  if (!d.ok()) return;
  const std::string_view word = wifi_status_word(*d);
  for (std::string_view w :
       {"connected", "disconnected", "no_ap_found", "auth_fail", "handshake_timeout", "auth_leave",
        "assoc_leave", "beacon_timeout", "unspecified"}) {
    if (word == w) return;
  }
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
    case 0:
      check_ssid_pwd(text);
      break;
    case 1:
      check_wifi_list(text);
      break;
    case 2:
      check_device_show(text);
      break;
    default: {
      auto f = split_terse(text);
      if (f.ok() && (f->empty() || f->size() > kMaxNmcliFields)) std::abort();
      break;
    }
  }
  return 0;
}
