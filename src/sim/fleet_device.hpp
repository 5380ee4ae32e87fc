// One virtual MeterLogger device of `meterlogger sim fleet`, without its connection: the meter
// behind it (an installation read through the KMP meter model, as `sim kmp` and `sim backfill`
// read it), its valve, and its answers to commands.
//
// Contract: it answers as this project's agent does, because it runs the agent's own rules: the
// checks of a received command (agent::check_command_message: sizes, topic, serial, envelope, the
// command window of the device's clock), a replay memory (the same sealed message is accepted
// once, as the agent's store remembers it), the valve (core/valve/rules.hpp: open_until,
// open_until_delta, auto-close), the reply texts (agent/system_info.hpp, the cron reply, the
// Wi-Fi rules of a device without a radio, as the agent's network backend "none"), and which
// commands a KMP build obeys (meter::obeys). The table of handlers (fleet_device.cpp) has one row
// per command; a test checks that every command of core::topic::kCommands the device obeys over
// MQTT has one. The meter's registers only grow; a closed valve stops the flow, so the energy
// stops with it.
//
// Pure: times are passed in (wall clock and simulated time), nothing is sealed here (sealing needs
// fresh IVs: the runtime, fleet.hpp, seals what this returns with seal_keys()).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "core/envelope/envelope.hpp"
#include "core/valve/rules.hpp"
#include "sim/fleet_plan.hpp"
#include "sim/installation.hpp"

namespace ml::sim {

// A message for the runtime to seal and publish on /<function>/v2/<serial>/<time>.
struct FleetMessage {
  std::string function;
  std::int64_t time = 0;  // the device's clock, unix seconds
  std::string text;
};

struct FleetDeviceConfig {
  std::string serial;               // canonical (core::topic::Serial)
  core::envelope::MasterKey key{};  // the key the device has: the meter's, or a wrong one
  FleetClass cls = FleetClass::normal;
  std::int64_t skew_s = 0;  // its clock: wall clock + skew_s
  InstallationConfig installation;
  // The `version` reply (agent::version_text of a KMP heat meter), one text for the whole fleet.
  std::shared_ptr<const std::string> version;
};

// What the runtime does after a command besides publishing the replies.
enum class FleetAction : std::uint8_t {
  none,
  reconnect,  // `reconnect`: a new MQTT connection (a clean DISCONNECT first)
  restart,    // `restart`: the connection drops (the will), and the device comes back as after a
              // restart (uptime from 0, reset_reason 4)
};

struct FleetCommandOutcome {
  std::string rejected;  // why the message was refused (the agent's reason names), or ""
  std::string command;   // the accepted command
  bool ignored = false;  // accepted, but not a command this build obeys (the agent ignores it)
  std::vector<FleetMessage> replies;
  FleetAction action = FleetAction::none;
};

// The `heap` every sample and `mem` report: a typical free heap of the original firmware.
inline constexpr std::uint64_t kFleetHeap = 21376;

class FleetDevice {
 public:
  // The device boots at wall time boot_ms; its valve starts open with a limit far above the
  // reading (prepaid for years), so it heats until the server says otherwise.
  FleetDevice(FleetDeviceConfig config, std::int64_t boot_ms);
  ~FleetDevice();
  FleetDevice(FleetDevice&&) noexcept;
  FleetDevice& operator=(FleetDevice&&) noexcept;

  const std::string& serial() const { return serial_; }
  FleetClass cls() const { return cls_; }
  std::int64_t skew_s() const { return skew_s_; }
  // The keys everything the device publishes is sealed with (changed by set_key).
  const core::envelope::Keys& seal_keys() const { return keys_; }
  const core::valve::ValveState& valve() const { return valve_; }
  // The last reading's e1 in kWh, when there was one.
  const std::optional<core::Decimal>& metered() const { return metered_; }
  const Installation& installation() const { return installation_; }
  // The device's clock at wall time wall_ms, unix seconds.
  std::int64_t clock(std::int64_t wall_ms) const;

  // What the agent publishes after every accepted connection: version, uptime, reset_reason,
  // status.
  std::vector<FleetMessage> on_connect(std::int64_t wall_ms) const;

