#include "agent/network.hpp"

#include <algorithm>
#include <array>
#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/post.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <exception>

namespace ml::agent {
namespace {

using asio::awaitable;
using core::Errc;
using core::make_error;
namespace wifi = core::wifi;

// nmcli's exit status when the device, profile or access point named does not exist.
constexpr int kNmcliNotFound = 10;

const std::string kScope(kNetworkScope);

core::Error config_error(const std::string& key, const std::string& what) {
  return make_error(Errc::config_invalid, "network." + key + ": " + what);
}

bool plain_name(const std::string& s) {
  // Interface and profile names go to nmcli as single arguments; keep them printable.
  if (s.empty() || s.size() > 64) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u != 0x7f;
  });
}

bool contains(const std::vector<std::string>& names, const std::string& name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The security part of a profile for a WPA passphrase.
void add_psk(std::vector<std::string>& args, const std::string& password) {
  args.insert(args.end(), {"802-11-wireless-security.key-mgmt", "wpa-psk",
                           "802-11-wireless-security.psk", password});
}

}  // namespace

core::Status check_network_settings(const NetworkSettings& s) {
  if (s.backend != "none" && s.backend != "networkmanager") {
    return config_error("backend",
                        "must be \"none\" or \"networkmanager\", not \"" + s.backend + "\"");
  }
  if (s.nmcli.empty()) return config_error("nmcli", "must name the nmcli program");
  if (!plain_name(s.interface)) return config_error("interface", "must be an interface name");
  if (!plain_name(s.station_profile)) {
    return config_error("station_profile", "must be a profile name without spaces");
  }
  if (!s.ap_interface.empty() && !plain_name(s.ap_interface)) {
    return config_error("ap_interface", "must be an interface name");
  }
  if (!plain_name(s.ap_profile)) {
    return config_error("ap_profile", "must be a profile name without spaces");
  }
  if (s.ap_profile == s.station_profile) {
    return config_error("ap_profile", "must differ from network.station_profile");
  }
  if (!s.ap_ssid.empty()) {
    if (auto c = wifi::check_ssid(s.ap_ssid); !c) return config_error("ap_ssid", c.error().detail);
  }
  if (s.ap_address.find('/') == std::string::npos || !plain_name(s.ap_address)) {
    return config_error("ap_address", "must be an address with a prefix, e.g. 10.0.5.1/24");
  }
  if (s.timeout < std::chrono::milliseconds(100) || s.timeout > std::chrono::minutes(10)) {
    return config_error("timeout", "must be between 0.1 and 600 seconds");
  }
  return core::Ok{};
}

// ---- NetworkBackend: the store ----

core::Result<std::optional<std::string>> NetworkBackend::value(std::string_view key) {
  return store_.setting(kScope, std::string(key));
}

core::Status NetworkBackend::store_value(std::string_view key, const std::string& value) {
  return store_.set_setting(kScope, std::string(key), value, now_());
}

core::Result<wifi::Credentials> NetworkBackend::stored_station() {
  auto ssid = value(kWifiSsidKey);
  if (!ssid) return ssid.error();
  auto password = value(kWifiPasswordKey);
  if (!password) return password.error();
  return wifi::Credentials{ssid->value_or(""), password->value_or("")};
}

core::Result<bool> NetworkBackend::station_pending() {
  auto v = value(kWifiPendingKey);
  if (!v) return v.error();
  return v->value_or("0") == "1";
}

core::Result<bool> NetworkBackend::ap_enabled() {
  auto v = value(kApEnabledKey);
  if (!v) return v.error();
  return v->value_or("0") == "1";
}

core::Result<std::string> NetworkBackend::ap_mesh_password() {
  auto v = value(kApMeshPasswordKey);
  if (!v) return v.error();
  return v->value_or(std::string(wifi::kDefaultMeshPassword));
}

core::Status NetworkBackend::store_station(const wifi::Credentials& c, bool pending) {
  // One transaction would be nicer; the three rows are independent enough: a crash between them
  // leaves a mix the next set_* or reconnect repairs.
  if (auto s = store_value(kWifiSsidKey, c.ssid); !s) return s;
  if (auto s = store_value(kWifiPasswordKey, c.password); !s) return s;
  return store_value(kWifiPendingKey, pending ? "1" : "0");
}

