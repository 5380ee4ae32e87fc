// `meterlogger sim fleet`: N virtual MeterLogger devices in one process against a broker, to
// load-test the server (sim/fleet.hpp); `--make-keys` writes the keys file the server imports
// (sim/fleet_keys.hpp); `--plan` prints which device is which. docs/emulators.md, "A fleet of
// devices".
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>

#include "agent/system_info.hpp"
#include "common.hpp"
#include "meter/drivers.hpp"
#include "platform/config/toml_reader.hpp"
#include "platform/crypto/random.hpp"
#include "sim/fleet.hpp"
#include "sim/fleet_keys.hpp"
#include "sim/fleet_plan.hpp"
#include "sim/sim_clock.hpp"

namespace ml::app {
namespace {

struct FleetArgs {
  std::optional<std::size_t> meters;
  std::string keys;
  std::size_t skip = 0;
  std::string make_keys;
  std::uint64_t first_serial = 9000000;
  std::string group = "fleet";
  bool plan = false;
  std::int64_t interval_s = 60;
  std::string broker = "127.0.0.1:1883";
  std::string username;
  std::string password_file;
  std::uint64_t seed = 1;
  double dead = 0, silent = 0, wrong_key = 0;
  std::string clock_skew;  // SHARE:SECONDS
  std::optional<double> outage_at_s;
  double outage_for_s = 60;
  std::string outage_mode = "disconnect";
  double time_scale = 1;
  std::int32_t seasons_pm = 600;
  double connect_rate = 2000;
  std::size_t max_connecting = 0;
  std::string source_addresses;
  std::int64_t keepalive_s = 60;
  std::size_t inflight = 10;
  std::size_t outbox = 1000;
  std::string stats;
  std::string publish_log;
  double publish_log_share = 1;
  double duration_s = 0;
  double status_every_s = 10;
  bool quiet = false;
  bool verbose = false;
};

// Writes `text` to a new file only its owner may read or write (0600 whatever the umask); an
// existing file is not overwritten (it may hold keys the server already has).
void write_private_file(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    fail(path + ": " + std::strerror(errno) +
         (errno == EEXIST ? " (a keys file is never overwritten: remove it or give another name)"
                          : ""));
  }
  bool ok = ::fchmod(fd, 0600) == 0;
  std::size_t at = 0;
  while (ok && at < text.size()) {
    const ssize_t n = ::write(fd, text.data() + at, text.size() - at);
    if (n < 0 && errno == EINTR) continue;
    ok = n > 0;
    if (ok) at += static_cast<std::size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    std::filesystem::remove(path);
    fail(path + ": " + std::strerror(err));
  }
}

void make_keys(const FleetArgs& a) {
  if (!a.meters || *a.meters == 0) fail("--make-keys needs --meters N (at least 1)");
  if (*a.meters > sim::kMaxFleetMeters) {
    fail("--meters: at most " + std::to_string(sim::kMaxFleetMeters));
  }
  auto serials = sim::fleet_serials(a.first_serial, *a.meters);
  if (!serials) fail(serials.error().text());
  std::vector<sim::FleetMeter> meters;
  meters.reserve(serials->size());
  for (std::string& serial : *serials) {
    auto bytes = platform::random_bytes(core::envelope::kMasterKeySize);
    if (!bytes) fail(bytes.error());
    sim::FleetMeter m;
    m.serial = std::move(serial);
    std::copy(bytes->begin(), bytes->end(), m.key.begin());
    meters.push_back(std::move(m));
  }
  write_private_file(a.make_keys, sim::format_fleet_keys(meters, a.group));
  std::cout << "wrote " << meters.size() << " meters (serials " << meters.front().serial << " to "
            << meters.back().serial << ", random keys) to " << a.make_keys
            << " (mode 0600)\nnext:\n  meterlogger-server meters import " << a.make_keys
            << "\n  meterlogger sim fleet --keys " << a.make_keys << " --broker HOST:PORT\n";
}

std::vector<sim::FleetMeter> read_keys(const FleetArgs& a) {
  if (a.keys.empty()) fail("give --keys FILE (or --make-keys FILE --meters N to write one)");
  auto parsed = sim::parse_fleet_keys(read_file(a.keys, sim::kMaxFleetKeysBytes));
  if (!parsed) fail(a.keys + ": " + parsed.error().text());
  std::vector<sim::FleetMeter> meters = std::move(parsed).value();
  if (a.skip > meters.size()) {
    fail("--skip " + std::to_string(a.skip) + ": " + a.keys + " has " +
         std::to_string(meters.size()) + " meters");
  }
  meters.erase(meters.begin(), meters.begin() + static_cast<std::ptrdiff_t>(a.skip));
  if (a.meters) {
    if (*a.meters > meters.size()) {
      fail("--meters " + std::to_string(*a.meters) + ": " + a.keys + " has " +
           std::to_string(meters.size()) + " meters" +
           (a.skip > 0 ? " after --skip " + std::to_string(a.skip) : ""));
    }
    meters.resize(*a.meters);
  }
  if (meters.empty()) fail(a.keys + " has no meters");
  return meters;
}

sim::FleetShares shares_of(const FleetArgs& a) {
  sim::FleetShares s;
  s.dead = a.dead;
  s.silent = a.silent;
  s.wrong_key = a.wrong_key;
  if (!a.clock_skew.empty()) {
    const std::size_t colon = a.clock_skew.find(':');
    if (colon == std::string::npos) fail("--clock-skew: SHARE:SECONDS, e.g. 0.01:3600");
    try {
      std::size_t used = 0;
      s.skewed = std::stod(a.clock_skew.substr(0, colon), &used);
      if (used != colon) throw std::invalid_argument("share");
      const std::string seconds = a.clock_skew.substr(colon + 1);
      s.skew_s = std::stoll(seconds, &used);
      if (used != seconds.size()) throw std::invalid_argument("seconds");
    } catch (const std::exception&) {
      fail("--clock-skew: SHARE:SECONDS, e.g. 0.01:3600 (seconds may be negative)");
    }
  }
  if (auto st = sim::check_shares(s); !st) fail(st.error().text());
  return s;
}

void print_plan(const FleetArgs& a) {
  const auto meters = read_keys(a);
  const auto shares = shares_of(a);
  std::cout << "serial,class,skew_s,phase_ms\n";
  for (std::size_t i = 0; i < meters.size(); ++i) {
    const sim::FleetClass cls = sim::fleet_class(a.seed, i, shares);
    std::cout << meters[i].serial << ',' << sim::fleet_class_name(cls) << ','
              << (cls == sim::FleetClass::skewed ? shares.skew_s : 0) << ','
              << sim::fleet_phase_ms(i, meters.size(), a.interval_s * 1000) << '\n';
  }
}

void run_fleet(const FleetArgs& a) {
  if (!a.make_keys.empty()) return make_keys(a);
  if (a.plan) return print_plan(a);
  sim::FleetOptions o;
  o.meters = read_keys(a);
  o.seed = a.seed;
  o.shares = shares_of(a);
  o.interval_s = a.interval_s;
  if (auto p = sim::time_scale_problem(a.time_scale); !p.empty()) fail("--time-scale: " + p);
  o.time_scale = a.time_scale;
  o.seasons_pm = a.seasons_pm;
  const std::size_t colon = a.broker.rfind(':');
  if (colon == std::string::npos || colon == 0) fail("--broker: HOST:PORT, e.g. 127.0.0.1:1883");
  o.host = a.broker.substr(0, colon);
  if (o.host.size() > 2 && o.host.front() == '[' && o.host.back() == ']') {
    o.host = o.host.substr(1, o.host.size() - 2);
  }
  try {
    std::size_t used = 0;
    o.port = std::stoi(a.broker.substr(colon + 1), &used);
    if (used != a.broker.size() - colon - 1 || o.port < 1 || o.port > 65535) throw 1;
  } catch (...) {
    fail("--broker: the port of '" + a.broker + "' is not 1 .. 65535");
  }
  if (!a.username.empty()) o.username = a.username;
  if (!a.password_file.empty()) {  // private, as every file holding a secret
    auto password = platform::config::read_secret_file("--password-file", a.password_file,
                                                       std::filesystem::current_path());
    if (!password) fail(password.error().text());
    o.password = *password;
  }
  if (!a.source_addresses.empty()) {
    auto sources = sim::expand_source_addresses(a.source_addresses);
    if (!sources) fail(sources.error().text());
    o.source_addresses = std::move(sources).value();
  }
  o.connect_rate = a.connect_rate;
  o.max_connecting = a.max_connecting;
  o.keepalive_s = a.keepalive_s;
  o.inflight = a.inflight;
  o.outbox = a.outbox;
  if (a.outage_at_s) {
    if (*a.outage_at_s < 0 || a.outage_for_s <= 0) {
      fail("--outage-at: 0 or more seconds, --outage-for: more than 0");
    }
    o.outage_at_s = a.outage_at_s;
    o.outage_for_s = a.outage_for_s;
  }
  if (a.outage_mode == "disconnect") {
    o.outage_mode = sim::OutageMode::disconnect;
  } else if (a.outage_mode == "hold") {
    o.outage_mode = sim::OutageMode::hold;
  } else {
    fail("--outage-mode: disconnect or hold");
  }
  o.stats_file = a.stats;
  o.publish_log = a.publish_log;
  o.publish_log_share = a.publish_log_share;
  o.duration_s = a.duration_s;
  o.status_every = std::chrono::milliseconds(static_cast<std::int64_t>(a.status_every_s * 1000));
  o.verbose = a.verbose && !a.quiet;
  if (!a.quiet) {
    o.log = [](const std::string& line) {
      std::cerr << "meterlogger sim fleet: " << sim::iso_time(sim::system_now_ms()) << ' ' << line
                << std::endl;
    };
  }
  o.version = agent::version_text(meter::driver_of(core::sample::MeterKind::kmp), false);

  asio::io_context io(1);
  sim::Fleet fleet(io, std::move(o));
  if (auto s = fleet.start(); !s) fail(s.error().text());
  // SIGINT/SIGTERM: a clean end. SIGUSR1: an outage starts, or ends. SIGUSR2: the status now.
  asio::signal_set stop_signals(io, SIGINT, SIGTERM);
  asio::signal_set user_signals(io, SIGUSR1, SIGUSR2);
  stop_signals.async_wait([&](const asio::error_code& ec, int sig) {
    if (ec) return;
    if (!a.quiet) {
      std::cerr << "meterlogger sim fleet: signal " << sig << ", stopping" << std::endl;
    }
    user_signals.cancel();
    fleet.stop();
  });
  std::function<void()> wait_user = [&] {
    user_signals.async_wait([&](const asio::error_code& ec, int sig) {
      if (ec || fleet.stopped()) return;
      if (sig == SIGUSR1) {
        fleet.toggle_outage();
      } else if (!a.quiet) {
        std::cerr << "meterlogger sim fleet: " << sim::iso_time(sim::system_now_ms()) << ' '
                  << fleet.status_line() << std::endl;
      }
      wait_user();
    });
  };
  wait_user();
  // --duration ends the fleet by itself; then the signal sets must not keep the loop alive.
  asio::steady_timer watch(io);
  std::function<void()> watch_stop = [&] {
    watch.expires_after(std::chrono::milliseconds(100));
    watch.async_wait([&](const asio::error_code& ec) {
      if (ec) return;
      if (fleet.stopped()) {
        stop_signals.cancel();
        user_signals.cancel();
        return;
      }
      watch_stop();
    });
  };
  watch_stop();
  io.run();
  std::cout << fleet.stats_json().dump() << std::endl;
}

}  // namespace

