// Reading NetworkManager's command-line client: `nmcli --terse` output, its Wi-Fi security flags
// mapped onto the original's scan vocabulary, and device states mapped onto the original's
// `wifi_status` words. Pure functions: no I/O (the agent runs nmcli, see agent/network.hpp).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "core/wifi/wifi.hpp"

namespace ml::core::wifi {

// Bounds on what is read from nmcli.
inline constexpr std::size_t kMaxNmcliLine = 4096;
inline constexpr std::size_t kMaxNmcliFields = 32;
inline constexpr std::size_t kMaxNmcliLines = 1024;
// At most this many networks are reported by `scan` (the strongest).
inline constexpr std::size_t kMaxScanResults = 64;

// The fields asked of `nmcli -t -f <fields> device wifi list`, in this order.
inline constexpr std::string_view kNmcliWifiFields =
    "ACTIVE,SSID,BSSID,CHAN,FREQ,RATE,SIGNAL,SECURITY,WPA-FLAGS,RSN-FLAGS";

// Splits one line of terse output into its fields: fields are separated by ':', and inside a
// field nmcli writes ':' as "\:" and '\' as "\\". Errors (nmcli_output): longer than
// kMaxNmcliLine, more than kMaxNmcliFields fields.
Result<std::vector<std::string>> split_terse(std::string_view line);

// The lines of a text (LF or CRLF), empty lines skipped, at most kMaxNmcliLines (more: error).
Result<std::vector<std::string_view>> terse_lines(std::string_view text);

// NetworkManager's signal quality (0–100 %) back to dBm. NetworkManager computes the quality
// from the driver's dBm as 100 - 100 * (-40 - dBm) / 60 clamped to 0..100, so this is the
// dBm to within 0.6 dB between -100 and -40 dBm (stronger reads -40, weaker -100).
int signal_to_dbm(int quality);

// One line of `nmcli -t -f <kNmcliWifiFields> device wifi list`, e.g.
// `no:Nabovarme:C4\:6E\:1F\:A2\:10\:02:11:2462 MHz:130 Mbit/s:64:WPA2:(none):pair_ccmp group_ccmp
// psk`. The mapping onto the original's fields:
//   rssi            signal_to_dbm(SIGNAL)
//   auth_mode       no WPA/RSN flags: OPEN, or WEP when SECURITY says WEP (MAX for any other
//                   SECURITY, e.g. dynamic-WEP 802.1X); `psk` in both WPA and RSN flags:
//                   WPA_WPA2_PSK; in RSN only: WPA2_PSK (also WPA2/WPA3 transition networks);
//                   in WPA only: WPA_PSK; anything else (WPA3-only `sae`, `802.1X`, `owe`): MAX
//   pairwise_cipher pair_tkip + pair_ccmp: TKIP_CCMP; pair_ccmp: CCMP; pair_tkip: TKIP;
//                   pair_wep104 / pair_wep40: WEP104 / WEP40; open: NONE; otherwise (WEP, whose
//                   key length a scan does not show; GCMP): UNKNOWN
//   group_cipher    the same from the group_* flags
//   phy_11b/g/n     estimated (NetworkManager does not report them): 11b for 2.4 GHz, 11g for
//                   2.4 GHz with a maximum rate above 11 Mbit/s, 11n for a rate above 54 Mbit/s
//   wps             0 (NetworkManager does not report WPS)
// Errors (nmcli_output): wrong number of fields, a bad BSSID, channel, frequency or signal.
Result<Network> parse_nmcli_wifi_line(std::string_view line);

struct WifiList {
  std::vector<Network> networks;  // in nmcli's order
  std::size_t skipped = 0;        // lines that did not parse
  std::string first_error;        // the first such line's problem
};
// All lines of `nmcli -t -f <kNmcliWifiFields> device wifi list`; lines that do not parse are
// skipped and counted. Errors: only for more than kMaxNmcliLines lines.
Result<WifiList> parse_nmcli_wifi_list(std::string_view text);

// The networks for `scan`: strongest first, at most kMaxScanResults.
std::vector<Network> scan_order(std::vector<Network> networks);

// NetworkManager device state and the reason of its last change, from
// `nmcli -t -f GENERAL.STATE,GENERAL.REASON,GENERAL.CONNECTION device show <interface>`:
//   GENERAL.STATE:100 (connected)
//   GENERAL.REASON:0 (No reason given)
//   GENERAL.CONNECTION:meterlogger
struct DeviceState {
  int state = 0;           // NMDeviceState: 10 unmanaged, 20 unavailable, 30 disconnected,
                           // 40..90 activating, 100 activated, 110 deactivating, 120 failed
  int reason = 0;          // NMDeviceStateReason
  std::string connection;  // the active profile, "" for none
};
// Errors (nmcli_output): no GENERAL.STATE line, a state that is not a number.
Result<DeviceState> parse_nmcli_device_show(std::string_view text);

// `wifi_status` for a device state, in the original's words:
//   activated (100)                        connected
//   unmanaged, unavailable (10, 20)        disconnected (the SEED word: no usable radio)
//   otherwise, by the reason of the last change:
//     53 SSID not found                    no_ap_found
//     7 no secrets (password refused)      auth_fail
//     9, 10 supplicant failed              auth_fail
//     11 supplicant timeout                handshake_timeout
//     8 supplicant disconnected            auth_leave
//     39 disconnected by request           assoc_leave
//     40 carrier lost                      beacon_timeout
//     anything else                        unspecified
std::string_view wifi_status_word(const DeviceState& device);

// Profile names from `nmcli -t -f NAME connection show [--active]` (first field of each line).
Result<std::vector<std::string>> parse_nmcli_names(std::string_view text);

}  // namespace ml::core::wifi