// ---- NoneBackend ----

awaitable<core::Result<std::string>> NoneBackend::ssid() {
  auto c = stored_station();
  if (!c) co_return c.error();
  co_return c->ssid;
}

awaitable<core::Result<int>> NoneBackend::rssi() {
  co_return kRssiUnknown;
}

awaitable<core::Result<std::vector<wifi::Network>>> NoneBackend::scan() {
  co_return std::vector<wifi::Network>{};
}

awaitable<core::Status> NoneBackend::set_station(wifi::Credentials c) {
  if (auto s = wifi::check_ssid(c.ssid); !s) co_return s;
  if (auto s = wifi::check_password(c.password); !s) co_return s;
  co_return store_station(c, false);
}

awaitable<core::Status> NoneBackend::reconnect_wifi() {
  co_return core::Ok{};  // no radio: nothing to connect
}

awaitable<core::Result<std::string>> NoneBackend::wifi_status() {
  co_return std::string("disconnected");
}

awaitable<core::Status> NoneBackend::start_ap(std::string) {
  co_return store_value(kApEnabledKey, "1");
}

awaitable<core::Status> NoneBackend::stop_ap() {
  co_return store_value(kApEnabledKey, "0");
}

awaitable<core::Result<std::string>> NoneBackend::ap_status() {
  co_return std::string("stopped");
}

awaitable<core::Status> NoneBackend::set_ap_mesh_password(std::string password) {
  if (auto s = wifi::check_ap_password(password); !s) co_return s;
  co_return store_value(kApMeshPasswordKey, password);
}

// ---- NmcliBackend ----

std::string NmcliBackend::wait_seconds() const {
  // nmcli's own wait for activation, a little inside our deadline for the call.
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(settings_.timeout).count() - 2;
  return std::to_string(std::max<long long>(1, s));
}

awaitable<core::Result<platform::ProcessResult>> NmcliBackend::run(std::vector<std::string> args) {
  std::vector<std::string> argv;
  argv.reserve(args.size() + 1);
  argv.push_back(settings_.nmcli);
  for (auto& a : args)
    argv.push_back(std::move(a));
  platform::ProcessOptions options;
  options.timeout = settings_.timeout;
  // Untranslated messages and values, UTF-8 SSIDs.
  options.environment = {"LC_ALL=C.UTF-8", "LANGUAGE"};
  auto r = co_await platform::run_process(std::move(argv), std::move(options));
  co_return r;
}

awaitable<core::Status> NmcliBackend::run_ok(std::vector<std::string> args, std::string what) {
  auto r = co_await run(std::move(args));
  if (!r) co_return r.error();
  if (r->status != 0) {
    co_return make_error(Errc::network_failure, "nmcli " + what + " failed (exit " +
                                                    std::to_string(r->status) +
                                                    "): " + platform::first_line(*r));
  }
  co_return core::Ok{};
}

awaitable<core::Result<wifi::WifiList>> NmcliBackend::wifi_list(std::string rescan) {
  std::vector<std::string> args = {"-t",
                                   "-f",
                                   std::string(wifi::kNmcliWifiFields),
                                   "device",
                                   "wifi",
                                   "list",
                                   "--rescan",
                                   rescan,
                                   "ifname",
                                   settings_.interface};
  auto r = co_await run(std::move(args));
  if (!r) co_return r.error();
  if (r->status != 0) {
    co_return make_error(Errc::network_failure, "nmcli device wifi list failed (exit " +
                                                    std::to_string(r->status) +
                                                    "): " + platform::first_line(*r));
  }
  auto list = wifi::parse_nmcli_wifi_list(r->out);
  if (!list) co_return list.error();
  if (list->networks.empty() && list->skipped > 0) {
    co_return make_error(Errc::nmcli_output, list->first_error);
  }
  co_return std::move(*list);
}

awaitable<core::Result<std::vector<std::string>>> NmcliBackend::profiles(bool active) {
  std::vector<std::string> args = {"-t", "-f", "NAME,TYPE", "connection", "show"};
  if (active) args.emplace_back("--active");
  auto r = co_await run(std::move(args));
  if (!r) co_return r.error();
  if (r->status != 0) {
    co_return make_error(Errc::network_failure, "nmcli connection show failed (exit " +
                                                    std::to_string(r->status) +
                                                    "): " + platform::first_line(*r));
  }
  auto names = wifi::parse_nmcli_names(r->out);
  co_return names;
}

