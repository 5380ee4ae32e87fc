// A virtual device of the fleet (fleet_device.hpp).
#include "sim/fleet_device.hpp"

#include <algorithm>
#include <array>

#include "agent/command_check.hpp"
#include "agent/cron_runner.hpp"
#include "agent/network.hpp"
#include "agent/system_info.hpp"
#include "core/cron/cron.hpp"
#include "core/gaps/gaps.hpp"
#include "core/keychange/key_change.hpp"
#include "core/sample/sample.hpp"
#include "core/topic/names.hpp"
#include "core/topic/topic.hpp"
#include "core/valve/limit.hpp"
#include "core/wifi/wifi.hpp"
#include "meter/drivers.hpp"
#include "sim/backfill.hpp"
#include "sim/kmp_meter.hpp"
#include "sim/rng.hpp"

namespace ml::sim {
namespace {

namespace envelope = core::envelope;

// The meter model every device of the fleet reads: a MULTICAL 601 in kWh. Its registers depend
// on the installation state only, so one serves them all.
const KmpMeter& fleet_meter() {
  static const KmpMeter meter(KmpMeterConfig{KmpModel::mc601, 0, EnergyUnit::kwh, 0});
  return meter;
}

const meter::Driver& kmp_driver() {
  return meter::driver_of(core::sample::MeterKind::kmp);
}

// A valve that starts open, prepaid for years: this many kWh above the starting reading.
constexpr std::uint64_t kStartCreditKwh = 1'000'000;

// What the agent's network backend "none" answers (agent/network.hpp): no radio.
constexpr std::string_view kDefaultMeshPassword = "w1reless";

// Whole seconds of a time in ms, rounded down (also before 1970).
std::int64_t seconds_of(std::int64_t ms) {
  return ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000);
}

std::string hex6(std::uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "0x";
  for (int shift = 20; shift >= 0; shift -= 4)
    out.push_back(kDigits[(v >> shift) & 0xF]);
  return out;
}

std::uint64_t serial_hash(const std::string& serial) {
  std::uint64_t h = 0;
  for (char c : serial)
    h = mix64(h ^ static_cast<unsigned char>(c));
  return h;
}

}  // namespace

// What few devices need, allocated on the first command that needs it.
struct FleetDevice::Extras {
  struct Remembered {
    std::array<std::uint8_t, 16> mac;  // the first half of the MAC: unique per sealed message
    std::int64_t topic_time;
  };
  std::vector<Remembered> replay;
  std::size_t cron_jobs = 0;
  core::wifi::Credentials station;
  bool ap_enabled = false;
  std::string mesh_password{kDefaultMeshPassword};
  std::optional<envelope::Keys> previous;  // accepted for commands until previous_until
  std::int64_t previous_until = 0;
};

FleetDevice::FleetDevice(FleetDeviceConfig c, std::int64_t boot_ms)
    : serial_(std::move(c.serial)),
      master_(c.key),
      cls_(c.cls),
      skew_s_(c.skew_s),
      boot_ms_(boot_ms),
      installation_(c.installation),
      version_(std::move(c.version)) {
  if (auto keys = envelope::derive_keys(master_)) keys_ = *keys;
  valve_.open = true;
  valve_.limit = core::Decimal{false, c.installation.energy_mwh / 1'000'000 + kStartCreditKwh, 0};
}

FleetDevice::~FleetDevice() = default;
FleetDevice::FleetDevice(FleetDevice&&) noexcept = default;
FleetDevice& FleetDevice::operator=(FleetDevice&&) noexcept = default;

std::int64_t FleetDevice::clock(std::int64_t wall_ms) const {
  return seconds_of(wall_ms) + skew_s_;
}

FleetDevice::Extras& FleetDevice::extras() {
  if (!extras_) extras_ = std::make_unique<Extras>();
  return *extras_;
}

void FleetDevice::restarted(std::int64_t wall_ms) {
  boot_ms_ = wall_ms;
  restarted_ = true;
}

std::vector<FleetMessage> FleetDevice::on_connect(std::int64_t wall_ms) const {
  const std::int64_t t = clock(wall_ms);
  return {
      {"version", t, version_ ? *version_ : std::string()},
      {"uptime", t, std::to_string(std::max<std::int64_t>(0, (wall_ms - boot_ms_) / 1000))},
      {"reset_reason", t,
       agent::reset_reason_text(restarted_ ? agent::RunEnd::restart : agent::RunEnd::first_start)},
      {"status", t, std::string(core::valve::state_text(valve_.open))},
  };
}

