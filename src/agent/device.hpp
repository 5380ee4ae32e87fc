// One logical MeterLogger device: a meter (KMP, EN 61107 or pulse), its MQTT connection under
// the meter's serial, and the command channel. Each interval it reads the meter, builds the v2
// sample, seals it and writes it to the durable outbox before anything is published; a message
// leaves the outbox only when the broker has acknowledged it. Commands are verified, checked
// against the clock window and the replay memory, and answered through the outbox too.
#pragma once

#include <array>
#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "agent/config.hpp"
#include "agent/cron_runner.hpp"
#include "agent/metrics.hpp"
#include "agent/network.hpp"
#include "agent/pulse_counter.hpp"
#include "agent/pulse_input.hpp"
#include "agent/store.hpp"
#include "agent/valve_controller.hpp"
#include "core/cron/cron.hpp"
#include "core/decimal.hpp"
#include "core/envelope/envelope.hpp"
#include "core/homeassistant/discovery.hpp"
#include "core/pulse/pulse.hpp"
#include "meter/drivers.hpp"
#include "meter/link_stats.hpp"
#include "platform/log/summary_log.hpp"
#include "platform/mqtt/client.hpp"
#include "platform/serial/link.hpp"

namespace ml::agent {

// What every device shares: the store, the agent-wide settings, the agent's start.
struct DeviceContext {
  Store& store;
  const AgentConfig& config;
  std::chrono::steady_clock::time_point started;      // for `uptime`
  RunEnd previous_run = RunEnd::first_start;          // for `reset_reason`
  std::function<void()> restart;                      // the `restart` command
  std::shared_ptr<const core::cron::ZoneRules> zone;  // local time for cron (config time_zone)
  NetworkCommands* network = nullptr;  // the Wi-Fi commands, one at a time for all devices
  // Wall clock in unix seconds; replaceable in tests.
  std::function<std::int64_t()> now = [] {
    return static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
  };
};

// Counters a test or the setup page can read.
struct DeviceCounters {
  std::uint64_t samples_queued = 0;
  std::uint64_t reads_failed = 0;
  std::uint64_t reads_skipped_clock = 0;  // no sample while the clock is not plausible
  std::uint64_t published = 0;            // outbox messages acknowledged by the broker
  std::uint64_t outbox_dropped = 0;
  std::uint64_t commands_accepted = 0;
  std::map<std::string, std::uint64_t> commands_rejected;  // by reason
  metrics::ReadCounts reads{};  // reads by result (metrics::kReadResults), for GET /metrics
};

// Earliest wall-clock time a sample may carry: a clock before it is not set (2024-01-01).
inline constexpr std::int64_t kPlausibleTime = 1704067200;

class Device : public std::enable_shared_from_this<Device> {
 public:
  Device(asio::any_io_executor executor, MeterConfig meter, DeviceContext& context);
  ~Device();

  void start();
  // Stops reading and publishing, saves the pulse count, disconnects cleanly (no last will).
  void stop();

  const MeterConfig& meter() const { return meter_; }
  // The meter's driver: what this build can do (valve, cron, pulses) and how it reads.
  const meter::Driver& driver() const { return driver_; }
  // "" until the serial is known (configured, remembered, or read from the meter).
  const std::string& serial() const { return serial_; }
  const DeviceCounters& counters() const { return counters_; }
  const meter::LinkStats& link_stats() const { return link_stats_; }
  bool mqtt_connected() const { return mqtt_ && mqtt_->connected(); }
  // The MQTT client's counters; nullopt while there is no client.
  std::optional<platform::MqttStats> mqtt_stats() const {
    if (!mqtt_) return std::nullopt;
    return mqtt_->stats();
  }
  // The valve's stored state and limit (drivers with a valve; the default record otherwise).
  const ValveRecord& valve() const;