void add_fleet_command(CLI::App& sim) {
  auto a = std::make_shared<FleetArgs>();
  auto* cmd = sim.add_subcommand(
      "fleet", "Run N virtual MeterLogger devices against a broker (a load test of the server)");
  cmd->footer(
      "Each device has its own MQTT connection (client id = serial, a last will on\n"
      "/offline/v1/<serial>), publishes a sealed v2 sample of an emulated heat meter every\n"
      "--interval (spread over the interval), and answers every command as the agent does\n"
      "(open_until closes its valve when its energy reaches the limit). See docs/emulators.md.\n\n"
      "Examples:\n"
      "  meterlogger sim fleet --make-keys fleet.csv --meters 1000 --first-serial 9000000\n"
      "  meterlogger-server meters import fleet.csv\n"
      "  meterlogger sim fleet --keys fleet.csv --broker 127.0.0.1:1883 --interval 60 \\\n"
      "    --stats fleet.json --publish-log published.csv\n"
      "  # failures: 1 % silent, 1 % with a wrong key, 1 % an hour ahead, an outage at 5 min\n"
      "  meterlogger sim fleet --keys fleet.csv --silent 0.01 --wrong-key 0.01 \\\n"
      "    --clock-skew 0.01:3600 --outage-at 300 --outage-for 120\n"
      "  # 100 000 devices: more than one source address (loopback ports run out near 28 000)\n"
      "  meterlogger sim fleet --keys big.csv --source-addresses 127.0.0.1-127.0.0.4 \\\n"
      "    --connect-rate 2000\n"
      "  kill -USR1 <pid>   # an outage starts (and with the next USR1 ends); USR2: status now\n"
      "  meterlogger sim fleet --keys fleet.csv --plan --wrong-key 0.1   # who is which class");
  const std::string keys = "Keys";
  cmd->add_option("--keys", a->keys, "the meters: CSV serial,kind,key,... (meters import format)")
      ->group(keys);
  cmd->add_option("--meters", a->meters,
                  "how many devices (default: every meter of --keys); with --make-keys: how many "
                  "to write")
      ->group(keys);
  cmd->add_option("--skip", a->skip, "leave out the first K meters of --keys (several processes)")
      ->group(keys);
  cmd->add_option("--make-keys", a->make_keys,
                  "write a new keys file (mode 0600) with --meters random keys and stop")
      ->group(keys);
  cmd->add_option("--first-serial", a->first_serial, "--make-keys: the first serial")
      ->capture_default_str()
      ->group(keys);
  cmd->add_option("--group", a->group, "--make-keys: the meters' group")
      ->capture_default_str()
      ->group(keys);
  cmd->add_flag("--plan", a->plan,
                "print serial,class,skew_s,phase_ms of every device and stop (no connection)")
      ->group(keys);
  cmd->add_option("--interval", a->interval_s, "seconds between a device's samples")
      ->capture_default_str()
      ->check(CLI::Range(1, 86400));
  cmd->add_option("--broker", a->broker, "HOST:PORT of the broker")->capture_default_str();
  cmd->add_option("--username", a->username, "broker user name for every device (none)");
  cmd->add_option("--password-file", a->password_file,
                  "a file holding the broker password (not readable by others)");
  cmd->add_option("--seed", a->seed, "seed of the plan and the installations")
      ->capture_default_str();
  cmd->add_option("--time-scale", a->time_scale,
                  "simulated seconds of the meters per wall second (the clocks stay real)")
      ->capture_default_str();
  cmd->add_option("--seasons", a->seasons_pm,
                  "seasonal heat demand, per mille (installation model; 0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(0, static_cast<int>(sim::kMaxSeasonalAmplitudePm)));
  const std::string failures = "Failures (shares of the devices, 0 .. 1)";
  cmd->add_option("--dead", a->dead, "never connect")->group(failures);
  cmd->add_option("--silent", a->silent, "connected, but their meters give no samples")
      ->group(failures);
  cmd->add_option("--wrong-key", a->wrong_key, "seal with a key the server does not have")
      ->group(failures);
  cmd->add_option("--clock-skew", a->clock_skew,
                  "SHARE:SECONDS: that share's clocks are off by SECONDS (e.g. 0.01:3600)")
      ->group(failures);
  cmd->add_option("--outage-at", a->outage_at_s, "an outage this many seconds after the start")
      ->group(failures);
  cmd->add_option("--outage-for", a->outage_for_s, "how long the outage lasts, seconds")
      ->capture_default_str()
      ->group(failures);
  cmd->add_option("--outage-mode", a->outage_mode,
                  "disconnect: connections drop, backlog after reconnecting; hold: connections "
                  "stay, backlog at once")
      ->capture_default_str()
      ->group(failures);
  const std::string scale = "Scale";
  cmd->add_option("--connect-rate", a->connect_rate, "new connections a second")
      ->capture_default_str()
      ->group(scale);
  cmd->add_option("--max-connecting", a->max_connecting,
                  "connections under way at once (default: max(64, connect rate))")
      ->group(scale);
  cmd->add_option("--source-addresses", a->source_addresses,
                  "bind connections round-robin to these: A,B,... or FIRST-LAST (IPv4)")
      ->group(scale);
  cmd->add_option("--keepalive", a->keepalive_s, "MQTT keepalive, seconds")
      ->capture_default_str()
      ->group(scale);
  cmd->add_option("--inflight", a->inflight, "unacknowledged publishes per device")
      ->capture_default_str()
      ->group(scale);
  cmd->add_option("--outbox", a->outbox, "messages a device keeps while it cannot publish")
      ->capture_default_str()
      ->group(scale);
  const std::string output = "Output";
  cmd->add_option("--stats", a->stats,
                  "JSON counters, rewritten every --status-every and at the end")
      ->group(output);
  cmd->add_option("--publish-log", a->publish_log,
                  "CSV serial,time,published_ms of every published sample")
      ->group(output);
  cmd->add_option("--publish-log-share", a->publish_log_share,
                  "the share of devices the publish log follows")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 1.0))
      ->group(output);
  cmd->add_option("--duration", a->duration_s, "stop after this many seconds (default: a signal)")
      ->group(output);
  cmd->add_option("--status-every", a->status_every_s,
                  "seconds between status lines (and rewrites of --stats)")
      ->capture_default_str()
      ->check(CLI::Range(0.1, 3600.0))
      ->group(output);
  cmd->add_flag("--quiet", a->quiet, "no status lines on standard error")->group(output);
  cmd->add_flag("--verbose", a->verbose, "also a line for every lost connection")->group(output);
  cmd->callback([a] { run_fleet(*a); });
}

}  // namespace ml::app
