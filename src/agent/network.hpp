// The agent's network settings and the Wi-Fi commands (docs/agent.md, "Network settings") (`ssid`,
// `rssi`, `scan`, `set_ssid`, `set_pwd`, `set_ssid_pwd`, `wifi_status`, `reconnect`, `start_ap`,
// `stop_ap`, `ap_status`, `set_ap_mesh_pwd`) over a network backend:
//
// - NmcliBackend ("networkmanager") drives NetworkManager with `nmcli` (argv, never a shell;
//   terse output; a timeout per call). The station is one NetworkManager profile the agent owns
//   (`station_profile`), the mesh access point another (`ap_profile`).
// - NoneBackend ("none") has no radio: it stores the settings and answers truthfully (`rssi`
//   31, `wifi_status` disconnected, `ap_status` stopped, `scan` nothing).
//
// What the commands change lives in the state store under the scope kNetworkScope (the radio
// belongs to the machine, not to one meter), never in the TOML file. Everything runs as
// coroutines on the agent's loop: an nmcli call never blocks it.
//
// Use: make_network_backend() once at start and a NetworkCommands over it; for a command with
// is_network_command(name): commands.submit(serial, name, argument, done), and in `done` publish
// the outcome's replies in order, log its error, and reconnect MQTT when it says so.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "agent/network_settings.hpp"
#include "agent/store.hpp"
#include "core/result.hpp"
#include "core/wifi/nmcli.hpp"
#include "core/wifi/wifi.hpp"
#include "platform/process/process.hpp"

namespace ml::agent {

// `rssi` when the configured network is not seen or the strength is unknown (the original's 31).
inline constexpr int kRssiUnknown = 31;
// The store's "serial" column for machine-wide network settings.
inline constexpr std::string_view kNetworkScope = "network";

// Keys in the store (scope kNetworkScope).
inline constexpr std::string_view kWifiSsidKey = "wifi_ssid";
inline constexpr std::string_view kWifiPasswordKey = "wifi_password";
inline constexpr std::string_view kWifiPendingKey = "wifi_pending";  // "1": not yet applied
inline constexpr std::string_view kApEnabledKey = "ap_enabled";      // "1" / "0"
inline constexpr std::string_view kApMeshPasswordKey = "ap_mesh_password";

using NowFn = std::function<std::int64_t()>;  // unix seconds, for the store's `updated`

class NetworkBackend {
 public:
  NetworkBackend(Store& store, NowFn now) : store_(store), now_(std::move(now)) {}
  virtual ~NetworkBackend() = default;
  NetworkBackend(const NetworkBackend&) = delete;
  NetworkBackend& operator=(const NetworkBackend&) = delete;

  virtual std::string_view kind() const = 0;  // "networkmanager" | "none"

  // ---- what the store holds ----
  // The station credentials set by commands; empty when never set.
  core::Result<core::wifi::Credentials> stored_station();
  // Whether set_station() stored credentials that reconnect_wifi() has not applied yet.
  core::Result<bool> station_pending();
  // `start_ap` / `stop_ap` as last commanded; false when never.
  core::Result<bool> ap_enabled();
  // The mesh access point's password: stored, or "w1reless".
  core::Result<std::string> ap_mesh_password();

  // ---- the commands ----
  // `ssid`: the configured station SSID; NetworkManager: when none was stored, the network the
  // interface is associated with; "" when none.
  virtual asio::awaitable<core::Result<std::string>> ssid() = 0;
  // `rssi`: dBm of the configured network (the one in use when none is stored), kRssiUnknown
  // when it is not in range.
  virtual asio::awaitable<core::Result<int>> rssi() = 0;
  // `scan`: the networks in range, strongest first, at most core::wifi::kMaxScanResults.
  virtual asio::awaitable<core::Result<std::vector<core::wifi::Network>>> scan() = 0;
  // `set_ssid`, `set_pwd`, `set_ssid_pwd`: checks and stores new station credentials. They take
  // effect at reconnect_wifi() or when the system next connects (NetworkManager: the profile is
  // rewritten, not re-activated). On error nothing changes.
  virtual asio::awaitable<core::Status> set_station(core::wifi::Credentials credentials) = 0;
  // Connects the station with the stored credentials now. NetworkManager: if that fails, the
  // connection that was active before is brought back (and the error says so).
  virtual asio::awaitable<core::Status> reconnect_wifi() = 0;
  // `wifi_status`: "connected", "disconnected" or one of the original's reason words.
  virtual asio::awaitable<core::Result<std::string>> wifi_status() = 0;
  // `start_ap`: starts the mesh access point (SSID `mesh-<serial>` unless configured) and
  // remembers it (NetworkManager starts it again at boot).
  virtual asio::awaitable<core::Status> start_ap(std::string serial) = 0;
  // `stop_ap`: stops it and remembers that.
  virtual asio::awaitable<core::Status> stop_ap() = 0;
  // `ap_status`: "started" or "stopped".
  virtual asio::awaitable<core::Result<std::string>> ap_status() = 0;
  // `set_ap_mesh_pwd`: checks (8–63 bytes) and stores the password; a running access point is
  // restarted with it.
  virtual asio::awaitable<core::Status> set_ap_mesh_password(std::string password) = 0;

 protected:
  core::Status store_station(const core::wifi::Credentials& credentials, bool pending);
  core::Status store_value(std::string_view key, const std::string& value);

 private:
  core::Result<std::optional<std::string>> value(std::string_view key);

