// meterlogger read: read a meter once over a serial port or a serial server, print the values.
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>
#include <iostream>
#include <optional>

#include "common.hpp"
#include "core/kmp/registers.hpp"
#include "core/kmp/units.hpp"
#include "core/sample/sample.hpp"
#include "meter/drivers.hpp"

namespace ml::app {
namespace {

using nlohmann::ordered_json;
namespace iec = core::iec;

struct ReadOptions {
  std::string port;
  std::string protocol = "kmp";
  std::vector<std::string> registers;
  bool json = false;
  std::string dump;
  int timeout_ms = 0;  // 0: the protocol's default
  int retries = 2;
  int retry_delay_ms = -1;  // -1: the protocol's default
  bool no_wakeup = false;
  int wakeup_count = 16;
  bool verbose = false;
  bool no_serial = false;
};

ordered_json stats_json(const meter::LinkStats& s) {
  return ordered_json{{"requests", s.requests},
                      {"replies_ok", s.replies_ok},
                      {"timeouts", s.timeouts},
                      {"check_errors", s.check_errors},
                      {"bad_replies", s.bad_replies},
                      {"truncated", s.truncated},
                      {"retries", s.retries},
                      {"echo_bytes", s.echo_bytes},
                      {"garbage_bytes", s.garbage_bytes},
                      {"parity_errors", s.parity_errors},
                      {"bytes_sent", s.bytes_sent},
                      {"bytes_received", s.bytes_received}};
}

void print_stats(const meter::LinkStats& s) {
  std::cerr << "link: " << s.requests << " requests, " << s.replies_ok << " replies ok, "
            << s.timeouts << " timeouts, " << s.check_errors << " CRC/BCC errors, " << s.bad_replies
            << " bad replies, " << s.truncated << " truncated, " << s.retries << " retries, "
            << s.echo_bytes << " echo bytes, " << s.garbage_bytes << " garbage bytes, "
            << s.parity_errors << " parity errors, " << s.bytes_sent << " bytes sent, "
            << s.bytes_received << " bytes received\n";
}

std::uint16_t register_arg(const std::string& arg) {
  if (auto info = core::kmp::register_by_name(arg)) return info->id;
  try {
    std::size_t used = 0;
    const unsigned long v = std::stoul(arg, &used, 0);
    if (used == arg.size() && v <= 0xFFFF) return static_cast<std::uint16_t>(v);
  } catch (const std::exception&) {
  }
  fail("unknown register '" + arg + "' (a number, 0x hex, or a name such as E1, V1, T1, HR)");
}

std::string serial_text(std::uint32_t serial) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%07u", serial);
  return buf;
}

template <class T>
T run_on_loop(asio::awaitable<T> task) {
  asio::io_context io;
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
  });
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

// The sample text of a read, when the reply holds every value of the sample.
std::optional<std::string> sample_text(const meter::MeterRead& read) {
  if (!read.sample) return std::nullopt;
  auto text = core::sample::format_sample(*read.sample);
  if (!text) return std::nullopt;
  return *text;
}

void print_kmp(const ReadOptions& o, const meter::Driver& driver, const meter::KmpReading& r,
               const std::optional<std::string>& sample, const meter::LinkStats& stats) {
  if (o.json) {
    ordered_json j;
    j["protocol"] = o.protocol;
    j["port"] = o.port;
    if (r.serial) {
      j["serial"] = *r.serial;
      j["serial_text"] = serial_text(*r.serial);
    }
    ordered_json regs = ordered_json::array();
    for (const auto& v : r.registers)
      regs.push_back(kmp_value_json(v));
    j["registers"] = regs;
    if (sample) j["sample"] = *sample;
    j["link"] = stats_json(stats);
    print_json(j);
    return;
  }
  std::cout << driver.product;
  if (r.serial) std::cout << ' ' << serial_text(*r.serial);
  std::cout << " on " << o.port << '\n';
  for (const auto& v : r.registers) {
    const auto info = core::kmp::register_by_id(v.id);
    const auto unit = core::kmp::unit_by_code(v.unit);
    char line[160];
    std::snprintf(line, sizeof line, "  %-6u %-14s %-40s %s %s\n", v.id,
                  info ? std::string(info->name).c_str() : "?",
                  info ? std::string(info->description).c_str() : "", v.value.to_string().c_str(),
                  unit ? std::string(unit->text).c_str() : "");
    std::cout << line;
  }
  if (sample) std::cout << "sample: " << sample->substr(sample->find('&') + 1) << '\n';
}

