// One model for a meter reading, the v2 sample text the original firmware publishes
// (docs/protocols/sample.md), and the parser the server uses for that text.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/iec62056/mc66.hpp"
#include "core/iec62056/readout.hpp"
#include "core/kmp/messages.hpp"
#include "core/result.hpp"

namespace ml::core::sample {

enum class MeterKind : std::uint8_t {
  kmp,                // Kamstrup MULTICAL over KMP
  mc66c,              // MULTICAL 66C over EN 61107
  mc66b,              // MULTICAL 66B over EN 61107
  pulse_electricity,  // S0 pulse electricity meter
  pulse_water,        // pulse water meter
};

// "kmp", "mc66c", "mc66b", "pulse", "pulse_water".
std::string_view meter_kind_name(MeterKind kind);
std::optional<MeterKind> meter_kind_from_name(std::string_view name);

struct Measurement {
  Decimal value;
  std::string unit;  // "" for unit-less values (the pulse meter's hr)
  bool operator==(const Measurement&) const = default;
};

struct Reading {
  MeterKind kind = MeterKind::kmp;
  // KMP / MC66 meter built as a flow (water) meter: the heat fields are left out.
  bool flow_meter = false;
  std::string serial;
  std::int64_t time = 0;   // unix seconds, the sample's topic time
  std::uint64_t heap = 0;  // free-memory diagnostic, always the first key
  std::string program;     // MC66 program number, 12 digits
  std::map<std::string, Measurement, std::less<>> values;  // by sample key: "t1", "e1", ...
};

// The keys after "heap", in the order the original writes them for this kind of meter.
// "program" stands for Reading::program.
std::span<const std::string_view> sample_keys(MeterKind kind, bool flow_meter);

// "heap=<n>&key=value unit&...&" with a trailing '&' (docs/protocols/sample.md). Every key of the
// kind must be present: a reading with a value missing is an error, never a partial sample.
Result<std::string> format_sample(const Reading& reading);

// A Reading from a KMP register reply. Registers are matched by id through the catalogue (the
// original matched by position); unknown registers are ignored.
Reading reading_from_kmp(std::span<const kmp::RegisterValue> registers, bool flow_meter = false);

// The parts of one MULTICAL 66C/66B cycle (docs/protocols/en61107.md): the data readout gives the
// serial and e1, v1, hr with the meter's units; /#1 gives t1, t2, tdif, effect1, flow1; /#C gives
// t3 (66C only; pass nullptr for a 66B); /#2 gives the program number.
struct Mc66Cycle {
  const iec::HeatValues* readout = nullptr;
  const iec::Mc66Reply* standard_data_1 = nullptr;
  const iec::Mc66Reply* standard_data_2 = nullptr;
  const iec::Mc66Reply* inst_values = nullptr;
};

// A Reading for kind mc66c or mc66b. Missing parts are an error naming them (a 66C needs /#C).
Result<Reading> reading_from_mc66(const Mc66Cycle& cycle, MeterKind kind, bool flow_meter = false);

// ---- parsing (server side) ----

inline constexpr std::size_t kMaxSampleText = 1024;
inline constexpr std::size_t kMaxSampleFields = 32;
// Decimals kept when a unit has no exact decimal conversion to the base unit (GJ -> kWh).
inline constexpr int kNormalizedDecimals = 6;

// A value in the base unit of its quantity: energy in kWh, volume in m3.
struct Normalized {
  Decimal value;
  std::string_view unit;  // "kWh" or "m3"
  bool exact = true;      // false: rounded half-even at max(kNormalizedDecimals, decimals)
};
// nullopt when the unit is not an energy or volume unit of the unit table (or "").
Result<std::optional<Normalized>> normalized(const Decimal& value, std::string_view unit);

// One field of a parsed sample. Its texts are views into the ParsedSample's raw text (the
// normalized unit: a constant), so a field is valid as long as the sample it came from: a field
// costs no allocation, and a batch of a file holds tens of thousands of samples.
struct SampleField {
  std::string_view key;
  // The value exactly as sent; for a value sent with a trailing point (lost_digit) the digits
  // without it ("949018." -> "949018").
  std::string_view text;
  std::string_view unit;         // "" when none
  std::optional<Decimal> value;  // nullopt for "NaN" and for the program number
  // Energy in kWh and volume in m3, when the unit is known; exact unless the conversion has no
  // finite decimal form (J-based units), then rounded half-even to kNormalizedDecimals.
  std::optional<Decimal> normalized;
  std::string_view normalized_unit;  // "kWh" or "m3"
  bool normalized_exact = true;
  // The 2018 firmware cuts the last character of a MULTICAL 66 readout value that has no
  // leading zero (docs/compatibility.md): once V1 reaches 100000 m3, "949018.5" arrives as
  // "949018.". Such a value is read as the digits before the point, and flagged here.
  bool lost_digit = false;
};

// The text and its fields; copied and moved, the fields' views follow the text.
class ParsedSample {
 public:
  ParsedSample() = default;
  ParsedSample(const ParsedSample& other);
  ParsedSample(ParsedSample&& other) noexcept;
  ParsedSample& operator=(const ParsedSample& other);
  ParsedSample& operator=(ParsedSample&& other) noexcept;
  ~ParsedSample() = default;

  const std::string& raw() const { return raw_; }
  const std::vector<SampleField>& fields() const { return fields_; }
  const SampleField* find(std::string_view key) const;
  // What the text shows of a known firmware defect, "" when nothing:
  // "lost_digit:<key>[,<key>...]" (the keys in the order sent).
  std::string quirks() const;

 private:
  friend Result<ParsedSample> parse_sample(std::string_view text);
  // Points the fields' views that were into `old` (the text before a copy or a move) into raw_.
  void rebase(const char* old);

  std::string raw_;
  std::vector<SampleField> fields_;  // in the order sent
};

// Bounded (kMaxSampleText bytes, kMaxSampleFields fields) and strict: every error names the
// field and what is wrong with it. The trailing '&' is optional.
Result<ParsedSample> parse_sample(std::string_view text);

}  // namespace ml::core::sample
