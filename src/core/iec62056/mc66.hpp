// Kamstrup MULTICAL 66 data strings: the replies to "/#1" (standard data 1), "/#2" (standard
// data 2) and "/#C" (instantaneous values). Each is a line of space-separated decimal tokens
// (7 digits, the customer number 11), ended by CR, without units or decimal point: the
// decimals follow from the meter's program number A-B-CCC (Kamstrup technical
// description 5511-634; docs/protocols/en61107.md).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::core::iec {

inline constexpr std::size_t kMaxReplyBytes = 256;
inline constexpr std::size_t kMaxReplyTokens = 32;
inline constexpr std::size_t kMaxTokenChars = 12;

// ---- program number and the decimals table ----

// B: the energy unit.
struct EnergyUnitCode {
  std::uint8_t b;
  std::string_view unit;
};
inline constexpr std::array<EnergyUnitCode, 4> kEnergyUnits{{
    {2, "GJ"},
    {3, "kWh"},
    {4, "MWh"},
    {5, "Gcal"},
}};

// Exponent of one count of a value: d decimals -> -d, "x10" (counts in tens) -> +1.
// kNotUsed: the unit is not used with that flow-meter code.
inline constexpr std::int8_t kNotUsed = 127;

// One row of the CCC table: decimals of energy (per unit), volume, flow and power.
struct FlowMeterCode {
  std::uint16_t ccc;
  std::int8_t kwh;
  std::int8_t mwh_gcal;
  std::int8_t gj;
  std::int8_t m3;
  std::int8_t l_per_h;
  std::int8_t m3_per_h;
  std::int8_t kw;
  std::int8_t mw;
  std::string_view qp;  // nominal flow in m3/h; "" for the reed-contact codes 000..009
};

// ULTRAFLOW II / 65-X codes and the reed-contact codes 000, 006, 009 (Kamstrup 5511-634).
inline constexpr std::int8_t kX10 = 1;
inline constexpr std::int8_t kNo = kNotUsed;
inline constexpr std::array<FlowMeterCode, 21> kFlowMeterCodes{{
    // ccc  kWh  MWh/Gcal GJ  m3   l/h  m3/h  kW   MW    qp
    {116, 0, -3, -2, -2, 0, kNo, -1, kNo, "0.6"},
    {197, 0, -3, -2, -2, 0, kNo, -1, kNo, "1"},
    {119, 0, -3, -2, -2, 0, kNo, -1, kNo, "1.5"},
    {198, 0, -3, -2, -2, 0, kNo, -1, kNo, "2.5"},
    {136, 0, -3, -2, -2, 0, kNo, -1, kNo, "2.5 / 3.0"},
    {151, kNo, -2, -1, -1, 0, kNo, -1, kNo, "3.5"},
    {137, kNo, -2, -1, -1, 0, kNo, -1, kNo, "6 / 10"},
    {178, kNo, -2, -1, -1, 0, kNo, -1, kNo, "10"},
    {120, kNo, -2, -1, -1, 0, kNo, -1, kNo, "15 / 25"},
    {179, kNo, -2, -1, -1, 0, kNo, -1, kNo, "25"},
    {158, kNo, -1, 0, 0, kNo, -2, 0, kNo, "40"},
    {170, kNo, -1, 0, 0, kNo, -2, kNo, -3, "60"},
    {180, kNo, -1, 0, 0, kNo, -2, kNo, -3, "100"},
    {147, kNo, -1, 0, 0, kNo, -2, kNo, -3, "150"},
    {181, kNo, -1, 0, 0, kNo, -2, kNo, -3, "250"},
    {171, kNo, 0, kX10, kX10, kNo, -1, kNo, -2, "400"},
    {172, kNo, 0, kX10, kX10, kNo, -1, kNo, -2, "600 / 1000"},
    {182, kNo, 0, kX10, kX10, kNo, -1, kNo, -2, "1000"},
    {0, kNo, -3, -2, -2, kNo, -2, kNo, -3, ""},
    {6, kNo, -2, -1, -1, kNo, 0, kNo, -1, ""},
    {9, 0, -3, -2, -2, kNo, -2, kNo, -3, ""},
}};