ordered_json reply_json(const iec::Mc66Reply& reply) {
  ordered_json values = ordered_json::object();
  for (const auto& v : reply.values) {
    ordered_json x;
    x["value"] = v.value.to_string();
    if (!v.unit.empty()) x["unit"] = v.unit;
    x["token"] = v.token;
    x["placement"] = iec::placement_name(v.placement);
    values[std::string(v.name)] = x;
  }
  ordered_json j;
  j["scaling"] = iec::scaling_name(reply.scaling);
  if (!reply.fallback_reason.empty()) j["fallback_reason"] = reply.fallback_reason;
  j["values"] = values;
  return j;
}

void print_mc66(const ReadOptions& o, const meter::Driver& driver, const meter::Mc66Reading& r,
                const std::optional<std::string>& sample, const meter::LinkStats& stats) {
  const std::string program =
      r.standard_data_2.program ? r.standard_data_2.program->text() : std::string();
  if (o.json) {
    ordered_json j;
    j["protocol"] = o.protocol;
    j["port"] = o.port;
    if (r.readout.ident) j["ident"] = r.readout.ident->text;
    if (r.heat.serial) {
      j["serial"] = *r.heat.serial;
      j["serial_text"] = serial_text(*r.heat.serial);
    }
    if (!program.empty()) j["program"] = program;
    ordered_json readout = ordered_json::object();
    for (const auto& [key, q] :
         {std::pair{"e1", &r.heat.e1}, {"v1", &r.heat.v1}, {"hr", &r.heat.hr}}) {
      if (*q) readout[key] = {{"value", (*q)->value.to_string()}, {"unit", (*q)->unit}};
    }
    j["readout"] = readout;
    j["standard_data_1"] = reply_json(r.standard_data_1);
    if (r.inst_values) j["inst_values"] = reply_json(*r.inst_values);
    if (sample) j["sample"] = *sample;
    j["link"] = stats_json(stats);
    print_json(j);
    return;
  }
  std::cout << driver.product;
  if (r.readout.ident) std::cout << " \"" << r.readout.ident->text << '"';
  if (r.heat.serial) std::cout << ' ' << serial_text(*r.heat.serial);
  std::cout << " on " << o.port << '\n';
  if (!program.empty()) {
    std::cout << "  program " << program
              << " (decimals: " << iec::scaling_name(r.standard_data_1.scaling);
    if (!r.standard_data_1.fallback_reason.empty()) {
      std::cout << ", " << r.standard_data_1.fallback_reason;
    }
    std::cout << ")\n";
  }
  if (sample) std::cout << "sample: " << sample->substr(sample->find('&') + 1) << '\n';
}

