// meterlogger sim: meter emulators on pseudo-terminals (KMP, MULTICAL 66C/66B) and an S0 pulse
// emulator on a Unix socket, each with a JSON-lines control socket; and `sim ctl` to talk to it.
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common.hpp"
#include "meter/drivers.hpp"
#include "sim/control.hpp"
#include "sim/kmp_emulator.hpp"
#include "sim/mc66_emulator.hpp"
#include "sim/pulse.hpp"
#include "sim/quantities.hpp"

namespace ml::app {
namespace {

using nlohmann::ordered_json;

// Options every emulator of a heat meter takes.
struct CommonArgs {
  std::string link;
  std::string control;
  std::uint64_t seed = 1;
  double time_scale = 1;
  std::string start_time;
  std::string start_energy = "12345";
  std::string start_volume = "321.5";
  std::uint64_t start_hours = 8760;
  std::int32_t seasons_pm = 0;
  bool freeze = false;
  unsigned pace_speedup = 1;
  bool quiet = false;
  bool verbose = false;
  // faults
  double drop = 0, corrupt = 0, bad_check = 0, noise_prob = 1, late_prob = 1;
  std::uint32_t noise = 0, late_ms = 0, wake_nuls = 0;
  double wake_after_s = 0;
  bool echo = false;
  std::optional<std::uint64_t> silent_after;
};

struct KmpArgs {
  CommonArgs common;
  std::string model = "mc601";
  std::uint32_t serial = 6892850;
  std::string energy_unit;
  std::uint32_t latency_ms = 30;
};

struct Mc66Args {
  CommonArgs common;
  std::uint64_t serial = 40;
  std::string program{sim::kDefaultProgram};
  std::string ident{sim::kDefaultMc66Ident};
  std::optional<std::uint32_t> latency_ms;
  std::uint32_t readout_latency_ms = 600;
  std::uint32_t data_latency_ms = 450;
  std::vector<std::string> extra_records;
  bool lenient_stop_bits = false;
};

struct PulseArgs {
  std::string link;
  std::string control;
  std::optional<double> power_w;
  std::uint32_t imp_per_kwh = 1000;
  std::optional<double> rate;
  double width_ms = 100;
  double jitter_ms = 0;
  std::uint32_t bounce = 0;
  std::uint64_t seed = 1;
  std::string start_energy = "0";
  bool quiet = false;
  bool verbose = false;
};

struct CtlArgs {
  std::string control;
  std::vector<std::string> requests;
  std::uint32_t timeout_ms = 5000;
};

// The subcommand of the emulator that plays meters of this kind (meter/drivers.hpp).
std::string emulator_name(core::sample::MeterKind kind) {
  return std::string(meter::driver_of(kind).emulator);
}

sim::Logger make_logger(const std::string& name, bool quiet) {
  if (quiet) return {};
  return [name](const std::string& line) {
    std::cerr << "meterlogger sim " << name << ": " << sim::iso_time(sim::system_now_ms()) << ' '
              << line << std::endl;
  };
}

void add_common(CLI::App* cmd, CommonArgs& a) {
  cmd->add_option("--link", a.link,
                  "path of the symlink to the pseudo-terminal (the 'serial port')")
      ->required();
  cmd->add_option("--control", a.control, "Unix socket for the JSON-lines control interface");
  cmd->add_option("--seed", a.seed, "seed of the installation profile and the faults")
      ->capture_default_str();
  cmd->add_option("--time-scale", a.time_scale,
                  "simulated seconds per wall second (1 = real time, up to 1000000)")
      ->capture_default_str();
  cmd->add_option("--start-time", a.start_time,
                  "simulated start, YYYY-MM-DDTHH:MM:SSZ or Unix seconds (default: now)");
  cmd->add_option("--start-energy", a.start_energy, "energy at the start, kWh (up to 6 decimals)")
      ->capture_default_str();
  cmd->add_option("--start-volume", a.start_volume, "volume at the start, m3 (up to 6 decimals)")
      ->capture_default_str();
  cmd->add_option("--start-hours", a.start_hours, "operating hours at the start")
      ->capture_default_str();
  cmd->add_option("--seasons", a.seasons_pm,
                  "seasonal heat demand, per mille: the flow is x(1 + A/1000) in mid-January and "
                  "x(1 - A/1000) in mid-July (0 = off)")
      ->capture_default_str()
      ->check(CLI::Range(0, static_cast<int>(sim::kMaxSeasonalAmplitudePm)));
  cmd->add_flag("--freeze", a.freeze, "start frozen: every value stays constant");
  cmd->add_option("--pace-speedup", a.pace_speedup,
                  "send N times faster than the baud rate (tests only; 1 = real wire time)")
      ->capture_default_str()
      ->check(CLI::Range(1u, 1000u));
  cmd->add_flag("--quiet", a.quiet, "no log lines on standard error");
  cmd->add_flag("--verbose", a.verbose, "also log every request and reply");
  const std::string faults = "Faults";
  cmd->add_option("--drop", a.drop, "probability that a reply is not sent")
      ->group(faults)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--corrupt", a.corrupt, "probability that one bit of a reply is flipped")
      ->group(faults)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--bad-check", a.bad_check,
                  "probability of a wrong CRC (KMP) or BCC (EN 61107 readout)")
      ->group(faults)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--noise", a.noise, "random bytes of line noise before a reply")
      ->group(faults)
      ->check(CLI::Range(0u, sim::kMaxNoiseBytes));
  cmd->add_option("--noise-prob", a.noise_prob, "probability of the noise per reply")
      ->group(faults)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--late-ms", a.late_ms, "extra delay of a late reply, ms")
      ->group(faults)
      ->check(CLI::Range(0u, sim::kMaxLateMs));
  cmd->add_option("--late-prob", a.late_prob, "probability that a reply is late")
      ->group(faults)
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_flag("--echo", a.echo, "optical-head echo: every request byte comes back first")
      ->group(faults);
  cmd->add_option("--silent-after", a.silent_after, "stop answering after N requests")
      ->group(faults);
  cmd->add_option("--wake-nuls", a.wake_nuls,
                  "EN 61107: ignore an ident request unless K NUL bytes came before it")
      ->group(faults);
  cmd->add_option("--wake-after-s", a.wake_after_s,
                  "KMP: asleep after T s of silence; the first request is then ignored")
      ->group(faults)
      ->check(CLI::Range(0.0, 86400.0));
}

sim::CommonOptions common_options(const CommonArgs& a, const std::string& name) {
  sim::CommonOptions o;
  o.link = a.link;
  o.seed = a.seed;
  if (auto p = sim::time_scale_problem(a.time_scale); !p.empty()) fail("--time-scale: " + p);
  o.time_scale = a.time_scale;
  if (a.start_time.empty()) {
    o.start_ms = sim::system_now_ms();
  } else {
    auto t = sim::parse_time(a.start_time);
    if (!t) fail(t.error());
    o.start_ms = *t;
  }
  auto energy = sim::scaled_integer(a.start_energy, 6, false, "--start-energy (kWh)");
  if (!energy) fail(energy.error().detail);
  auto volume = sim::scaled_integer(a.start_volume, 6, false, "--start-volume (m3)");
  if (!volume) fail(volume.error().detail);
  if (a.start_hours > 100'000'000) fail("--start-hours is too large");
  o.energy_mwh = static_cast<std::uint64_t>(*energy);
  o.volume_ml = static_cast<std::uint64_t>(*volume);
  o.operating_ds = a.start_hours * 36000;
  o.seasonal_amplitude_pm = a.seasons_pm;
  o.frozen = a.freeze;
  o.pace_speedup = a.pace_speedup;
  o.log = make_logger(name, a.quiet);
  o.verbose = a.verbose && !a.quiet;
  sim::FaultConfig& f = o.faults;
  f.drop = a.drop;
  f.corrupt = a.corrupt;
  f.bad_check = a.bad_check;
  f.noise_bytes = a.noise;
  f.noise = a.noise_prob;
  f.late_ms = a.late_ms;
  f.late = a.late_prob;
  f.echo = a.echo;
  f.silent_after = a.silent_after;
  f.wake_nuls = a.wake_nuls;
  f.wake_after_ms = static_cast<std::uint32_t>(a.wake_after_s * 1000.0 + 0.5);
  return o;
}

// Runs an emulator until SIGINT, SIGTERM or the "quit" control command.
template <class Emulator>
void run_serial(asio::io_context& io, Emulator& emulator, const CommonArgs& a,
                const std::string& name) {
  if (auto s = emulator.start(); !s) fail(s.error());
  std::unique_ptr<sim::ControlServer> control;
  if (!a.control.empty()) {
    auto server = sim::ControlServer::open(
        io, a.control, [&](const nlohmann::json& r) { return emulator.control(r); },
        [&io] { io.stop(); });
    if (!server) fail(server.error());
    control = std::move(server).value();
  }
  ordered_json ready;
  ready["meter"] = name;
  ready["link"] = emulator.link_path();
  ready["pty"] = emulator.slave_path();
  ready["control"] = a.control;
  std::cout << ready.dump() << std::endl;
  if (!a.quiet) {
    std::cerr << "meterlogger sim " << name << ": serving on " << emulator.link_path() << " -> "
              << emulator.slave_path()
              << (a.control.empty() ? std::string() : ", control " + a.control) << std::endl;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io, &a, &name](const asio::error_code& ec, int sig) {
    if (ec) return;
    if (!a.quiet) {
      std::cerr << "meterlogger sim " << name << ": signal " << sig << ", stopping" << std::endl;
    }
    io.stop();
  });
  io.run();
}