// The row for ccc, or nullptr.
const FlowMeterCode* find_flow_meter_code(std::uint16_t ccc);
// "GJ", "kWh", "MWh", "Gcal", or "" for an unknown B.
std::string_view energy_unit(std::uint8_t b);

// Program number A-B-CCC (+ DD-E-FF-GG when known). A: flow meter position (3 flow pipe,
// 4 return pipe), B: energy unit, CCC: flow-meter code.
struct ProgramNumber {
  std::uint8_t xx = 0;  // the two leading digits of the /#2 token "xxABCCC"
  std::uint8_t a = 0;
  std::uint8_t b = 0;
  std::uint16_t ccc = 0;
  bool has_ddeffgg = false;  // whether the rest below is known
  std::uint8_t dd = 0;
  std::uint8_t e = 0;
  std::uint8_t ff = 0;
  std::uint8_t gg = 0;
  bool operator==(const ProgramNumber&) const = default;

  // The sample's 12-digit text A B CCC DD E FF GG ("112345010200"), or "ABCCC" (5 digits) when
  // DDEFFGG is not known.
  std::string text() const;
  // The /#2 tokens as numbers: xxABCCC and DDEFFGG.
  std::uint32_t abccc_token() const;
  std::uint32_t ddeffgg_token() const;
};

// From text: "ABCCC" (5 digits), the /#2 token "xxABCCC" (7), "ABCCCDDEFFGG" (12) or the two
// tokens "xxABCCCDDEFFGG" (14); '-' and spaces between digits are ignored ("3-4-116").
Result<ProgramNumber> parse_program_number(std::string_view text);
// From the two /#2 tokens (7 digits each).
Result<ProgramNumber> program_from_tokens(std::string_view abccc, std::string_view ddeffgg);

// ---- where the decimal point goes ----

enum class Scaling : std::uint8_t {
  program,   // decimals from the program number's CCC row
  fallback,  // no program number, or one the table does not cover: the original's scaling
};
std::string_view scaling_name(Scaling scaling);  // "program" / "fallback"

// How a single value got its decimals.
enum class Placement : std::uint8_t {
  fixed,     // independent of the program: temperatures 0.01 C, hours and codes integers
  program,   // from the CCC row
  fallback,  // the original's fixed scaling: power /10 kW, flow integer l/h
  unscaled,  // decimals unknown: the token's integer as is
};
std::string_view placement_name(Placement placement);  // "fixed", "program", ...

struct ValueScale {
  std::int32_t exponent = 0;
  std::string_view unit;
  Placement placement = Placement::unscaled;
};

struct Scale {
  Scaling scaling = Scaling::fallback;
  std::string reason;  // why the fallback is used; "" with Scaling::program
  ValueScale energy;
  ValueScale volume;
  ValueScale flow;
  ValueScale power;
};

// Scale for a program number. Scaling::program needs a CCC in kFlowMeterCodes and a B whose
// energy column that row uses; otherwise the fallback (energy and volume unscaled, power
// /10 kW, flow integer l/h) with the reason.
Scale scale_for(const std::optional<ProgramNumber>& program);

// ---- the data strings ----

enum class Mc66Request : std::uint8_t {
  standard_data_1,  // "/#1"
  standard_data_2,  // "/#2"
  inst_values,      // "/#C"
};
std::string_view request_text(Mc66Request request);  // "/#1", "/#2", "/#C"
std::string_view request_name(Mc66Request request);  // "standard data 1", ...

enum class FieldKind : std::uint8_t {
  energy,       // scaled by B and CCC
  volume,       // m3, scaled by CCC
  hours,        // integer h
  temperature,  // 0.01 C, may be negative
  power,        // kW or MW, scaled by CCC
  flow,         // l/h or m3/h, scaled by CCC
  integer,      // a code or counter: integer, no unit
  unscaled,     // a register whose decimals the table does not give
  customer,     // customer number, 11 digits
};

struct FieldSpec {
  std::string_view name;  // sample key where there is one: "t1", "effect1", "flow1"
  FieldKind kind;
  std::uint8_t digits;  // token width
  std::string_view meaning;
};