std::vector<FleetMessage> FleetDevice::sample(std::int64_t wall_ms, std::int64_t sim_ms) {
  std::vector<FleetMessage> out;
  if (cls_ == FleetClass::silent || cls_ == FleetClass::dead) return out;
  installation_.advance_to(sim_ms);
  auto reading = kmp_sample_reading(
      fleet_meter(), HeatState{sim_ms, installation_.instant_at(sim_ms), installation_.totals()});
  const std::int64_t t = clock(wall_ms);
  reading.serial = serial_;
  reading.time = t;
  reading.heap = kFleetHeap;
  if (auto text = core::sample::format_sample(reading)) {
    out.push_back({"sample", t, std::move(*text)});
  }
  // As the agent after every reading: remember the metered value, close at the limit.
  if (auto m = core::valve::metered(reading)) {
    metered_ = *m;
    if (core::valve::closes(valve_, *m)) {
      set_valve(core::valve::ValveState{false, valve_.limit}, sim_ms);
      out.push_back({"status", t, std::string(core::valve::state_text(false))});
    }
  }
  return out;
}

void FleetDevice::set_valve(const core::valve::ValveState& next, std::int64_t sim_ms) {
  installation_.advance_to(sim_ms);
  valve_ = next;
  Overrides o;
  if (!valve_.open) o.flow_lph = 0;  // closed: no flow, so no power and no energy
  installation_.set_overrides(o);
}

bool FleetDevice::remember(const envelope::Mac& mac, std::int64_t topic_time, std::int64_t now) {
  auto& replay = extras().replay;
  const auto window = static_cast<std::int64_t>(core::topic::kReplayWindowSeconds);
  // Older than the window: the time check refuses those anyway.
  std::erase_if(replay, [&](const Extras::Remembered& r) { return r.topic_time < now - window; });
  Extras::Remembered entry{};
  std::copy_n(mac.begin(), entry.mac.size(), entry.mac.begin());
  entry.topic_time = topic_time;
  for (const auto& r : replay) {
    if (r.mac == entry.mac) return false;
  }
  replay.push_back(entry);
  return true;
}

FleetCommandOutcome FleetDevice::on_command(std::string_view topic, core::ByteView payload,
                                            std::int64_t wall_ms, std::int64_t sim_ms) {
  FleetCommandOutcome out;
  const std::int64_t now = clock(wall_ms);
  const envelope::Keys* previous = nullptr;
  if (extras_ && extras_->previous && now < extras_->previous_until) {
    previous = &*extras_->previous;
  }
  const auto window = static_cast<std::int64_t>(core::topic::kReplayWindowSeconds);
  auto checked =
      agent::check_command_message({serial_, keys_, window, previous}, topic, payload, now);
  if (!checked.verdict.accepted) {
    out.rejected = std::move(checked.verdict.rejected);
    return out;
  }
  if (!remember(checked.mac, checked.topic_time, now)) {
    out.rejected = "replay";
    return out;
  }
  const agent::AcceptedCommand& accepted = *checked.verdict.accepted;
  out.command = accepted.name;
  // Only the commands the firmware obeys, and of those only the ones this build has: anything
  // else is ignored, as the agent and the original do.
  const HandlerRow* row =
      meter::obeys(kmp_driver(), accepted.name) ? find_handler(accepted.name) : nullptr;
  if (!row) {
    out.ignored = true;
    return out;
  }
  const Command c{accepted.name, accepted.argument, now, wall_ms, sim_ms};
  (this->*row->handle)(c, out);
  return out;
}

