// `meterlogger sim fleet`: N virtual MeterLogger devices in one process, to load-test a broker and
// the server with as many meters as a town has (docs/emulators.md, "A fleet of devices").
//
// What it guarantees:
// - Each device is a device as the server sees one: its own MQTT connection under its serial as
//   client id (clean session off), a last will on /offline/v1/<serial>, a subscription to
//   /config/v2/<serial>/#, version/uptime/reset_reason/status after every connect, a sealed v2
//   sample every interval with the values of a heat meter (fleet_device.hpp), and the agent's
//   answers to every command.
// - Publishes are QoS 1 and kept until the broker acknowledges them: a message in flight when a
//   connection ends is sent again (DUP) after the reconnect; messages made while disconnected
//   wait in the device's outbox (bounded, the oldest dropped first and counted), as the agent's.
// - The broker is not flooded: connections start at --connect-rate a second with a bounded number
//   under way, lost ones come back with the agent's backoff (1 s doubling to 60 s, jittered), and
//   each device has at most --inflight publishes unacknowledged.
// - Memory: the whole fleet runs on one thread and one asio io_context, with one timer (the
//   TimerWheel) for every device, a read buffer shared by all connections (a device waits for
//   readability, then reads into it), and nothing kept per device while it idles but its state
//   (about 1 KiB; `stats` reports the measured bytes per device). libmosquitto's client (a
//   thread per connection) would not fit a hundred thousand; the packets are core/mqtt/packet.hpp.
// - Counted and reported: every 10 s a status line and the --stats JSON; the --publish-log
//   has one line per published sample (serial, topic time, wall-clock ms of its first publish),
//   so a benchmark can join it with the server's commit times.
//
// Threading: everything on the io_context's one thread.
#pragma once

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sim/fleet_keys.hpp"
#include "sim/fleet_plan.hpp"

namespace ml::sim {

// What an outage does to the devices (docs/emulators.md, "Outages").
enum class OutageMode : std::uint8_t {
  disconnect,  // every connection drops (the broker publishes the wills); the devices keep
               // sampling into their outboxes and reconnect when it ends, at the connect rate
  hold,        // the connections stay; nothing is published until it ends, then all at once
};

struct FleetOptions {
  std::vector<FleetMeter> meters;  // the devices, in order (index = position)
  std::uint64_t seed = 1;
  FleetShares shares;
  std::int64_t interval_s = 60;
  double time_scale = 1;          // simulated seconds of the installations per wall second
  std::int32_t seasons_pm = 600;  // installation.hpp
  std::string host = "127.0.0.1";
  int port = 1883;
  std::optional<std::string> username;
  std::optional<std::string> password;
  std::vector<std::string> source_addresses;  // bound round-robin; empty: the kernel's choice
  double connect_rate = 2000;                 // new connections a second
  std::size_t max_connecting = 0;             // under way at once; 0: max(64, connect_rate)
  std::int64_t keepalive_s = 60;
  std::size_t inflight = 10;          // unacknowledged publishes per device
  std::size_t outbox = 1000;          // messages kept per device while it cannot publish
  std::optional<double> outage_at_s;  // an outage this long after the start ...
  double outage_for_s = 0;            // ... lasting this long
  OutageMode outage_mode = OutageMode::disconnect;
  std::string stats_file;   // JSON, rewritten every status period and at the end
  std::string publish_log;  // CSV serial,time,published_ms
  double publish_log_share = 1;
  double duration_s = 0;  // stop by itself after this long; 0: on stop() only
  std::chrono::milliseconds status_every{10000};
  std::function<void(const std::string&)> log;  // status lines and state changes
  bool verbose = false;  // also a line for every device's lost connection or failed attempt
  std::string version;   // the devices' `version` reply
};

class Fleet {
 public:
  Fleet(asio::io_context& io, FleetOptions options);
  ~Fleet();
  Fleet(const Fleet&) = delete;
  Fleet& operator=(const Fleet&) = delete;

  // Resolves the broker, raises the open-files limit, opens the files, builds the devices and
  // starts connecting. Errors (nothing started): the broker's address, a source address, a
  // limit too low for the devices (with what to do), a file that cannot be written.
  core::Status start();
  // A clean end: DISCONNECT on every connection (no wills), the last stats written; io.run()
  // then returns. Also called by --duration.
  void stop();
  bool stopped() const;
  // Starts an outage, or ends the one under way (SIGUSR1).
  void toggle_outage();

  nlohmann::ordered_json stats_json() const;
  std::string status_line() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// "127.0.0.1,127.0.0.2" or ranges "127.0.0.1-127.0.0.8" (IPv4, last address included), mixed
// freely: the addresses in order. Errors name the bad item; at most 4096 addresses.
core::Result<std::vector<std::string>> expand_source_addresses(std::string_view text);

// What the machine allows: open files (soft and hard) and local ports for one destination.
struct FleetLimits {
  std::uint64_t open_files = 0;       // the soft limit (after raising it)
  std::uint64_t open_files_hard = 0;  // the hard limit
  std::uint64_t local_ports = 28232;  // ip_local_port_range's size
};
// Spare descriptors the process needs besides its connections (files, the resolver, stdio).
inline constexpr std::uint64_t kFleetSpareFiles = 64;
// Whether `connections` fit: invalid_argument saying which limit and what to do when they do
// not (raise the hard open-files limit; more --source-addresses). Pure.
core::Status check_fleet_limits(std::uint64_t connections, std::size_t source_addresses,
                                const FleetLimits& limits);
// Raises RLIMIT_NOFILE's soft limit to its hard limit, and the hard limit itself to what
// `connections` need when the process may (root); then reads the port range.
FleetLimits raise_fleet_limits(std::uint64_t connections);

}  // namespace ml::sim