awaitable<core::Result<std::string>> NmcliBackend::ssid() {
  auto stored = stored_station();
  if (!stored) co_return stored.error();
  if (!stored->ssid.empty()) co_return stored->ssid;
  auto list = co_await wifi_list("no");
  if (!list) co_return list.error();
  for (const auto& n : list->networks) {
    if (n.active) co_return n.ssid;
  }
  co_return std::string{};
}

awaitable<core::Result<int>> NmcliBackend::rssi() {
  auto stored = stored_station();
  if (!stored) co_return stored.error();
  auto list = co_await wifi_list("no");
  if (!list) co_return list.error();
  std::string target = stored->ssid;
  if (target.empty()) {
    for (const auto& n : list->networks) {
      if (n.active) target = n.ssid;
    }
  }
  if (target.empty()) co_return kRssiUnknown;
  std::optional<int> best;
  for (const auto& n : list->networks) {
    if (n.ssid != target) continue;
    if (n.active) co_return n.rssi;  // the BSS the station is on
    if (!best || n.rssi > *best) best = n.rssi;
  }
  co_return best.value_or(kRssiUnknown);
}

awaitable<core::Result<std::vector<wifi::Network>>> NmcliBackend::scan() {
  // "auto": NetworkManager scans first when its last scan is older than 30 s.
  auto list = co_await wifi_list("auto");
  if (!list) co_return list.error();
  co_return wifi::scan_order(std::move(list->networks));
}

awaitable<core::Status> NmcliBackend::write_station_profile(wifi::Credentials c) {
  auto names = co_await profiles(false);
  if (!names) co_return names.error();
  const std::string& profile = settings_.station_profile;
  if (!contains(*names, profile)) {
    std::vector<std::string> add = {"connection",  "add",   "type",   "wifi",
                                    "con-name",    profile, "ifname", settings_.interface,
                                    "autoconnect", "yes",   "ssid",   c.ssid};
    if (!c.password.empty()) add_psk(add, c.password);
    auto s = co_await run_ok(std::move(add), "connection add");
    co_return s;
  }
  std::vector<std::string> modify = {"connection",
                                     "modify",
                                     "id",
                                     profile,
                                     "connection.interface-name",
                                     settings_.interface,
                                     "connection.autoconnect",
                                     "yes",
                                     "802-11-wireless.ssid",
                                     c.ssid};
  if (!c.password.empty()) add_psk(modify, c.password);
  auto s = co_await run_ok(std::move(modify), "connection modify");
  if (!s) co_return s;
  if (c.password.empty()) {
    // An open network has no security setting. nmcli fails when there is none to remove: the
    // status of this call does not matter.
    std::vector<std::string> remove = {"connection", "modify", "id",
                                       profile,      "remove", "802-11-wireless-security"};
    auto r = co_await run(std::move(remove));
    if (!r) co_return r.error();
  }
  co_return core::Ok{};
}

awaitable<core::Status> NmcliBackend::set_station(wifi::Credentials c) {
  if (auto s = wifi::check_ssid(c.ssid); !s) co_return s;
  if (auto s = wifi::check_password(c.password); !s) co_return s;
  if (!c.password.empty() && c.password.size() < wifi::kMinWpaPassword) {
    co_return make_error(Errc::wifi_bad_value,
                         "password has " + std::to_string(c.password.size()) +
                             " bytes: NetworkManager needs a WPA passphrase of 8 to 63, or none "
                             "for an open network");
  }
  auto s = co_await write_station_profile(c);
  if (!s) co_return s;
  co_return store_station(c, true);
}