void run_read(const ReadOptions& o) {
  const meter::Driver* driver = meter::find_driver(o.protocol);
  if (!driver || !driver->read) {
    fail("unknown protocol '" + o.protocol + "' (" + meter::driver_names(meter::Link::serial_port) +
         ")");
  }
  if (driver->kind != core::sample::MeterKind::kmp && !o.registers.empty()) {
    fail("--registers is for KMP meters only");
  }
  meter::ReadOptions ro;
  for (const auto& r : o.registers)
    ro.registers.push_back(register_arg(r));
  ro.read_serial = !o.no_serial;
  if (o.timeout_ms > 0) ro.timeout = meter::milliseconds(o.timeout_ms);
  ro.retries = o.retries;
  if (o.retry_delay_ms >= 0) ro.retry_delay = meter::milliseconds(o.retry_delay_ms);
  ro.wake_up = !o.no_wakeup;
  ro.wakeup_count = static_cast<std::size_t>(std::max(0, o.wakeup_count));
  std::unique_ptr<meter::Trace> trace;
  if (!o.dump.empty()) {
    auto t = meter::Trace::open(o.dump);
    if (!t) fail(t.error().detail);
    trace = std::move(t).value();
  }
  meter::LinkStats stats;
  const std::string failure = run_on_loop([&]() -> asio::awaitable<std::string> {
    auto link = co_await platform::open_link(o.port);
    if (!link) co_return link.error().detail;
    meter::Session session(**link, stats, trace.get());
    auto r = co_await driver->read(session, ro);
    if (!r) co_return r.error().detail;
    // KMP with --registers: other registers than the sample's, so no sample line.
    const std::optional<std::string> sample =
        ro.registers.empty() ? sample_text(*r) : std::optional<std::string>();
    if (const auto* kmp = std::get_if<meter::KmpReading>(&r->detail)) {
      print_kmp(o, *driver, *kmp, sample, stats);
    } else if (const auto* mc66 = std::get_if<meter::Mc66Reading>(&r->detail)) {
      print_mc66(o, *driver, *mc66, sample, stats);
    }
    co_return std::string();
  }());
  if (o.verbose) print_stats(stats);
  if (!failure.empty()) fail(failure);
}

}  // namespace

void add_read_commands(CLI::App& app) {
  auto o = std::make_shared<ReadOptions>();
  CLI::App* read = app.add_subcommand("read", "Read a meter once and print its values");
  read->footer(
      "KMP: GetSerialNo once, then the registers in as few GetRegister requests as possible\n"
      "(8 per request); by default the eight registers of the v2 sample. MULTICAL 66C/66B: the\n"
      "EN 61107 sequence (wake-up, ident, data readout, /#C, /#1, /#2) with its baud and parity\n"
      "changes. Values are exact decimals with the meter's units. A failed read prints one line\n"
      "and exits with status 1; it never prints a zero or a stale value.\n\n"
      "Examples:\n"
      "  meterlogger read --port /dev/ttyUSB0                      # optical head, KMP\n"
      "  meterlogger read --port /dev/ttyUSB0 --registers E1 V1 T3 99 --json\n"
      "  meterlogger read --port tcp://192.168.1.20:2001          # ser2net, raw TCP\n"
      "  meterlogger read --port /dev/ttyAMA0 --protocol mc66c -v --dump /tmp/trace.txt\n"
      "  meterlogger sim kmp --model mc601 --serial 6892850 --link /tmp/kmp0 &\n"
      "  meterlogger read --port /tmp/kmp0                        # against the emulator");
  read->add_option("--port", o->port, "serial device, or tcp://HOST:PORT of a serial server")
      ->required();
  std::string protocols;
  for (const meter::Driver& d : meter::kDrivers) {
    if (!d.read) continue;
    protocols += (protocols.empty() ? "" : " | ") + std::string(meter::name(d));
  }
  read->add_option("--protocol", o->protocol, protocols)->capture_default_str();
  read->add_option("--registers", o->registers,
                   "KMP registers: ids, 0x ids or names (default: the 8 sample registers)");
  read->add_flag("--json", o->json, "print JSON instead of a table");
  read->add_option("--dump", o->dump,
                   "write a timestamped hex trace of both directions (- = stderr)");
  read->add_option("--timeout", o->timeout_ms,
                   "ms to wait for a reply (default: KMP 2000; EN 61107 per step, 3000-8000)");
  read->add_option("--retries", o->retries, "further tries after a failed request")
      ->capture_default_str();
  read->add_option("--retry-delay", o->retry_delay_ms,
                   "ms before a retry (default: KMP 1000, EN 61107 5000)");
  read->add_flag("--no-wakeup", o->no_wakeup, "EN 61107: do not send NUL bytes before the ident");
  read->add_option("--wakeup-count", o->wakeup_count, "EN 61107: NUL bytes of the wake-up")
      ->capture_default_str();
  read->add_flag("--no-serial", o->no_serial, "KMP: skip GetSerialNo");
  read->add_flag("-v,--verbose", o->verbose, "print the link statistics on stderr");
  read->callback([o] { run_read(*o); });
}

}  // namespace ml::app