// One row a command, as the agent's table (agent/device.cpp).
const FleetDevice::HandlerRow FleetDevice::kHandlers[] = {
    {"ping", &FleetDevice::on_ping},
    {"version", &FleetDevice::on_version},
    {"crypto", &FleetDevice::on_version},
    {"uptime", &FleetDevice::on_uptime},
    {"vdd", &FleetDevice::on_vdd},
    {"rssi", &FleetDevice::on_wifi},
    {"ssid", &FleetDevice::on_wifi},
    {"scan", &FleetDevice::on_wifi},
    {"set_ssid", &FleetDevice::on_wifi},
    {"set_pwd", &FleetDevice::on_wifi},
    {"set_ssid_pwd", &FleetDevice::on_wifi},
    {"reconnect", &FleetDevice::on_reconnect},
    {"wifi_status", &FleetDevice::on_wifi},
    {"ap_status", &FleetDevice::on_access_point},
    {"start_ap", &FleetDevice::on_access_point},
    {"stop_ap", &FleetDevice::on_access_point},
    {"mem", &FleetDevice::on_mem},
    {"reset_reason", &FleetDevice::on_reset_reason},
    {"set_cron", &FleetDevice::on_set_cron},
    {"cron", &FleetDevice::on_cron},
    {"clear_cron", &FleetDevice::on_clear_cron},
    {"open", &FleetDevice::on_open_close},
    {"close", &FleetDevice::on_open_close},
    {"status", &FleetDevice::on_status},
    {"open_until", &FleetDevice::on_open_until},
    {"open_until_delta", &FleetDevice::on_open_until},
    {"set_ap_mesh_pwd", &FleetDevice::on_access_point},
    {"network_quality", &FleetDevice::on_network_quality},
    {"disconnect_count", &FleetDevice::on_disconnect_count},
    {"chip_id", &FleetDevice::on_chip_id},
    {"flash_id", &FleetDevice::on_flash_id},
    {"flash_size", &FleetDevice::on_flash_size},
    {"restart", &FleetDevice::on_restart},
    {"stack_trace", &FleetDevice::on_stack_trace},
    {"resend", &FleetDevice::on_resend},
    {"set_key", &FleetDevice::on_set_key},
};

const FleetDevice::HandlerRow* FleetDevice::find_handler(std::string_view command) {
  for (const HandlerRow& row : kHandlers) {
    if (row.name == command) return &row;
  }
  return nullptr;
}

bool FleetDevice::handles(std::string_view command) {
  return find_handler(command) != nullptr;
}

std::vector<std::string_view> FleetDevice::handled_commands() {
  std::vector<std::string_view> names;
  for (const HandlerRow& row : kHandlers)
    names.push_back(row.name);
  return names;
}

void FleetDevice::reply(const Command& c, FleetCommandOutcome& out, std::string text) {
  out.replies.push_back({c.name, c.time, std::move(text)});
}

void FleetDevice::on_ping(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, "");
}

void FleetDevice::on_version(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, version_ ? *version_ : std::string());
}

void FleetDevice::on_uptime(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, std::to_string(std::max<std::int64_t>(0, (c.wall_ms - boot_ms_) / 1000)));
}

void FleetDevice::on_vdd(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, agent::vdd_text(""));  // no voltage sensor, as an agent without vdd_file
}

void FleetDevice::on_mem(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, "heap=" + std::to_string(kFleetHeap));
}

void FleetDevice::on_reset_reason(const Command& c, FleetCommandOutcome& out) {
  reply(c, out,
        agent::reset_reason_text(restarted_ ? agent::RunEnd::restart : agent::RunEnd::first_start));
}

void FleetDevice::on_chip_id(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, hex6(serial_hash(serial_)));
}

void FleetDevice::on_flash_id(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, hex6(serial_hash(serial_) >> 24));
}

void FleetDevice::on_flash_size(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, "1024 kB");
}

void FleetDevice::on_network_quality(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, agent::network_quality_text({}, {}, disconnects_));
}

void FleetDevice::on_disconnect_count(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, std::to_string(disconnects_));
}

void FleetDevice::on_stack_trace(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, "enabled");
}

void FleetDevice::on_status(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, std::string(core::valve::state_text(valve_.open)));
}

void FleetDevice::on_open_close(const Command& c, FleetCommandOutcome&) {
  set_valve(core::valve::ValveState{c.name == "open", valve_.limit}, c.sim_ms);
}

void FleetDevice::on_open_until(const Command& c, FleetCommandOutcome& out) {
  const auto o =
      core::valve::open_until(valve_, c.argument, c.name == "open_until_delta", metered_, false);
  if (o.unchanged.empty()) set_valve(o.next, c.sim_ms);
  reply(c, out, o.reply);
  out.replies.push_back({"status", c.time, std::string(core::valve::state_text(valve_.open))});
}