  Store& store_;
  NowFn now_;
};

class NoneBackend final : public NetworkBackend {
 public:
  using NetworkBackend::NetworkBackend;
  std::string_view kind() const override { return "none"; }
  asio::awaitable<core::Result<std::string>> ssid() override;
  asio::awaitable<core::Result<int>> rssi() override;
  asio::awaitable<core::Result<std::vector<core::wifi::Network>>> scan() override;
  asio::awaitable<core::Status> set_station(core::wifi::Credentials credentials) override;
  asio::awaitable<core::Status> reconnect_wifi() override;
  asio::awaitable<core::Result<std::string>> wifi_status() override;
  asio::awaitable<core::Status> start_ap(std::string serial) override;
  asio::awaitable<core::Status> stop_ap() override;
  asio::awaitable<core::Result<std::string>> ap_status() override;
  asio::awaitable<core::Status> set_ap_mesh_password(std::string password) override;
};

class NmcliBackend final : public NetworkBackend {
 public:
  NmcliBackend(NetworkSettings settings, Store& store, NowFn now)
      : NetworkBackend(store, std::move(now)), settings_(std::move(settings)) {}
  std::string_view kind() const override { return "networkmanager"; }
  const NetworkSettings& settings() const { return settings_; }

  asio::awaitable<core::Result<std::string>> ssid() override;
  asio::awaitable<core::Result<int>> rssi() override;
  asio::awaitable<core::Result<std::vector<core::wifi::Network>>> scan() override;
  asio::awaitable<core::Status> set_station(core::wifi::Credentials credentials) override;
  asio::awaitable<core::Status> reconnect_wifi() override;
  asio::awaitable<core::Result<std::string>> wifi_status() override;
  asio::awaitable<core::Status> start_ap(std::string serial) override;
  asio::awaitable<core::Status> stop_ap() override;
  asio::awaitable<core::Result<std::string>> ap_status() override;
  asio::awaitable<core::Status> set_ap_mesh_password(std::string password) override;

 private:
  // Runs nmcli with args; `what` names the call in errors (never the arguments: they may hold a
  // password).
  asio::awaitable<core::Result<platform::ProcessResult>> run(std::vector<std::string> args);
  asio::awaitable<core::Status> run_ok(std::vector<std::string> args, std::string what);
  asio::awaitable<core::Result<core::wifi::WifiList>> wifi_list(std::string rescan);
  asio::awaitable<core::Result<std::vector<std::string>>> profiles(bool active);
  asio::awaitable<core::Status> write_station_profile(core::wifi::Credentials credentials);
  std::string wait_seconds() const;

  NetworkSettings settings_;
};

// Makes the backend settings.backend names. Errors: config_invalid (check_network_settings).
core::Result<std::unique_ptr<NetworkBackend>> make_network_backend(const NetworkSettings& settings,
                                                                   Store& store, NowFn now);

// ---- the commands ----

// Whether `command` is one of the twelve network commands.
bool is_network_command(std::string_view command);

struct NetworkReply {
  std::string function;  // the reply topic's function: "ssid", "scan_result", …
  std::string text;      // the plaintext
};

struct NetworkOutcome {
  std::vector<NetworkReply> replies;  // to publish in this order
  std::optional<core::Error> error;   // what went wrong, to log (replies are still published)
  bool reconnect_mqtt = false;        // `reconnect`: the caller reconnects MQTT afterwards
};

// Carries out one network command for the device `serial` (used for the access point's SSID).
// Replies as the original (docs/agent.md, "Network settings"):
//   ssid            `ssid` -> the SSID ("" when none or unknown)
//   rssi            `rssi` -> dBm, 31 when unknown or nmcli failed
//   scan            one `scan_result` per network (HEAD format); none from "none"
//   set_ssid        `set_ssid` -> the stored SSID (unchanged when the new one was refused)
//   set_pwd         `set_pwd` -> the stored password
//   set_ssid_pwd    `set_ssid_pwd` -> `ssid=<escaped>&pwd=<escaped>` of what is stored
//   wifi_status     `wifi_status` -> word (no reply when nmcli failed: the server asks again)
//   reconnect       no reply; applies Wi-Fi credentials stored since the last reconnect (none
//                   pending: Wi-Fi is left alone), then reconnect_mqtt
//   start_ap        no reply
//   stop_ap         no reply
//   ap_status       `ap_status` -> started / stopped (no reply when nmcli failed)
//   set_ap_mesh_pwd `set_ap_mesh_pwd` -> the stored password
// The backend must outlive the coroutine.
asio::awaitable<NetworkOutcome> run_network_command(NetworkBackend& backend, std::string serial,
                                                    std::string command, std::string argument);

// Runs network commands one at a time, in the order they were submitted, on the loop: a
// `reconnect` right after a `set_ssid_pwd` sees the new credentials, and two commands never
// interleave their nmcli calls. The backend must outlive it and its pending commands.
class NetworkCommands {
 public:
  using Done = std::function<void(NetworkOutcome)>;

  NetworkCommands(asio::any_io_executor executor, NetworkBackend& backend);

  // Queues the command; `done` is called on the loop with its outcome (never from inside
  // submit). An exception from the backend becomes the outcome's error.
  void submit(std::string serial, std::string command, std::string argument, Done done);

  // Commands submitted and not yet done.
  std::size_t pending() const { return state_->jobs.size() + (state_->in_flight ? 1 : 0); }

 private:
  struct Job {
    std::string serial;
    std::string command;
    std::string argument;
    Done done;
  };
  struct State {
    std::deque<Job> jobs;
    bool running = false;    // the worker coroutine exists
    bool in_flight = false;  // it is carrying out a job taken from `jobs`
  };
  static asio::awaitable<void> work(std::shared_ptr<State> state, NetworkBackend& backend);

  asio::any_io_executor executor_;
  NetworkBackend& backend_;
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

}  // namespace ml::agent
