// The rules that change a valve's state, as pure functions of it (docs/agent.md, "The valve and
// the prepaid limit"): `open_until` and `open_until_delta`, and the automatic close when the
// metered quantity reaches the limit. The agent's ValveController (src/agent/valve_controller.hpp)
// stores and drives what these return; the virtual devices of `meterlogger sim fleet`
// (src/sim/fleet_device.hpp) keep it in memory. One rule, two users: a device of the fleet
// answers exactly as the agent does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"

namespace ml::core::valve {

struct ValveState {
  bool open = false;
  Decimal limit;  // kWh, or m3 for flow meters; 0 when never set
  bool operator==(const ValveState&) const = default;
};

// "open" or "close", as `status` replies and the store keeps it.
std::string_view state_text(bool open);

struct OpenUntilOutcome {
  // The state after the command: open with the new limit, or the state before when `unchanged`.
  ValveState next;
  // Why nothing changed, or empty: a bad or negative amount (parse_amount's message), a delta
  // without a reading ("no reading of the meter yet"), a limit that does not fit.
  std::string unchanged;
  // The command's reply: the stored limit (open_until) or what is left of it, limit - reading
  // (open_until_delta; 0 without a reading), as reply_text writes it. `status` follows it.
  std::string reply;
};

// open_until (`delta` false: the argument is the new limit) or open_until_delta (the reading
// plus the argument). `metered` is the last reading's value (metered()), when there was one.
OpenUntilOutcome open_until(const ValveState& state, std::string_view argument, bool delta,
                            const std::optional<Decimal>& metered, bool flow_meter);

// Auto-close: true when an open valve's limit has been reached by `metered_value`.
bool closes(const ValveState& state, const Decimal& metered_value);

}  // namespace ml::core::valve