  // The last successful reading (its time is the sample's), for the setup page.
  const std::optional<core::sample::Reading>& last_reading() const { return last_reading_; }
  // The cron jobs (drivers with cron; none otherwise).
  const std::vector<core::cron::Job>& cron_jobs() const;
  // Pulse meters: the reading at zero pulses and the impulses per kWh (per m3 for water), as
  // stored by set_pulse_calibration() or else from the configuration.
  std::string pulse_base() const;
  std::uint32_t pulse_per_unit() const;
  // The setup page's pulse settings: stores them and starts the count again at 0 (as the
  // original's setup page does). Errors name the problem; nothing changes then.
  core::Status set_pulse_calibration(const core::Decimal& base, std::uint32_t per_unit);
  // A new MQTT connection (the `reconnect` command; the setup page's broker change).
  void reconnect_mqtt();

  // A command from a cron job (docs/agent.md, Cron): open, close, off, test (the valve); the others
  // are the caller's. Publishes nothing.
  void cron_valve_command(const std::string& command);

  // The commands this agent carries out over MQTT: one handler each in device.cpp's table
  // (kHandlers), every name a command of core::topic::kCommands the device obeys over MQTT. A
  // command without a handler, or of a feature this meter's build lacks (meter::obeys), is
  // ignored, as the original ignores unknown commands.
  static bool handles(std::string_view command);
  static std::vector<std::string_view> handled_commands();
  // The same for the commands a cron job runs (kCronHandlers): every command of
  // core::topic::kCommands that cron may run. They publish nothing.
  static bool runs_from_cron(std::string_view command);
  static std::vector<std::string_view> cron_handled_commands();

 private:
  // An accepted command: its name and argument, and the time its replies carry.
  struct Command {
    const std::string& name;
    const std::string& argument;
    std::int64_t time;
  };
  using Handler = void (Device::*)(const Command&);
  struct HandlerRow {
    std::string_view name;
    Handler handle;
  };
  static const std::array<HandlerRow, 36> kHandlers;
  static const std::array<HandlerRow, 9> kCronHandlers;
  static const HandlerRow* find_handler(std::span<const HandlerRow> table,
                                        std::string_view command);

  asio::awaitable<void> sample_loop();
  asio::awaitable<void> sample_once();
  asio::awaitable<core::Result<core::sample::Reading>> read_meter();

  void serial_known(const std::string& serial);
  void start_mqtt();
  void on_connected();
  // [homeassistant] (docs/homeassistant.md): a second client to the local broker, never in the
  // way of the encrypted path; failures are only logged (the client backs off by itself).
  void start_homeassistant();
  void announce_homeassistant();
  void publish_homeassistant(const core::sample::Reading& reading);
  void ha_publish(const core::homeassistant::Message& m);
  void on_message(const platform::MqttMessage& message);
  void reject(const std::string& reason, const std::string& topic);
  void handle_command(const std::string& command, const std::string& argument);
  // The handlers (kHandlers): each replies under the command's name (reply()) or publishes
  // what its part returns.
  void reply(const Command& c, const std::string& text);
  void ignored(const Command& c);
  void on_ping(const Command& c);
  void on_version(const Command& c);  // version and crypto
  void on_uptime(const Command& c);
  void on_vdd(const Command& c);
  void on_mem(const Command& c);
  void on_reset_reason(const Command& c);
  void on_chip_id(const Command& c);
  void on_flash_id(const Command& c);
  void on_flash_size(const Command& c);
  void on_network_quality(const Command& c);
  void on_disconnect_count(const Command& c);
  void on_stack_trace(const Command& c);
  void on_status(const Command& c);
  void on_open_close(const Command& c);
  void on_open_until(const Command& c);  // open_until and open_until_delta
  void on_set_cron(const Command& c);
  void on_cron(const Command& c);
  void on_clear_cron(const Command& c);
  void on_restart(const Command& c);
  void on_network(const Command& c);  // the network commands (is_network_command)
  // resend FROM TO: the kept samples of that range go to the outbox again, sealed anew under
  // their original times; the reply is how many, or "error: ..." (docs/agent.md, "Filling gaps").
  void on_resend(const Command& c);
  // set_key NEW: the new key is stored durably with the previous one, used for everything from
  // now on, and the reply "ok" is sealed with it; the previous key opens commands for a grace
  // period (docs/security.md, "Changing a key").
  void on_set_key(const Command& c);
  // The key in use for this serial: the configured one, or a change stored by set_key.
  void load_key();
  // A cron job's command (kCronHandlers): the valve's, clear_cron, the network commands.
  void on_cron_valve(const Command& c);
  void on_cron_clear(const Command& c);
  void on_cron_network(const Command& c);

