// Hourly and daily rollups, backend-neutral: the bucket a time falls in, adding one new sample
// to its bucket (first/last by time, exact sums and counts of the averaged fields, and the
// overflow policy), and the text form of the sums for a backend that keeps them as one column.
// A backend only reads and writes a bucket (store/samples.hpp); the rules are here, once.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"
#include "core/sample/sample.hpp"
#include "server/store/samples.hpp"

namespace ml::server {

// The fields whose rollup is an average (an exact sum and a count; docs/server.md, "Storage").
inline constexpr std::array<std::string_view, 5> kAveragedFields = {"t1", "t2", "tdif", "flow1",
                                                                    "effect1"};

// Unix seconds at the start of the UTC hour or day `time` falls in (also before 1970).
std::int64_t bucket_of(Period period, std::int64_t time);

// Adds one new sample (at `time`, with its normalised energy and volume, and its parsed fields)
// to its bucket `r` (r.samples == 0: an empty bucket). Sums and counts do not depend on the
// order and first/last follow the times, so a late sample lands correctly in an old bucket.
// A sum that would leave 64 bits marks that field's average unavailable for the bucket (the
// sample itself is stored as sent, and the bucket's other fields go on).
void add_to_rollup(Rollup& r, std::int64_t time, const std::optional<std::string>& energy_kwh,
                   const std::optional<std::string>& volume_m3,
                   const core::sample::ParsedSample& sample);

// The sums as one text: "t1=1234.56/60&tdif=/-1&" (a count of -1: unavailable). decode_sums
// reads it back; a malformed text is an error (Errc::invalid_argument), never an exception.
std::string encode_sums(const std::map<std::string, AverageSum>& sums);
core::Result<std::map<std::string, AverageSum>> decode_sums(std::string_view text);

}  // namespace ml::server
