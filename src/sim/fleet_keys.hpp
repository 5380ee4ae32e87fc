// The keys file of `meterlogger sim fleet`: the meters the fleet plays, one a line, in the CSV
// format `meterlogger-server meters import` reads (header `serial,kind,key,name,group,
// setup_value,valve`; RFC 4180). `sim fleet --make-keys` writes one with fresh random keys, an
// operator imports it into the server, and the fleet reads it back: the server and the devices
// then share every key without anyone typing one.
//
// Contract: format_fleet_keys(x) parses back to x. The reader takes what the server's importer
// takes as far as the fleet needs it: a UTF-8 byte order mark, CRLF or LF, blank lines, quoted
// fields (a quote doubled inside), spaces around a field, the columns in any order and case, and
// a semicolon as the delimiter when the header has semicolons and no comma. It needs `serial` and
// `key` (a meter without a key cannot be played); `kind`, when present, must be heat (the fleet
// plays KMP heat meters); other columns are ignored. Every problem names its line. Bounded: at
// most kMaxFleetMeters rows and kMaxFleetKeysBytes bytes. Pure: text in, meters out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/envelope/envelope.hpp"
#include "core/result.hpp"

namespace ml::sim {

inline constexpr std::size_t kMaxFleetMeters = 1'000'000;
inline constexpr std::size_t kMaxFleetKeysBytes = std::size_t{256} << 20;

struct FleetMeter {
  std::string serial;  // canonical (core::topic::Serial)
  core::envelope::MasterKey key{};
  bool operator==(const FleetMeter&) const = default;
};

// The header line, as `meters import` reads it.
inline constexpr std::string_view kFleetKeysHeader = "serial,kind,key,name,group,setup_value,valve";

core::Result<std::vector<FleetMeter>> parse_fleet_keys(std::string_view text);

// The file: the header, then one line per meter: serial, heat, key, "Fleet <serial>", the group,
// no setup value, a valve.
std::string format_fleet_keys(const std::vector<FleetMeter>& meters, std::string_view group);

// Numeric serials first, first + 1, ...: invalid_argument when the last would not fit the
// 32-bit serial of a KMP meter.
core::Result<std::vector<std::string>> fleet_serials(std::uint64_t first, std::size_t count);

}  // namespace ml::sim
