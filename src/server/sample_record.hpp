// How a sample is stored and read, decided once for every backend (docs/server.md, "Storage"):
// sample_record() builds what a backend keeps from a verified message; stored_sample() turns a
// kept record back into what readers use, parsing the text as received in this one place.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/store/samples.hpp"

namespace ml::server {

// The record of a sample item (kind sample): its text, the normalised energy (e1 in kWh) and
// volume (v1 in m3) when the sample has them, its quirks; `received` is the server's time.
SampleRecord sample_record(const IngestItem& item, std::int64_t received);

// A normalised energy or volume as a backend keeps it: exact decimal text, or none.
std::optional<std::string> decimal_text(const std::optional<core::Decimal>& d);

// A kept sample's record read back from a backend's row (the decimals as kept, the quirks NULL
// when none): an error when a decimal no longer parses.
core::Result<SampleRecord> kept_record(std::string serial, std::int64_t time, std::string text,
                                       const std::optional<std::string>& energy_kwh,
                                       const std::optional<std::string>& volume_m3,
                                       std::int64_t received,
                                       const std::optional<std::string>& quirks);

// A kept sample as readers see it: values and units from the text as received (a text that no
// longer parses gives none), the energy and volume as kept (exact decimal text).
StoredSample stored_sample(std::string serial, std::int64_t time, std::string_view text,
                           std::optional<std::string> energy_kwh,
                           std::optional<std::string> volume_m3);

}  // namespace ml::server