void run_kmp(const KmpArgs& a) {
  sim::KmpEmulatorOptions o;
  const std::string name = emulator_name(core::sample::MeterKind::kmp);
  o.common = common_options(a.common, name);
  auto model = sim::kmp_model_from_name(a.model);
  if (!model) fail("--model '" + a.model + "' is not one of mc601, mc602, mc603, mc403");
  o.meter.model = *model;
  o.meter.serial = a.serial;
  o.meter.customer_number = a.serial;
  if (!a.energy_unit.empty()) {
    auto unit = sim::energy_unit_from_text(a.energy_unit);
    if (!unit || *unit == sim::EnergyUnit::gcal) {
      fail("--energy-unit '" + a.energy_unit + "' is not kWh, MWh or GJ");
    }
    o.meter.energy_unit = unit;
  }
  o.latency = std::chrono::milliseconds(a.latency_ms);
  asio::io_context io;
  sim::KmpEmulator emulator(io, std::move(o));
  run_serial(io, emulator, a.common, name);
}

core::iec::Record parse_record(const std::string& text) {
  // ID(VALUE*UNIT) or ID(VALUE)
  const std::size_t open = text.find('(');
  if (open == std::string::npos || open == 0 || text.size() < open + 2 || text.back() != ')') {
    fail("--extra-record '" + text + "' is not ID(VALUE*UNIT) or ID(VALUE)");
  }
  core::iec::Record r;
  r.id = text.substr(0, open);
  const std::string inner = text.substr(open + 1, text.size() - open - 2);
  const std::size_t star = inner.find('*');
  if (star == std::string::npos) {
    r.value = inner;
  } else {
    r.value = inner.substr(0, star);
    r.unit = inner.substr(star + 1);
  }
  return r;
}

