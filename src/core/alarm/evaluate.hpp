// Pure evaluation of a parsed alarm rule (rule.hpp, docs/alarms.md) against values the caller
// looks up. No clock and no storage here: the caller reads the samples, the valve and the ledger,
// and keeps, for every `for` node, the time since its inner condition became true.
//
// Contract:
// - Values are in the base units of rule.hpp's kUnits: s, kWh, m3, C, m3/h, kW (hr in seconds).
// - Unknown is never an alarm. A term the context cannot give (no samples, no valve state, no
//   credit) is unknown; arithmetic on unknown, division by zero and overflow are unknown; a
//   comparison with an unknown side is unknown. Logic is three-valued (Kleene): not unknown is
//   unknown, "false and unknown" is false, "true or unknown" is true. A rule fires only when it
//   is true. The valve's "unknown" state is a known value: `valve == unknown` can be true.
// - Negative numbers are values (delta(e1, 24 h) < 0 compares a negative delta), never false.
// - `C for D` is true when C is true now and has held for at least D seconds. For
//   `valve == S for D` and `valve != S for D` the valve's own seconds in its state count
//   (Context::valve_seconds); for every other `for` node the caller says how long the inner
//   condition has held (Context::held), using Outcome::inner to keep that time: when a `for`
//   node's inner condition is true and was not on the previous evaluation, the caller records
//   the time; when it is not true, the caller forgets it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/alarm/rule.hpp"
#include "core/decimal.hpp"

namespace ml::core::alarm {

struct Context {
  // Median of the last `count` samples of key; nullopt when there are none.
  std::function<std::optional<Decimal>(std::string_view key, std::int64_t count)> median;
  // Newest value of key minus its value `seconds` ago; nullopt when the window has no samples.
  std::function<std::optional<Decimal>(std::string_view key, std::int64_t seconds)> delta;
  std::optional<std::int64_t> age;  // seconds since the last sample
  std::optional<Decimal> credit_kwh;
  std::optional<Decimal> days_left;
  ValveState valve = ValveState::unknown;
  std::optional<std::int64_t> valve_seconds;  // seconds in that state, nullopt when not known
  // Seconds the inner condition of the `for` node at this index has held; 0 when it just began.
  std::function<std::int64_t(std::size_t node)> held;
};

enum class Truth : std::uint8_t { no, yes, unknown };

struct Outcome {
  bool fires = false;  // the rule is true (never when unknown)
  // For every `for` node evaluated, by node index: whether its inner condition is true now.
  std::vector<std::pair<std::size_t, bool>> inner;
};

Outcome evaluate(const Rule& rule, const Context& context);

}  // namespace ml::core::alarm