awaitable<core::Status> NmcliBackend::reconnect_wifi() {
  auto stored = stored_station();
  if (!stored) co_return stored.error();
  if (stored->ssid.empty()) co_return core::Ok{};  // nothing configured by commands
  auto written = co_await write_station_profile(*stored);
  if (!written) co_return written;

  // The connection in use now, to go back to if the new one fails.
  std::string previous;
  {
    std::vector<std::string> args = {
        "-t",     "-f",   "GENERAL.STATE,GENERAL.REASON,GENERAL.CONNECTION",
        "device", "show", settings_.interface};
    auto r = co_await run(std::move(args));
    if (!r) co_return r.error();
    if (r->status == 0) {
      if (auto d = wifi::parse_nmcli_device_show(r->out)) previous = d->connection;
    }
  }

  std::vector<std::string> up = {"-w", wait_seconds(), "connection",
                                 "up", "id",           settings_.station_profile};
  auto s = co_await run_ok(std::move(up), "connection up");
  if (s) co_return store_value(kWifiPendingKey, "0");

  std::string detail = "cannot connect to \"" + stored->ssid + "\": " + s.error().detail;
  if (!previous.empty() && previous != settings_.station_profile) {
    std::vector<std::string> back = {"-w", wait_seconds(), "connection", "up", "id", previous};
    auto b = co_await run_ok(std::move(back), "connection up");
    detail += b ? "; back on \"" + previous + "\"" : "; \"" + previous + "\" failed too";
  }
  co_return make_error(s.error().code, detail);
}

awaitable<core::Result<std::string>> NmcliBackend::wifi_status() {
  std::vector<std::string> args = {
      "-t",     "-f",   "GENERAL.STATE,GENERAL.REASON,GENERAL.CONNECTION",
      "device", "show", settings_.interface};
  auto r = co_await run(std::move(args));
  if (!r) co_return r.error();
  if (r->status == kNmcliNotFound) co_return std::string("disconnected");  // no such device
  if (r->status != 0) {
    co_return make_error(Errc::network_failure, "nmcli device show failed (exit " +
                                                    std::to_string(r->status) +
                                                    "): " + platform::first_line(*r));
  }
  auto d = wifi::parse_nmcli_device_show(r->out);
  if (!d) co_return d.error();
  co_return std::string(wifi::wifi_status_word(*d));
}

awaitable<core::Status> NmcliBackend::start_ap(std::string serial) {
  if (settings_.ap_interface.empty()) {
    co_return make_error(Errc::network_unsupported,
                         "no access point interface configured (network.ap_interface)");
  }
  const std::string ssid = settings_.ap_ssid.empty() ? "mesh-" + serial : settings_.ap_ssid;
  if (serial.empty() && settings_.ap_ssid.empty()) {
    co_return make_error(Errc::wifi_bad_value, "the serial is not known yet: no SSID for the AP");
  }
  if (auto c = wifi::check_ssid(ssid); !c) co_return c;
  auto password = ap_mesh_password();
  if (!password) co_return password.error();

  // As HEAD: the access point on the station's channel (a radio shared by both needs it).
  int channel = 0;
  auto list = co_await wifi_list("no");
  if (list) {
    for (const auto& n : list->networks) {
      if (n.active) channel = n.channel;
    }
  }
  const std::string band = channel > 14 ? "a" : "bg";

  auto names = co_await profiles(false);
  if (!names) co_return names.error();
  const std::string& profile = settings_.ap_profile;
  std::vector<std::string> args;
  if (contains(*names, profile)) {
    args = {"connection",
            "modify",
            "id",
            profile,
            "connection.interface-name",
            settings_.ap_interface,
            "connection.autoconnect",
            "yes",
            "802-11-wireless.ssid",
            ssid};
  } else {
    args = {"connection",           "add",         "type", "wifi", "con-name", profile, "ifname",
            settings_.ap_interface, "autoconnect", "yes",  "ssid", ssid};
  }
  args.insert(args.end(),
              {"802-11-wireless.mode", "ap", "802-11-wireless.band", band,
               "802-11-wireless.channel", std::to_string(channel), "ipv4.method", "shared",
               "ipv4.addresses", settings_.ap_address, "ipv6.method", "ignore"});
  add_psk(args, *password);
  const std::string what = args[1] == "add" ? "connection add" : "connection modify";
  auto written = co_await run_ok(std::move(args), what);
  if (!written) co_return written;

  std::vector<std::string> up = {"-w", wait_seconds(), "connection", "up", "id", profile};
  auto started = co_await run_ok(std::move(up), "connection up");
  if (!started) co_return started;
  co_return store_value(kApEnabledKey, "1");
}