void run_mc66(const Mc66Args& a, sim::Mc66Variant variant) {
  const std::string name =
      emulator_name(variant == sim::Mc66Variant::c ? core::sample::MeterKind::mc66c
                                                   : core::sample::MeterKind::mc66b);
  sim::Mc66EmulatorOptions o;
  o.common = common_options(a.common, name);
  o.meter.variant = variant;
  o.meter.ident = a.ident;
  o.meter.customer = a.serial;
  auto program = core::iec::parse_program_number(a.program);
  if (!program) fail("--program: " + program.error().message());
  o.meter.program = *program;
  for (const std::string& r : a.extra_records)
    o.meter.extra_records.push_back(parse_record(r));
  if (auto s = sim::validate(o.meter); !s) fail(s.error());
  o.readout_latency = std::chrono::milliseconds(a.latency_ms.value_or(a.readout_latency_ms));
  o.data_latency = std::chrono::milliseconds(a.latency_ms.value_or(a.data_latency_ms));
  o.strict_reply_stop_bits = !a.lenient_stop_bits;
  asio::io_context io;
  sim::Mc66Emulator emulator(io, std::move(o));
  run_serial(io, emulator, a.common, name);
}

void run_pulse(const PulseArgs& a) {
  sim::PulseOptions o;
  o.link = a.link;
  o.power_w = a.power_w;
  o.imp_per_kwh = a.imp_per_kwh;
  o.rate = a.rate;
  if (!o.power_w && !o.rate) fail("give --power-w (with --imp-per-kwh) or --rate");
  o.shape.width_ms = a.width_ms;
  o.shape.jitter_ms = a.jitter_ms;
  o.shape.bounce = a.bounce;
  o.shape.seed = a.seed;
  auto wh = sim::scaled_integer(a.start_energy, 3, false, "--start-energy (kWh)");
  if (!wh) fail(wh.error().detail);
  o.start_energy_wh = static_cast<std::uint64_t>(*wh);
  const std::string name = emulator_name(core::sample::MeterKind::pulse_electricity);
  o.log = make_logger(name, a.quiet);
  o.verbose = a.verbose;
  if (auto p = sim::pulse_options_problem(o); !p.empty()) fail(p);
  asio::io_context io;
  sim::PulseEmulator emulator(io, std::move(o));
  if (auto s = emulator.start(); !s) fail(s.error());
  std::unique_ptr<sim::ControlServer> control;
  if (!a.control.empty()) {
    auto server = sim::ControlServer::open(
        io, a.control, [&](const nlohmann::json& r) { return emulator.control(r); },
        [&io] { io.stop(); });
    if (!server) fail(server.error());
    control = std::move(server).value();
  }
  ordered_json ready;
  ready["meter"] = name;
  ready["link"] = a.link;
  ready["control"] = a.control;
  std::cout << ready.dump() << std::endl;
  if (!a.quiet) {
    std::cerr << "meterlogger sim pulse: edges on " << a.link << ", "
              << emulator.state_json()["rate_per_s"].get<double>() << " pulses/s" << std::endl;
  }
  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io, &a](const asio::error_code& ec, int sig) {
    if (ec) return;
    if (!a.quiet) std::cerr << "meterlogger sim pulse: signal " << sig << ", stopping" << std::endl;
    io.stop();
  });
  io.run();
}