  // A reading at wall time wall_ms, the installation advanced to sim_ms: the sample (none from a
  // silent device: its meter does not answer), and `status` close when the reading reached the
  // limit of the open valve (auto-close, which closes the flow too).
  std::vector<FleetMessage> sample(std::int64_t wall_ms, std::int64_t sim_ms);

  // A message received on the command subscription at wall time wall_ms (sim_ms: the
  // installation's time, for a valve that changes the flow).
  FleetCommandOutcome on_command(std::string_view topic, core::ByteView payload,
                                 std::int64_t wall_ms, std::int64_t sim_ms);

  // The connection ended (for `disconnect_count` and `network_quality`).
  void count_disconnect() { ++disconnects_; }
  // The device came back from a `restart` at wall time wall_ms.
  void restarted(std::int64_t wall_ms);

  // The commands with a handler; handles(name) for one.
  static bool handles(std::string_view command);
  static std::vector<std::string_view> handled_commands();

 private:
  struct Extras;  // what few devices need (replay memory, cron, Wi-Fi, a key change): on demand
  struct Command {
    const std::string& name;
    const std::string& argument;
    std::int64_t time;  // the replies' (the device's clock)
    std::int64_t wall_ms;
    std::int64_t sim_ms;
  };
  using Handler = void (FleetDevice::*)(const Command&, FleetCommandOutcome&);
  struct HandlerRow {
    std::string_view name;
    Handler handle;
  };
  static const HandlerRow* find_handler(std::string_view command);
  static const HandlerRow kHandlers[];

  Extras& extras();
  // Remembers an accepted message by its MAC: false when it was accepted before.
  bool remember(const core::envelope::Mac& mac, std::int64_t topic_time, std::int64_t now);
  // The valve's state changes: the installation is advanced to sim_ms first, then the flow
  // follows the valve (none while closed).
  void set_valve(const core::valve::ValveState& next, std::int64_t sim_ms);

  static void reply(const Command& c, FleetCommandOutcome& out, std::string text);
  void on_ping(const Command& c, FleetCommandOutcome& out);
  void on_version(const Command& c, FleetCommandOutcome& out);
  void on_uptime(const Command& c, FleetCommandOutcome& out);
  void on_vdd(const Command& c, FleetCommandOutcome& out);
  void on_mem(const Command& c, FleetCommandOutcome& out);
  void on_reset_reason(const Command& c, FleetCommandOutcome& out);
  void on_chip_id(const Command& c, FleetCommandOutcome& out);
  void on_flash_id(const Command& c, FleetCommandOutcome& out);
  void on_flash_size(const Command& c, FleetCommandOutcome& out);
  void on_network_quality(const Command& c, FleetCommandOutcome& out);
  void on_disconnect_count(const Command& c, FleetCommandOutcome& out);
  void on_stack_trace(const Command& c, FleetCommandOutcome& out);
  void on_status(const Command& c, FleetCommandOutcome& out);
  void on_open_close(const Command& c, FleetCommandOutcome& out);
  void on_open_until(const Command& c, FleetCommandOutcome& out);
  void on_set_cron(const Command& c, FleetCommandOutcome& out);
  void on_cron(const Command& c, FleetCommandOutcome& out);
  void on_clear_cron(const Command& c, FleetCommandOutcome& out);
  void on_restart(const Command& c, FleetCommandOutcome& out);
  void on_reconnect(const Command& c, FleetCommandOutcome& out);
  void on_wifi(const Command& c, FleetCommandOutcome& out);  // ssid, rssi, scan, set_*, ...
  void on_access_point(const Command& c, FleetCommandOutcome& out);
  void on_resend(const Command& c, FleetCommandOutcome& out);
  void on_set_key(const Command& c, FleetCommandOutcome& out);

  std::string serial_;
  core::envelope::MasterKey master_{};
  core::envelope::Keys keys_{};
  FleetClass cls_;
  std::int64_t skew_s_;
  std::int64_t boot_ms_;
  bool restarted_ = false;  // reset_reason 4 instead of 0
  std::uint32_t disconnects_ = 0;
  Installation installation_;
  core::valve::ValveState valve_;
  std::optional<core::Decimal> metered_;
  std::shared_ptr<const std::string> version_;
  std::unique_ptr<Extras> extras_;
};

}  // namespace ml::sim