  // Keeps a sample's text for `resend` ([outbox] keep_sent_days).
  void keep_sample(std::int64_t time, const std::string& text);
  // Seals text for /<function>/v2/<serial>/<time> and writes it to the outbox.
  void queue_message(const std::string& function, const std::string& text, std::int64_t time);
  void pump();

  // The valve: a new reading (the limit may close it); the status follows when the clock is set.
  void auto_close(const core::sample::Reading& reading, bool clock_set);

  // Cron (heat meters): the runner evaluates the jobs at each minute of the wall clock; this
  // loop only wakes it. run_cron_job carries out a due job.
  asio::awaitable<void> cron_loop();
  void run_cron_job(const core::cron::Job& job);
  // The network commands (ssid, scan, set_ssid_pwd, reconnect, start_ap, ...): false when
  // `command` is not one of them. From cron (reply = false) nothing is published.
  bool network_command(const std::string& command, const std::string& argument, bool reply);

  // The meter is read from a pulse input (no serial link).
  bool pulses() const { return driver_.link == meter::Link::pulse_input; }
  void log_read_state(bool ok, const std::string& detail);
  std::int64_t now() const { return context_.now(); }

  asio::any_io_executor executor_;
  MeterConfig meter_;
  const meter::Driver& driver_;
  DeviceContext& context_;
  core::envelope::MasterKey master_{};  // the key in use
  core::envelope::Keys keys_{};
  std::optional<core::envelope::Keys>
      previous_keys_;  // accepted for commands until previous_until_
  std::int64_t previous_until_ = 0;
  std::string serial_;
  bool running_ = false;

  std::unique_ptr<platform::ByteLink> link_;
  meter::LinkStats link_stats_;
  asio::steady_timer sample_timer_;
  std::optional<bool> last_read_ok_;  // for logging once per change
  bool clock_warned_ = false;
  // The second of the last sample queued: a sample's topic carries its second, and two in one
  // second (a 1 s interval with a late tick) would be one message to the server; the later is
  // not taken.
  std::int64_t last_sample_second_ = 0;

  std::unique_ptr<platform::MqttClient> mqtt_;
  std::unique_ptr<platform::MqttClient> ha_mqtt_;
  core::homeassistant::StateTracker ha_states_;
  bool ha_announced_ = false;  // discovery sent on this connection
  std::string ha_availability_;
  std::int64_t sent_up_to_ = 0;  // outbox id of the last message handed to the client
  std::size_t in_flight_ = 0;
  std::deque<std::uint64_t> recent_rtt_us_;  // acknowledgement round trips, last 60
  std::deque<bool> recent_delivered_;        // delivered or failed, last 60

  // The valve (drivers with a valve).
  std::optional<ValveController> valve_;

  // Cron (drivers with cron).
  std::optional<CronRunner> cron_;
  asio::steady_timer cron_timer_;

  // Pulse meters: the input delivers edges to the counter; the timer saves the count.
  std::unique_ptr<PulseInput> pulse_input_;
  std::optional<PulseCounter> pulses_;
  asio::steady_timer pulse_save_timer_;
  // Rejected commands: one line per reason a minute and a summary of the rest (a flood of
  // forged commands must not fill the disk); log_timer_ writes the summaries.
  platform::log::SummaryLog rejections_log_{platform::log::Level::warning};
  asio::steady_timer log_timer_;

  DeviceCounters counters_;
  std::optional<core::sample::Reading> last_reading_;
  std::optional<std::chrono::steady_clock::time_point> last_resend_;
};

}  // namespace ml::agent