void FleetDevice::on_set_cron(const Command& c, FleetCommandOutcome& out) {
  // The jobs are counted, not run: a virtual device has no valve to drive at 06:00.
  core::Status outcome = core::Ok{};
  if (auto job = core::cron::parse_set_cron(c.argument); !job) {
    outcome = job.error();
  } else if (extras().cron_jobs >= core::cron::kMaxJobs) {
    outcome =
        core::make_error(core::Errc::cron_full, std::to_string(core::cron::kMaxJobs) +
                                                    " jobs; nothing stored (clear_cron first)");
  } else {
    ++extras().cron_jobs;
  }
  reply(c, out, agent::CronRunner::set_cron_reply(c.argument, outcome));
}

void FleetDevice::on_cron(const Command& c, FleetCommandOutcome& out) {
  reply(c, out, std::to_string(extras_ ? extras_->cron_jobs : 0));
}

void FleetDevice::on_clear_cron(const Command& c, FleetCommandOutcome& out) {
  if (extras_) extras_->cron_jobs = 0;
  reply(c, out, "");
}

void FleetDevice::on_restart(const Command&, FleetCommandOutcome& out) {
  out.action = FleetAction::restart;
}

void FleetDevice::on_reconnect(const Command&, FleetCommandOutcome& out) {
  out.action = FleetAction::reconnect;
}

void FleetDevice::on_wifi(const Command& c, FleetCommandOutcome& out) {
  namespace wifi = core::wifi;
  if (c.name == "rssi") return reply(c, out, std::to_string(agent::kRssiUnknown));
  if (c.name == "wifi_status") return reply(c, out, "disconnected");
  if (c.name == "scan") return;  // no radio: no networks, so no scan_result
  if (c.name == "ssid") return reply(c, out, extras_ ? extras_->station.ssid : std::string());
  // set_ssid, set_pwd, set_ssid_pwd: checked and kept as the agent's backend "none" keeps them;
  // the reply is what is stored (the same credentials again change nothing).
  wifi::Credentials next = extras().station;
  bool valid = true;
  if (c.name == "set_ssid") {
    valid = wifi::check_ssid(c.argument).ok();
    if (valid) next.ssid = c.argument;
  } else if (c.name == "set_pwd") {
    valid = wifi::check_password(c.argument).ok();
    if (valid) next.password = c.argument;
  } else {
    auto update = wifi::parse_ssid_pwd(c.argument);
    valid = update.ok();
    if (valid) {
      if (update->ssid) next.ssid = *update->ssid;
      if (update->password) next.password = *update->password;
    }
  }
  if (valid && wifi::check_ssid(next.ssid).ok() && wifi::check_password(next.password).ok()) {
    extras_->station = next;
  }
  const wifi::Credentials& stored = extras_->station;
  if (c.name == "set_ssid") return reply(c, out, stored.ssid);
  if (c.name == "set_pwd") return reply(c, out, stored.password);
  reply(c, out, wifi::format_ssid_pwd(stored));
}

void FleetDevice::on_access_point(const Command& c, FleetCommandOutcome& out) {
  if (c.name == "start_ap" || c.name == "stop_ap") {
    extras().ap_enabled = c.name == "start_ap";
    return;
  }
  if (c.name == "ap_status") return reply(c, out, "stopped");  // no radio
  // set_ap_mesh_pwd
  if (core::wifi::check_ap_password(c.argument).ok()) extras().mesh_password = c.argument;
  reply(c, out, extras_ ? extras_->mesh_password : std::string(kDefaultMeshPassword));
}

void FleetDevice::on_resend(const Command& c, FleetCommandOutcome& out) {
  // A virtual device keeps no samples: a valid range resends none.
  auto range = core::gaps::parse_resend(c.argument);
  if (!range) return reply(c, out, "error: " + range.error().detail);
  reply(c, out, "0");
}

void FleetDevice::on_set_key(const Command& c, FleetCommandOutcome& out) {
  namespace kc = core::keychange;
  auto next = kc::parse_new_key(c.argument);
  if (!next) return reply(c, out, "error: " + next.error().detail);
  if (*next == master_) return reply(c, out, "ok");  // sent again: the change is made
  auto keys = envelope::derive_keys(*next);
  if (!keys) return reply(c, out, "error: set_key: the new key cannot be used");
  extras().previous = keys_;
  extras_->previous_until = c.time + kc::kKeyGraceSeconds;
  master_ = *next;
  keys_ = *keys;
  reply(c, out, "ok");  // sealed with the new key by the runtime
}

}  // namespace ml::sim
