// The `[network]` settings of the agent (see network.hpp for the backend they configure).
#pragma once

#include <chrono>
#include <string>

#include "core/result.hpp"

namespace ml::agent {

// The `[network]` section of the agent's configuration.
struct NetworkSettings {
  std::string backend = "none";                 // "none" | "networkmanager"
  std::string nmcli = "nmcli";                  // the program; looked up on PATH without a '/'
  std::string interface = "wlan0";              // the station's Wi-Fi interface
  std::string station_profile = "meterlogger";  // the NetworkManager profile for the station
  // The access point's interface: a second radio or a virtual AP interface (e.g. `uap0`). Empty:
  // no access point, `start_ap` is refused. The station's own interface works too, but most
  // radios then leave the station network while the access point runs.
  std::string ap_interface;
  std::string ap_profile = "meterlogger-ap";  // the NetworkManager profile for the access point
  std::string ap_ssid;                     // empty: `mesh-<serial>` as the original (docs/agent.md)
  std::string ap_address = "10.0.5.1/24";  // NetworkManager shares the uplink (NAT, DHCP)
  std::chrono::milliseconds timeout{30000};  // for each nmcli call
};

// Checks the settings; errors (config_invalid) name the key: "network.backend: must be …".
core::Status check_network_settings(const NetworkSettings& settings);

}  // namespace ml::agent
