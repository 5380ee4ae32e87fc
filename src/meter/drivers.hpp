// The meter drivers as one table: every kind of meter the agent reads, with its name (the
// agent's `protocol` and `meterlogger read --protocol`), what its meters measure, what a build
// for it can do (valve, cron, a serial read from the meter, flow-meter mode), the sample keys it
// produces, how to read one sample over a link and which `meterlogger sim` emulator plays it.
// The agent's configuration, its Device, `meterlogger read`, `meterlogger sim` and the setup page
// ask this table instead of testing names. Adding a meter type: docs/drivers.md.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/meter/kind.hpp"
#include "core/result.hpp"
#include "core/sample/sample.hpp"
#include "core/topic/names.hpp"
#include "meter/kmp_reader.hpp"
#include "meter/mc66_reader.hpp"
#include "meter/session.hpp"

namespace ml::meter {

// How the agent reaches a meter: a serial port (or a serial server), or a pulse input.
enum class Link : std::uint8_t { serial_port, pulse_input };

// The settings of one read; what a protocol does not use it ignores.
struct ReadOptions {
  bool flow_meter = false;                  // a meter built as a flow (water) meter
  bool read_serial = true;                  // KMP: ask GetSerialNo (EN 61107 always reads it)
  std::vector<std::uint16_t> registers;     // KMP: empty = the eight registers of the sample
  milliseconds timeout{0};                  // 0: the protocol's default
  int retries = 2;                          // further tries after a failed request
  std::optional<milliseconds> retry_delay;  // nullopt: the protocol's default
  bool wake_up = true;                      // EN 61107: NUL bytes before the ident
  std::optional<std::size_t> wakeup_count;  // EN 61107: nullopt = the default (16)
};

// One read: what the protocol returned (for `meterlogger read` to show) and the sample's
// Reading built from it, whose serial is the one the meter reports ("" when not asked). The
// sample is an error when the reply lacks a value the sample needs (or registers other than the
// sample's were asked for).
struct MeterRead {
  std::variant<KmpReading, Mc66Reading> detail;
  core::Result<core::sample::Reading> sample;
};

// Reads one sample over the session's link. Errors are those of the protocol's reader
// (meter_timeout, meter_bad_reply, meter_link).
using ReadFn = asio::awaitable<core::Result<MeterRead>> (*)(Session&, const ReadOptions&);

// The drivers' read functions, each beside its protocol's reader.
asio::awaitable<core::Result<MeterRead>> read_kmp_meter(Session& session, const ReadOptions& o);
asio::awaitable<core::Result<MeterRead>> read_mc66c_meter(Session& session, const ReadOptions& o);
asio::awaitable<core::Result<MeterRead>> read_mc66b_meter(Session& session, const ReadOptions& o);

struct Driver {
  // Its name is core::sample::meter_kind_name(kind): the configuration's `protocol`.
  core::sample::MeterKind kind;
  // The kind of the readings with flow_meter = true (the same kind, or a water variant).
  core::sample::MeterKind flow_kind;
  // What its meters measure; a meter in flow-meter mode measures water. The valve and cron
  // capabilities follow this kind (has_valve): a valve build is a heat meter's, also when it is
  // built as a flow meter (the original's FLOW + THERMO_NC builds).
  core::meter::Kind measures;
  Link link;
  bool serial_number;        // the meter reports its serial; otherwise the configuration gives it
  bool flow_meter_mode;      // `flow_meter = true` is allowed
  std::string_view model;    // in the `version` reply: KMP, MC, MC_B, IMPULSE
  std::string_view product;  // what `meterlogger read` calls the meter: "MULTICAL 66C"
  std::string_view description;  // for --help
  ReadFn read;                   // Link::serial_port only; nullptr for pulse inputs
  std::string_view emulator;     // the `meterlogger sim` subcommand that plays such a meter
};

inline constexpr std::array<Driver, 4> kDrivers{{
    {core::sample::MeterKind::kmp, core::sample::MeterKind::kmp, core::meter::Kind::heat,
     Link::serial_port, true, true, "KMP", "KMP meter", "Kamstrup MULTICAL 601/602/603/403 (KMP)",
     &read_kmp_meter, "kmp"},
    {core::sample::MeterKind::mc66c, core::sample::MeterKind::mc66c, core::meter::Kind::heat,
     Link::serial_port, true, true, "MC", "MULTICAL 66C", "Kamstrup MULTICAL 66C (EN 61107)",
     &read_mc66c_meter, "mc66c"},
    {core::sample::MeterKind::mc66b, core::sample::MeterKind::mc66b, core::meter::Kind::heat,
     Link::serial_port, true, true, "MC_B", "MULTICAL 66B", "Kamstrup MULTICAL 66B (EN 61107)",
     &read_mc66b_meter, "mc66b"},
    {core::sample::MeterKind::pulse_electricity, core::sample::MeterKind::pulse_water,
     core::meter::Kind::electricity, Link::pulse_input, false, true, "IMPULSE", "S0 pulse meter",
     "S0 pulse meter (electricity; water with flow_meter)", nullptr, "pulse"},
}};

// The driver named `name` (its protocol: kmp, mc66c, mc66b, pulse), or nullptr.
const Driver* find_driver(std::string_view name);
// The driver reading meters of `kind` (as its kind or its flow_kind). Every kind has one.
const Driver& driver_of(core::sample::MeterKind kind);
// "kmp, mc66c, mc66b or pulse"; with link, only the drivers on that link.
std::string driver_names(std::optional<Link> link = std::nullopt);
std::string_view name(const Driver& d);

// What a meter of this driver measures: `measures`, or water in flow-meter mode.
core::meter::Kind measures(const Driver& d, bool flow_meter);
// The build has a valve (open, close, status, open_until): the driver's meters are of a kind
// with a valve (core/meter/kind.hpp).
constexpr bool has_valve(const Driver& d) {
  for (const auto& k : core::meter::kKinds) {
    if (k.kind == d.measures) return k.valve;
  }
  return false;
}
// Cron jobs exist only on builds with a valve.
constexpr bool has_cron(const Driver& d) {
  return has_valve(d);
}
// A command of this feature is obeyed by a meter of this driver (core/topic/names.hpp). The
// agent serves the access point commands through its network backend for every meter.
bool supports(const Driver& d, core::topic::Feature feature);
// The command is one the firmware obeys (core::topic::kCommands) and of a feature the driver
// supports; anything else is ignored, as the original ignores unknown commands.
bool obeys(const Driver& d, std::string_view command);
// The keys after "heap" of its samples (core::sample::sample_keys).
std::span<const std::string_view> sample_keys(const Driver& d, bool flow_meter);

}  // namespace ml::meter