awaitable<core::Status> NmcliBackend::stop_ap() {
  if (!settings_.ap_interface.empty()) {
    const std::string& profile = settings_.ap_profile;
    auto names = co_await profiles(false);
    if (!names) co_return names.error();
    if (contains(*names, profile)) {
      std::vector<std::string> modify = {
          "connection", "modify", "id", profile, "connection.autoconnect", "no"};
      auto s = co_await run_ok(std::move(modify), "connection modify");
      if (!s) co_return s;
      auto active = co_await profiles(true);
      if (!active) co_return active.error();
      if (contains(*active, profile)) {
        std::vector<std::string> down = {"-w", wait_seconds(), "connection", "down", "id", profile};
        auto stopped = co_await run_ok(std::move(down), "connection down");
        if (!stopped) co_return stopped;
      }
    }
  }
  co_return store_value(kApEnabledKey, "0");
}

awaitable<core::Result<std::string>> NmcliBackend::ap_status() {
  if (settings_.ap_interface.empty()) co_return std::string("stopped");
  auto active = co_await profiles(true);
  if (!active) co_return active.error();
  co_return std::string(contains(*active, settings_.ap_profile) ? "started" : "stopped");
}

awaitable<core::Status> NmcliBackend::set_ap_mesh_password(std::string password) {
  if (auto s = wifi::check_ap_password(password); !s) co_return s;
  if (!settings_.ap_interface.empty()) {
    const std::string& profile = settings_.ap_profile;
    auto names = co_await profiles(false);
    if (!names) co_return names.error();
    if (contains(*names, profile)) {
      std::vector<std::string> modify = {"connection", "modify", "id", profile};
      add_psk(modify, password);
      auto s = co_await run_ok(std::move(modify), "connection modify");
      if (!s) co_return s;
      auto active = co_await profiles(true);
      if (!active) co_return active.error();
      if (contains(*active, profile)) {
        // Running: start it again with the new password.
        std::vector<std::string> up = {"-w", wait_seconds(), "connection", "up", "id", profile};
        auto restarted = co_await run_ok(std::move(up), "connection up");
        if (!restarted) co_return restarted;
      }
    }
  }
  co_return store_value(kApMeshPasswordKey, password);
}

// ---- factory ----

core::Result<std::unique_ptr<NetworkBackend>> make_network_backend(const NetworkSettings& settings,
                                                                   Store& store, NowFn now) {
  if (auto s = check_network_settings(settings); !s) return s.error();
  std::unique_ptr<NetworkBackend> backend;
  if (settings.backend == "networkmanager") {
    backend = std::make_unique<NmcliBackend>(settings, store, std::move(now));
  } else {
    backend = std::make_unique<NoneBackend>(store, std::move(now));
  }
  return backend;
}

// ---- the commands ----

namespace {

constexpr std::array kNetworkCommands = {
    std::string_view("ssid"),        std::string_view("rssi"),
    std::string_view("scan"),        std::string_view("set_ssid"),
    std::string_view("set_pwd"),     std::string_view("set_ssid_pwd"),
    std::string_view("wifi_status"), std::string_view("reconnect"),
    std::string_view("start_ap"),    std::string_view("stop_ap"),
    std::string_view("ap_status"),   std::string_view("set_ap_mesh_pwd")};

}  // namespace

bool is_network_command(std::string_view command) {
  return std::find(kNetworkCommands.begin(), kNetworkCommands.end(), command) !=
         kNetworkCommands.end();
}

