// A packed day: every sample of one meter and one UTC day in one value (docs/server.md,
// "Storage": packed days). The samples table keeps a row per sample, about 170-215 bytes with its
// index; a day of a meter sending every minute is 1 440 rows that repeat the same keys and units.
// Packed, the day is one row of `sample_days` whose `data` holds the records column by column
// (times, received times, texts, energies, volumes, quirks) compressed with zlib: the same
// records, exactly, in a tenth of the space or less.
//
// The format (version 1), all of it written and read here:
//   "MLP1" then a zlib stream (RFC 1950: its Adler-32 checks the whole body) of:
//   count                          varint, 1..kPackedMaxSamples
//   time of each                   the first as a zigzag varint of its unix time (in the day),
//                                  then each as a varint of its distance from the one before (>= 1)
//   received - time of each        zigzag varint
//   text of each                   varint length, bytes (1..kMaxTextSize)
//   energy_kwh of each             varint 0 (none) or length + 1, then the decimal's text
//   volume_m3 of each              the same
//   quirks of each                 varint length (0: none), bytes
// A varint is LEB128 (7 bits a byte, low first, at most 10 bytes); zigzag maps 0, -1, 1, -2, ...
// to 0, 1, 2, 3, ... unpack_day() is a parser of
// stored bytes: bounded (the body at most kPackedMaxBytes, however the stream claims), and any
// fault is an error naming the serial, the day and what was wrong; fuzz/fuzz_sample_pack.cpp.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "server/store/samples.hpp"

namespace ml::server {

inline constexpr std::int64_t kDaySeconds = 86400;
inline constexpr std::size_t kPackedMaxSamples = 86400;            // one a second
inline constexpr std::size_t kPackedMaxBytes = 64u * 1024 * 1024;  // the body, unpacked
inline constexpr std::size_t kPackedMaxDecimal = 64;               // energy, volume: text bytes

// The UTC day a time falls in (days since 1970-01-01; negative before).
std::int64_t day_of(std::int64_t time);

// The records of one meter and day, oldest first, no two with the same time, every one of the
// day `day` (preconditions; the serial is not kept: the row names it). Deterministic: the same
// records give the same bytes.
std::vector<std::uint8_t> pack_day(const std::vector<SampleRecord>& records);

// The records pack_day() was given, each with `serial`; an error (storage_failure) when the
// bytes are not a packed day of `day`: a bad header, checksum or varint, a count, time or length
// out of range, times not increasing or outside the day, a decimal that does not parse, bytes
// left over.
core::Result<std::vector<SampleRecord>> unpack_day(std::span<const std::uint8_t> data,
                                                   const std::string& serial, std::int64_t day);

}  // namespace ml::server
