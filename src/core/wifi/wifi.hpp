// The text of the Wi-Fi commands (docs/agent.md, "Network settings"): the `set_ssid_pwd` argument
// and reply, the bounds of station and access-point credentials, and the `scan_result` line in the
// HEAD format. Pure functions: no I/O.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace ml::core::wifi {

// 802.11 allows 32 bytes of SSID. The original stored at most 31 from `set_ssid` (a 32-byte field
// with its NUL) but 32 from the setup page; we accept the 802.11 limit.
inline constexpr std::size_t kMaxSsid = 32;
// A WPA passphrase has at most 63 characters (64 would be a raw hex key; the original stored 63).
inline constexpr std::size_t kMaxPassword = 63;
// A WPA passphrase has at least 8 characters. The original let the station password be shorter
// (WEP keys, and it stored anything); the access point needs WPA.
inline constexpr std::size_t kMinWpaPassword = 8;
// The largest command argument looked at (the original's payload limit).
inline constexpr std::size_t kMaxArgument = 512;
// The mesh access point's password until `set_ap_mesh_pwd` changes it (docs/agent.md).
inline constexpr std::string_view kDefaultMeshPassword = "w1reless";

struct Credentials {
  std::string ssid;
  std::string password;  // empty: an open network
  friend bool operator==(const Credentials&, const Credentials&) = default;
};

// What a `set_ssid_pwd` argument sets. A key that is absent keeps the stored value, as in the
// original; `pwd=` (or `pwd`) without a value sets an empty password.
struct CredentialsUpdate {
  std::optional<std::string> ssid;
  std::optional<std::string> password;
};

// Checks a station SSID: 1..kMaxSsid bytes, no NUL. Errors: wifi_bad_value, wifi_too_long.
Status check_ssid(std::string_view ssid);
// Checks a station password: 0..kMaxPassword bytes, no NUL.
Status check_password(std::string_view password);
// Checks an access-point password: kMinWpaPassword..kMaxPassword bytes, no NUL.
Status check_ap_password(std::string_view password);

// Undoes the escaping of the Wi-Fi commands (docs/agent.md): `%26` -> `&`; `%3D`, `%3d` (HEAD) and
// `%61` (SEED, the decimal code of '=') -> `=`. Everything else is kept as it is, `%` included.
std::string unescape(std::string_view text);
// The HEAD escaping of a reply: `&` -> `%26`, `=` -> `%3D`.
std::string escape(std::string_view text);

// Parses `ssid=<s>&pwd=<p>`: split on `&` (empty parts skipped), each part on its first `=`;
// values unescaped; unknown keys ignored; a repeated key: the last one counts. Bounded by
// kMaxArgument; the SSID and password are checked (check_ssid, check_password), so an over-long
// value is an error rather than cut short. Errors: wifi_syntax, wifi_too_long, wifi_bad_value.
Result<CredentialsUpdate> parse_ssid_pwd(std::string_view argument);

// The `set_ssid_pwd` reply: `ssid=<escaped>&pwd=<escaped>` (HEAD escaping).
std::string format_ssid_pwd(const Credentials& credentials);

// ---- scan results ----

// The original's names (ESP8266 SDK AUTH_MODE): `other` prints as `MAX`, the name the original
// gave to a mode past its table (WPA3-only, enterprise, OWE).
enum class AuthMode : std::uint8_t { open, wep, wpa_psk, wpa2_psk, wpa_wpa2_psk, other };
// The original's names (ESP8266 SDK CIPHER_TYPE).
enum class Cipher : std::uint8_t { none, wep40, wep104, tkip, ccmp, tkip_ccmp, unknown };

std::string_view auth_mode_name(AuthMode mode);  // "OPEN", "WEP", …, "MAX"
std::string_view cipher_name(Cipher cipher);     // "NONE", "WEP40", …, "UNKNOWN"

using Bssid = std::array<std::uint8_t, 6>;

// One BSS seen in a scan.
struct Network {
  std::string ssid;  // empty for a hidden network
  Bssid bssid{};
  int rssi = 0;  // dBm
  int channel = 0;
  AuthMode auth_mode = AuthMode::open;
  Cipher pairwise_cipher = Cipher::none;
  Cipher group_cipher = Cipher::none;
  bool phy_11b = false;
  bool phy_11g = false;
  bool phy_11n = false;
  bool wps = false;
  bool active = false;  // the station is associated with it
  friend bool operator==(const Network&, const Network&) = default;
};

// One `scan_result` reply in the HEAD format:
// `ssid=<ssid, & -> %26>&bssid=xx:xx:xx:xx:xx:xx&rssi=<dBm>&channel=<n>&auth_mode=<…>`
// `&pairwise_cipher=<…>&group_cipher=<…>&phy_11b=<0/1>&phy_11g=<0/1>&phy_11n=<0/1>&wps=<0/1>`.
std::string format_scan_result(const Network& network);

// The BSSID as the original printed it: lower-case hex, colons.
std::string format_bssid(const Bssid& bssid);

}  // namespace ml::core::wifi