awaitable<NetworkOutcome> run_network_command(NetworkBackend& backend, std::string serial,
                                              std::string command, std::string argument) {
  NetworkOutcome out;
  const auto reply = [&out](std::string function, std::string text) {
    out.replies.push_back(NetworkReply{std::move(function), std::move(text)});
  };
  const auto fail = [&out](const core::Error& e) { out.error = e; };

  if (command == "ssid") {
    auto r = co_await backend.ssid();
    if (!r) fail(r.error());
    reply("ssid", r ? *r : std::string{});
  } else if (command == "rssi") {
    auto r = co_await backend.rssi();
    if (!r) fail(r.error());
    reply("rssi", std::to_string(r ? *r : kRssiUnknown));
  } else if (command == "scan") {
    auto r = co_await backend.scan();
    if (!r) {
      fail(r.error());
    } else {
      for (const auto& n : *r)
        reply("scan_result", wifi::format_scan_result(n));
    }
  } else if (command == "set_ssid" || command == "set_pwd" || command == "set_ssid_pwd") {
    auto stored = backend.stored_station();
    if (!stored) {
      fail(stored.error());
      co_return out;
    }
    std::optional<wifi::Credentials> next;
    if (command == "set_ssid") {
      auto c = wifi::check_ssid(argument);
      if (!c) {
        fail(c.error());
      } else {
        next = *stored;
        next->ssid = argument;
      }
    } else if (command == "set_pwd") {
      auto c = wifi::check_password(argument);
      if (!c) {
        fail(c.error());
      } else {
        next = *stored;
        next->password = argument;
      }
    } else {
      auto update = wifi::parse_ssid_pwd(argument);
      if (!update) {
        fail(update.error());
      } else {
        next = *stored;
        if (update->ssid) next->ssid = *update->ssid;
        if (update->password) next->password = *update->password;
      }
    }
    // The same credentials again: nothing to do (as the original).
    if (next && *next != *stored) {
      auto s = co_await backend.set_station(std::move(*next));
      if (!s) fail(s.error());
    }
    stored = backend.stored_station();
    if (!stored) {
      fail(stored.error());
    } else if (command == "set_ssid") {
      reply(command, stored->ssid);
    } else if (command == "set_pwd") {
      reply(command, stored->password);
    } else {
      reply(command, wifi::format_ssid_pwd(*stored));
    }
  } else if (command == "wifi_status") {
    auto r = co_await backend.wifi_status();
    if (!r) {
      fail(r.error());
    } else {
      reply("wifi_status", *r);
    }
  } else if (command == "reconnect") {
    auto pending = backend.station_pending();
    if (!pending) {
      fail(pending.error());
    } else if (*pending) {
      auto s = co_await backend.reconnect_wifi();
      if (!s) fail(s.error());
    }
    out.reconnect_mqtt = true;
  } else if (command == "start_ap") {
    auto s = co_await backend.start_ap(serial);
    if (!s) fail(s.error());
  } else if (command == "stop_ap") {
    auto s = co_await backend.stop_ap();
    if (!s) fail(s.error());
  } else if (command == "ap_status") {
    auto r = co_await backend.ap_status();
    if (!r) {
      fail(r.error());
    } else {
      reply("ap_status", *r);
    }
  } else if (command == "set_ap_mesh_pwd") {
    auto current = backend.ap_mesh_password();
    if (!current) {
      fail(current.error());
    } else if (*current != argument) {
      auto s = co_await backend.set_ap_mesh_password(argument);
      if (!s) fail(s.error());
    }
    auto stored = backend.ap_mesh_password();
    if (!stored) {
      fail(stored.error());
    } else {
      reply("set_ap_mesh_pwd", *stored);
    }
  } else {
    fail(make_error(Errc::invalid_argument, "not a network command: " + command));
  }
  co_return out;
}

// ---- one at a time ----

NetworkCommands::NetworkCommands(asio::any_io_executor executor, NetworkBackend& backend)
    : executor_(std::move(executor)), backend_(backend) {}

void NetworkCommands::submit(std::string serial, std::string command, std::string argument,
                             Done done) {
  state_->jobs.push_back(
      Job{std::move(serial), std::move(command), std::move(argument), std::move(done)});
  if (state_->running) return;
  state_->running = true;
  asio::co_spawn(executor_, work(state_, backend_), asio::detached);
}

awaitable<void> NetworkCommands::work(std::shared_ptr<State> state, NetworkBackend& backend) {
  // co_spawn may start a coroutine inline; `done` must not run inside submit().
  auto executor = co_await asio::this_coro::executor;
  co_await asio::post(executor, asio::use_awaitable);
  while (!state->jobs.empty()) {
    Job job = std::move(state->jobs.front());
    state->jobs.pop_front();
    state->in_flight = true;
    NetworkOutcome outcome;
    try {
      outcome = co_await run_network_command(backend, std::move(job.serial), job.command,
                                             std::move(job.argument));
    } catch (const std::exception& e) {
      outcome = NetworkOutcome{};
      outcome.error = make_error(Errc::network_failure, job.command + ": " + e.what());
    }
    state->in_flight = false;
    if (job.done) job.done(std::move(outcome));
  }
  state->running = false;
}

}  // namespace ml::agent
