// The valve's rules (rules.hpp).
#include "core/valve/rules.hpp"

#include "core/valve/limit.hpp"

namespace ml::core::valve {

std::string_view state_text(bool open) {
  return open ? "open" : "close";
}

OpenUntilOutcome open_until(const ValveState& state, std::string_view argument, bool delta,
                            const std::optional<Decimal>& metered, bool flow_meter) {
  OpenUntilOutcome out{state, {}, {}};
  auto amount = parse_amount(argument);
  if (!amount) {
    // A negative amount changes nothing by design (the original's HEAD); neither does garbage.
    out.unchanged = amount.error().message();
  } else if (!delta) {
    out.next = ValveState{true, *amount};
  } else if (!metered) {
    out.unchanged = "no reading of the meter yet";
  } else if (auto limit = sum(*metered, *amount); !limit) {
    out.unchanged = limit.error().message();
  } else {
    out.next = ValveState{true, *limit};
  }
  // open_until: the stored limit; open_until_delta: what is left of it (limit - reading).
  Decimal shown = out.next.limit;
  if (delta) {
    auto left = metered ? difference(shown, *metered) : Result<Decimal>(Decimal{});
    shown = left ? *left : Decimal{};
  }
  out.reply = reply_text(shown, flow_meter);
  return out;
}

bool closes(const ValveState& state, const Decimal& metered_value) {
  return state.open && limit_reached(metered_value, state.limit);
}

}  // namespace ml::core::valve
