// The alarm rule language (docs/alarms.md): a tokenizer and recursive-descent parser that turn an
// operator's rule text into a typed tree, and a printer that writes the tree back as canonical
// text. No text is evaluated at run time: evaluate.hpp walks the tree. Pure: no I/O, no clock.
//
// Grammar (the contract of this file):
//   rule       = or_expr END
//   or_expr    = and_expr { "or" and_expr }
//   and_expr   = not_expr { "and" not_expr }
//   not_expr   = "not" not_expr | timed
//   timed      = comparison [ "for" duration ]          -- the condition has held that long
//   comparison = sum [ ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) sum ]
//   sum        = product { ( "+" | "-" ) product }
//   product    = unary { ( "*" | "/" ) unary }
//   unary      = "-" unary | primary
//   primary    = NUMBER [ UNIT ] | "(" or_expr ")" | KEY | "age" | "credit_kwh" | "days_left"
//              | "valve" | "open" | "closed" | "unknown"
//              | ( "delta" | "rate" ) "(" KEY "," duration ")" | "median" "(" KEY "," NUMBER ")"
//   duration   = NUMBER TIME_UNIT                          -- whole seconds, 1 s .. 400 d
//   NUMBER     = digits [ "." digits ]                     -- exact core::Decimal, never a double
//   KEY        = a sample key of kKeys (t1, flow1, e1, ...)
// Types are checked while parsing: numbers carry a dimension (kUnits, kKeys); "+ - < ..." need
// the same dimension on both sides (a number without a unit fits any); "*" and "/" need one side
// without a unit (or "/" of two equal dimensions); and/or/not/for need conditions; valve compares
// with open/closed/unknown by == and != only; the rule itself must be a condition.
// Bounds: kMaxRuleBytes of text, kMaxDepth of nesting, kMaxNodes nodes. Every error is
// Errc::invalid_argument with the detail "column N: reason" (N counts bytes from 1).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/decimal.hpp"
#include "core/result.hpp"

namespace ml::core::alarm {

inline constexpr std::size_t kMaxRuleBytes = 1000;
inline constexpr int kMaxDepth = 64;
inline constexpr std::size_t kMaxNodes = 256;
inline constexpr std::int64_t kMaxDurationSeconds = 400LL * 86400;
inline constexpr std::int64_t kMaxMedianSamples = 100;
// A bare key ("t1") is the median of this many last samples: one spike does not trip a rule.
inline constexpr std::int64_t kDefaultMedianSamples = 3;

// boolean: a condition; valve: the valve term and the open/closed/unknown literals.
enum class Dim : std::uint8_t {
  none,
  time,
  energy,
  volume,
  temperature,
  flow,
  power,
  boolean,
  valve
};
std::string_view dim_name(Dim dim);

struct UnitRow {
  std::string_view name;
  Dim dim;
  std::string_view factor;  // exact Decimal text: one of this unit in the base unit
};
// Base units: s, kWh, m3, C, m3/h, kW. The evaluator's context gives values in these.
inline constexpr std::array<UnitRow, 14> kUnits = {{
    {"s", Dim::time, "1"},
    {"min", Dim::time, "60"},
    {"h", Dim::time, "3600"},
    {"d", Dim::time, "86400"},
    {"kWh", Dim::energy, "1"},
    {"MWh", Dim::energy, "1000"},
    {"m3", Dim::volume, "1"},
    {"l", Dim::volume, "0.001"},
    {"C", Dim::temperature, "1"},
    {"\xC2\xB0"
     "C",
     Dim::temperature, "1"},  // °C
    {"m3/h", Dim::flow, "1"},
    {"l/h", Dim::flow, "0.001"},
    {"kW", Dim::power, "1"},
    {"W", Dim::power, "0.001"},
}};

struct KeyRow {
  std::string_view key;
  Dim dim;
};
// The numeric sample keys (docs/protocols/sample.md) and their dimension. hr is the meter's hour
// counter, a time (in seconds in the evaluator's context, like every time).
inline constexpr std::array<KeyRow, 9> kKeys = {{
    {"t1", Dim::temperature},
    {"t2", Dim::temperature},
    {"t3", Dim::temperature},
    {"tdif", Dim::temperature},
    {"flow1", Dim::flow},
    {"effect1", Dim::power},
    {"e1", Dim::energy},
    {"v1", Dim::volume},
    {"hr", Dim::time},
}};
const KeyRow* find_key(std::string_view key);

enum class ValveState : std::uint8_t { open, closed, unknown };

enum class Kind : std::uint8_t {
  number,       // number (as written) with unit; value in the base unit
  key,          // median of the last kDefaultMedianSamples samples of key
  median,       // median(key, N): seconds holds N
  delta,        // delta(key, D): change of key over the last D seconds
  rate,         // rate(key, D): delta per hour (energy -> power, volume -> flow)
  age,          // seconds since the last sample
  credit_kwh,   // prepaid credit left
  days_left,    // days the credit lasts
  valve,        // the valve's state
  valve_state,  // literal open/closed/unknown
  neg,
  add,
  sub,
  mul,
  div,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  not_,
  and_,
  or_,
  for_,  // lhs has held for `seconds`
};

struct Node {
  Kind kind = Kind::number;
  Dim dim = Dim::none;
  std::int16_t lhs = -1;  // child indices into Rule::nodes (operand of neg/not/for in lhs)
  std::int16_t rhs = -1;
  std::int8_t unit = -1;     // number, delta, rate, for: index into kUnits, -1 for none
  Decimal number{};          // as written: the number, the duration, or median's N
  Decimal value{};           // number: in the base unit
  std::int64_t seconds = 0;  // delta, rate, for: the duration in s; median: N
  std::string_view key;      // key, median, delta, rate: a kKeys entry
  ValveState state = ValveState::unknown;
  std::uint16_t column = 0;  // 1-based; not part of equality (printing moves text)
  bool operator==(const Node& o) const;
};

struct Rule {
  std::vector<Node> nodes;  // children before parents; root is the last
  std::size_t root() const { return nodes.size() - 1; }
  bool operator==(const Rule&) const = default;
};

Result<Rule> parse_rule(std::string_view text);

// Canonical text: single spaces around operators, "delta(e1, 24 h)", numbers and units as written,
// parentheses only where the tree needs them. parse_rule(print_rule(r)) == r.
std::string print_rule(const Rule& rule);

}  // namespace ml::core::alarm
