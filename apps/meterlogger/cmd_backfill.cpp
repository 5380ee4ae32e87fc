// `meterlogger sim backfill`: publishes the history an emulated KMP heat meter would have sent
// over a past period (sim/backfill.hpp), sealed with the meter's key, to a broker, as a device
// replaying its outbox after an outage does. A demo or a test then starts with weeks of data.
#include <asio/executor_work_guard.hpp>
#include <asio/io_context.hpp>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "common.hpp"
#include "core/envelope/envelope.hpp"
#include "core/topic/topic.hpp"
#include "platform/config/toml_reader.hpp"
#include "platform/crypto/random.hpp"
#include "platform/mqtt/client.hpp"
#include "sim/backfill.hpp"
#include "sim/quantities.hpp"
#include "sim/sim_clock.hpp"

namespace ml::app {
namespace {

namespace envelope = core::envelope;

struct BackfillArgs {
  std::uint32_t serial = 6892850;
  std::string model = "mc601";
  std::string key;
  std::uint64_t seed = 1;
  double days = 21;
  std::string to;
  std::int64_t every_s = 600;
  std::string end_energy = "12345";
  std::string end_volume = "321.5";
  std::string host = "127.0.0.1";
  int port = 1883;
  std::string username;       // a broker login (e.g. the original firmware's shared esp8266)
  std::string password_file;  // its password (a file only its owner may read)
  std::size_t window = 200;   // QoS 1 publishes waiting for their PUBACK at once
};

std::vector<std::pair<std::string, core::Bytes>> sealed_messages(const BackfillArgs& a) {
  auto master = envelope::parse_master_key(a.key);
  if (!master) fail("--key: " + master.error().text());
  auto keys = envelope::derive_keys(*master);
  if (!keys) fail(keys.error());
  auto model = sim::kmp_model_from_name(a.model);
  if (!model) fail("--model: " + a.model + " is not one of mc601, mc602, mc603, mc403");
  sim::BackfillConfig c;
  c.model = *model;
  c.serial = a.serial;
  c.seed = a.seed;
  if (a.to.empty()) {
    c.to = sim::system_now_ms() / 1000;
  } else {
    auto t = sim::parse_time(a.to);
    if (!t) fail("--to: " + t.error().text());
    c.to = *t / 1000;
  }
  if (!(a.days > 0 && a.days <= 800)) fail("--days: from more than 0 to 800");
  c.from = c.to - static_cast<std::int64_t>(a.days * 86400);
  c.every_s = a.every_s;
  auto energy = sim::scaled_integer(a.end_energy, 6, false, "--end-energy (kWh)");
  if (!energy) fail(energy.error().detail);
  auto volume = sim::scaled_integer(a.end_volume, 6, false, "--end-volume (m3)");
  if (!volume) fail(volume.error().detail);
  c.end_energy_mwh = static_cast<std::uint64_t>(*energy);
  c.end_volume_ml = static_cast<std::uint64_t>(*volume);
  auto samples = sim::backfill(c);
  if (!samples) fail(samples.error());
  std::vector<std::pair<std::string, core::Bytes>> out;
  out.reserve(samples->size());
  for (const auto& s : *samples) {
    auto topic = core::topic::device_topic("sample", core::topic::Serial::from_number(a.serial),
                                           static_cast<std::uint64_t>(s.time));
    if (!topic) fail(topic.error());
    auto iv = platform::random_iv();
    if (!iv) fail(iv.error());
    auto payload = envelope::seal(*keys, *topic, *iv, s.text);
    if (!payload) fail(payload.error());
    out.emplace_back(std::move(*topic), std::move(*payload));
  }
  return out;
}

void run_backfill(const BackfillArgs& a) {
  const auto messages = sealed_messages(a);
  asio::io_context io(1);
  platform::MqttOptions options;
  options.host = a.host;
  options.port = a.port;
  options.clean_session = true;
  options.client_id = "meterlogger-backfill-" + std::to_string(a.serial);
  if (!a.username.empty()) options.username = a.username;
  if (!a.password_file.empty()) {  // private, as every file holding a secret
    auto password = platform::config::read_secret_file("--password-file", a.password_file,
                                                       std::filesystem::current_path());
    if (!password) fail(password.error().text());
    options.password = *password;
  }
  platform::MqttClient client(io.get_executor(), options);
  // The client's events arrive from its network thread: keep the loop running until the end.
  auto work = asio::make_work_guard(io);
  auto finish = [&] {
    client.stop();
    work.reset();
  };
  std::size_t next = 0, acknowledged = 0, in_flight = 0;
  std::optional<std::string> failure;
  std::function<void()> pump = [&] {
    while (!failure && next < messages.size() && in_flight < a.window) {
      const auto& [topic, payload] = messages[next];
      auto st = client.publish(topic, payload, 1, false, [&](bool delivered) {
        --in_flight;
        if (!delivered) failure = "the broker refused a message";
        ++acknowledged;
        if (failure || acknowledged == messages.size()) {
          finish();
          return;
        }
        pump();
      });
      if (!st) {
        failure = st.error().text();
        finish();
        return;
      }
      ++next;
      ++in_flight;
    }
  };
  client.on_disconnected([&](const platform::MqttDisconnect& d) {
    if (!d.was_connected && d.attempt >= 5) {
      failure = d.reason;
      finish();
    }
  });
  if (auto st = client.start(); !st) fail(st.error());
  pump();
  if (messages.empty()) finish();
  io.run();
  if (failure) fail("publishing to " + client.broker() + ": " + *failure, 2);
  std::cout << "published " << acknowledged << " samples of meter " << a.serial << " (" << a.days
            << " days, one every " << a.every_s << " s), energy ending at " << a.end_energy
            << " kWh\n";
}

}  // namespace

void add_backfill_command(CLI::App& sim) {
  auto a = std::make_shared<BackfillArgs>();
  auto* cmd = sim.add_subcommand(
      "backfill", "Publish the past history of an emulated KMP heat meter to a broker");
  cmd->footer(
      "The samples come from the same installation model as `sim kmp` (same --seed, same\n"
      "registers); the energy ends at --end-energy at --to, so `sim kmp --start-energy` with the\n"
      "same value continues without a step. Each sample is sealed with --key on\n"
      "/sample/v2/<serial>/<time> and published with QoS 1.\n\n"
      "Example (three weeks, one sample per 10 min, ending now at 12345 kWh):\n"
      "  meterlogger sim backfill --serial 6892850 --key ef500c9268cf749016d26d6cbfaaf7bf \\\n"
      "    --days 21 --every 600 --end-energy 12345 --port 1883");
  cmd->add_option("--serial", a->serial, "the meter's serial")->capture_default_str();
  cmd->add_option("--model", a->model, "mc601 | mc602 | mc603 | mc403")->capture_default_str();
  cmd->add_option("--key", a->key, "the meter's master key, 32 hex digits")->required();
  cmd->add_option("--seed", a->seed, "seed of the installation profile")->capture_default_str();
  cmd->add_option("--days", a->days, "length of the history")->capture_default_str();
  cmd->add_option("--to", a->to, "end of the history: ISO 8601 UTC or Unix seconds (default now)");
  cmd->add_option("--every", a->every_s, "seconds between samples")->capture_default_str();
  cmd->add_option("--end-energy", a->end_energy, "energy at the end, kWh")->capture_default_str();
  cmd->add_option("--end-volume", a->end_volume, "volume at the end, m3")->capture_default_str();
  cmd->add_option("--host", a->host, "broker address")->capture_default_str();
  cmd->add_option("--port", a->port, "broker port")->capture_default_str();
  cmd->add_option("--username", a->username, "broker user name (none by default)");
  cmd->add_option("--password-file", a->password_file,
                  "a file holding the broker password (not readable by others)");
  cmd->callback([a] { run_backfill(*a); });
}

}  // namespace ml::app