inline constexpr std::array<FieldSpec, 10> kStandardData1Fields{{
    {"energy", FieldKind::energy, 7, "E1-E2, energy"},
    {"volume", FieldKind::volume, 7, "Vol 1"},
    {"hours", FieldKind::hours, 7, "operating hours"},
    {"t1", FieldKind::temperature, 7, "T1, flow temperature"},
    {"t2", FieldKind::temperature, 7, "T2, return temperature"},
    {"tdif", FieldKind::temperature, 7, "T1-T2"},
    {"effect1", FieldKind::power, 7, "Power 1"},
    {"flow1", FieldKind::flow, 7, "Flow 1"},
    {"peak_power", FieldKind::power, 7, "peak power (actual)"},
    {"info", FieldKind::integer, 7, "info code"},
}};

inline constexpr std::array<FieldSpec, 10> kStandardData2Fields{{
    {"customer", FieldKind::customer, 11, "customer number"},
    {"ta2", FieldKind::unscaled, 7, "TA2, tariff register 2"},
    {"tl2", FieldKind::unscaled, 7, "TL2, tariff limit 2"},
    {"ta3", FieldKind::unscaled, 7, "TA3, tariff register 3"},
    {"tl3", FieldKind::unscaled, 7, "TL3, tariff limit 3"},
    {"in_a", FieldKind::unscaled, 7, "In-A, pulse input A"},
    {"in_b", FieldKind::unscaled, 7, "In-B, pulse input B"},
    {"abccc", FieldKind::integer, 7, "program number xxABCCC"},
    {"ddeffgg", FieldKind::integer, 7, "program number DDEFFGG"},
    {"date", FieldKind::integer, 7, "date"},
}};

inline constexpr std::array<FieldSpec, 8> kInstValuesFields{{
    {"t1", FieldKind::temperature, 7, "T1, flow temperature"},
    {"t3", FieldKind::temperature, 7, "T3"},
    {"t2", FieldKind::temperature, 7, "T2, return temperature"},
    {"p1", FieldKind::unscaled, 7, "P1"},
    {"p2", FieldKind::unscaled, 7, "P2"},
    {"flow1", FieldKind::flow, 7, "Flow 1"},
    {"flow2", FieldKind::flow, 7, "Flow 2"},
    {"effect1", FieldKind::power, 7, "Power 1"},
}};

// The fields of a reply, in reply order.
std::span<const FieldSpec> reply_fields(Mc66Request request);

// How a field is scaled under `scale`.
ValueScale field_scale(FieldKind kind, const Scale& scale);

struct Mc66Value {
  std::string_view name;
  std::string token;      // as sent, e.g. "-002735"
  Decimal value;          // placed: -27.35
  std::string_view unit;  // "C", "kW", "m3/h", ...; "" when none or not known
  Placement placement = Placement::fixed;
};

struct Mc66Reply {
  Mc66Request request = Mc66Request::standard_data_1;
  Scaling scaling = Scaling::fallback;
  std::string fallback_reason;            // "" with Scaling::program
  std::optional<ProgramNumber> program;   // the one used; for /#2 the one the reply carries
  std::optional<std::uint64_t> customer;  // /#2
  std::vector<Mc66Value> values;          // in reply order
  std::vector<std::string> extra_tokens;  // tokens after the documented fields

  const Mc66Value* find(std::string_view name) const;
};

// Parses one reply: tokens "-?digits" separated by spaces, ended by CR (an LF after it is
// tolerated). Errors (iec_too_long, iec_bad_reply) name the offset, token or count that is
// wrong; fewer tokens than the request has fields is an error, more are kept in extra_tokens.
// `program` places the decimals of /#1 and /#C; /#2 takes its program number from the reply.
Result<Mc66Reply> parse_reply(Mc66Request request, ByteView bytes,
                              const std::optional<ProgramNumber>& program = std::nullopt);

// Builds a reply line from values in reply_fields(request) order, scaled as parse_reply would
// with `program`: zero-padded tokens (7 or 11 digits, '-' in place of the first digit when
// negative), one space apart, CR at the end. A value with more decimals than its place allows,
// or too large for its token, is an error (invalid_argument).
Result<std::string> encode_reply(Mc66Request request, std::span<const Decimal> values,
                                 const std::optional<ProgramNumber>& program = std::nullopt);

// One token of `digits` characters for the integer count.
Result<std::string> encode_token(std::int64_t count, std::uint8_t digits);

}  // namespace ml::core::iec