void run_ctl(const CtlArgs& a) {
  auto client = sim::ControlClient::connect(a.control);
  if (!client) fail(client.error().detail);
  std::vector<std::string> lines = a.requests;
  if (lines.empty()) {
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty()) lines.push_back(line);
    }
  }
  int status = 0;
  for (const std::string& line : lines) {
    if (auto s = client->send_line(line); !s) fail(s.error().detail);
    auto answer = client->read_line(std::chrono::milliseconds(a.timeout_ms));
    if (!answer) fail(answer.error().detail);
    std::cout << *answer << '\n';
    auto j = nlohmann::json::parse(*answer, nullptr, false);
    if (j.is_discarded() || !j.value("ok", false)) status = 2;
  }
  std::cout.flush();
  if (status != 0) throw ToolFailure(status, "the emulator answered with an error");
}

}  // namespace

void add_sim_commands(CLI::App& app) {
  CLI::App* simcmd = app.add_subcommand(
      "sim", "Meter emulators: KMP, MULTICAL 66C/66B (EN 61107) and S0 pulses, for testing");
  simcmd->require_subcommand(1);
  simcmd->footer(
      "Each meter emulator serves a pseudo-terminal behind --link, checks the client's line\n"
      "settings like a real meter, paces its replies at the baud rate and can inject faults.\n"
      "See docs/emulators.md.");
  add_backfill_command(*simcmd);
  add_fleet_command(*simcmd);

  auto kmp_args = std::make_shared<KmpArgs>();
  CLI::App* kmp = simcmd->add_subcommand(
      emulator_name(core::sample::MeterKind::kmp),
      "Emulate a " + std::string(meter::driver_of(core::sample::MeterKind::kmp).description));
  kmp->footer(
      "Example:\n"
      "  meterlogger sim kmp --model mc601 --serial 6892850 --link /tmp/kmp0 --control "
      "/tmp/kmp0.ctl\n"
      "  meterlogger kmp request registers e1 v1 hr t1 t2 tdif flow1 effect1\n"
      "The client must use 1200 baud 8N2. Stop with Ctrl-C or {\"cmd\":\"quit\"}.");
  add_common(kmp, kmp_args->common);
  kmp->add_option("--model", kmp_args->model, "mc601 | mc602 | mc603 | mc403")
      ->capture_default_str();
  kmp->add_option("--serial", kmp_args->serial, "serial number (GetSerialNo)")
      ->capture_default_str();
  kmp->add_option("--energy-unit", kmp_args->energy_unit,
                  "kWh | MWh | GJ (default: kWh, GJ for the mc403)");
  kmp->add_option("--latency-ms", kmp_args->latency_ms, "from the last request byte to the reply")
      ->capture_default_str();
  kmp->callback([kmp_args] { run_kmp(*kmp_args); });

  for (const auto variant : {sim::Mc66Variant::c, sim::Mc66Variant::b}) {
    const bool is_c = variant == sim::Mc66Variant::c;
    const std::string name =
        emulator_name(is_c ? core::sample::MeterKind::mc66c : core::sample::MeterKind::mc66b);
    auto args = std::make_shared<Mc66Args>();
    CLI::App* cmd = simcmd->add_subcommand(
        name, is_c ? "Emulate a Kamstrup MULTICAL 66C (EN 61107: readout, /#1 /#2 /#C)"
                   : "Emulate a Kamstrup MULTICAL 66B (EN 61107: readout, /#1 /#2; no /#C)");
    cmd->footer(std::string("Example:\n  meterlogger sim ") + name +
                " --serial 40 --link /tmp/mc66 --control /tmp/mc66.ctl\n"
                "Requests at 300 baud 7E2 (software parity on a pseudo-terminal); replies at 300 "
                "7E1\n(ident, readout) or 1200 7E1 (/#n): the client must have switched by the "
                "time the reply\nstarts (--readout-latency-ms / --data-latency-ms after the "
                "request).");
    add_common(cmd, args->common);
    cmd->add_option("--serial", args->serial, "customer number (record 0.0; the reader's serial)")
        ->capture_default_str();
    cmd->add_option("--program", args->program,
                    "program number: ABCCC, xxABCCC, ABCCCDDEFFGG or xxABCCCDDEFFGG")
        ->capture_default_str();
    cmd->add_option("--ident", args->ident, "identification text (after '/')")
        ->capture_default_str();
    cmd->add_option("--latency-ms", args->latency_ms,
                    "latency of every reply (sets both of the following)");
    cmd->add_option("--readout-latency-ms", args->readout_latency_ms,
                    "from the end of /?! or ACK 000 to the reply")
        ->capture_default_str();
    cmd->add_option("--data-latency-ms", args->data_latency_ms,
                    "from the end of /#1 /#2 /#C to the reply")
        ->capture_default_str();
    cmd->add_option("--extra-record", args->extra_records,
                    "another readout record, ID(VALUE*UNIT) or ID(VALUE); repeatable");
    cmd->add_flag("--lenient-stop-bits", args->lenient_stop_bits,
                  "answer even if the client still has 2 stop bits set for the reply");
    cmd->callback([args, variant] { run_mc66(*args, variant); });
  }

  auto pulse_args = std::make_shared<PulseArgs>();
  CLI::App* pulse =
      simcmd->add_subcommand(emulator_name(core::sample::MeterKind::pulse_electricity),
                             "Emulate an S0 pulse meter (edges on a Unix socket)");
  pulse->footer(
      "Example:\n"
      "  meterlogger sim pulse --power-w 1500 --imp-per-kwh 1000 --link /tmp/s0 --control "
      "/tmp/s0.ctl\n"
      "  socat - UNIX-CONNECT:/tmp/s0      # falling <ns> / rising <ns>, CLOCK_MONOTONIC");
  pulse->add_option("--link", pulse_args->link, "Unix socket path the edges are served on")
      ->required();
  pulse->add_option("--control", pulse_args->control, "Unix socket for the control interface");
  pulse->add_option("--power-w", pulse_args->power_w, "constant power in W");
  pulse->add_option("--imp-per-kwh", pulse_args->imp_per_kwh, "meter constant, pulses per kWh")
      ->capture_default_str();
  pulse->add_option("--rate", pulse_args->rate, "pulses per second (instead of --power-w)");
  pulse->add_option("--width-ms", pulse_args->width_ms, "pulse width")->capture_default_str();
  pulse->add_option("--jitter-ms", pulse_args->jitter_ms, "width jitter, +-")
      ->capture_default_str();
  pulse
      ->add_option("--bounce", pulse_args->bounce,
                   "contact bounce: extra short glitches after each edge")
      ->capture_default_str();
  pulse->add_option("--seed", pulse_args->seed, "seed of the jitter and bounce")
      ->capture_default_str();
  pulse->add_option("--start-energy", pulse_args->start_energy, "energy at the start, kWh")
      ->capture_default_str();
  pulse->add_flag("--quiet", pulse_args->quiet, "no log lines on standard error");
  pulse->add_flag("--verbose", pulse_args->verbose, "log more");
  pulse->callback([pulse_args] { run_pulse(*pulse_args); });

  auto ctl_args = std::make_shared<CtlArgs>();
  CLI::App* ctl = simcmd->add_subcommand("ctl", "Send control requests to a running emulator");
  ctl->footer(
      "Example:\n"
      "  meterlogger sim ctl --control /tmp/kmp0.ctl '{\"cmd\":\"state\"}'\n"
      "  meterlogger sim ctl --control /tmp/kmp0.ctl '{\"cmd\":\"set\",\"freeze\":true}'\n"
      "Without requests, one request per line is read from standard input. Prints each answer\n"
      "on one line; exit status 2 when an answer has \"ok\": false.");
  ctl->add_option("--control", ctl_args->control, "the emulator's control socket")->required();
  ctl->add_option("requests", ctl_args->requests, "JSON requests, one per argument");
  ctl->add_option("--timeout-ms", ctl_args->timeout_ms, "wait this long for each answer")
      ->capture_default_str();
  ctl->callback([ctl_args] { run_ctl(*ctl_args); });
}

}  // namespace ml::app
