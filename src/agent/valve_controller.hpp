// The valve of one meter with a valve (meter::has_valve): its outputs, its state and prepaid
// limit kept in the agent's store, and the rules that change them: open and close (commands and
// cron), open_until and open_until_delta, the automatic close when the reading reaches the
// limit, and cron's `off` and `test`. Every change is stored with its cause (docs/agent.md, The
// valve and the prepaid limit); what is published about it is the caller's. The rules themselves
// are core/valve/rules.hpp (pure; the fleet's virtual devices use them too).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "agent/store.hpp"
#include "agent/valve.hpp"
#include "core/decimal.hpp"
#include "core/sample/sample.hpp"
#include "core/valve/rules.hpp"

namespace ml::agent {

class ValveController {
 public:
  // Opens the valve's outputs, already set for a state (the real lines, or test doubles).
  using OpenOutputs = std::function<core::Result<ValveOutputs>(bool open)>;
  // A message for the caller to publish: /<function>/v2/<serial>/<time> with `text`.
  struct Reply {
    std::string function;
    std::string text;
  };

  // `name` prefixes the log lines; `flow_meter`: limits and readings in m3, not kWh.
  ValveController(Store& store, std::string name, bool flow_meter, bool auto_close,
                  OpenOutputs open_outputs, std::function<std::int64_t()> now);

  // The serial is known (or still ""): the stored state and the last metered value are read,
  // the outputs opened (or set) for that state, and the state stored again with cause "start".
  void load(const std::string& serial);

  const ValveRecord& state() const { return state_; }
  // The last reading's e1 in kWh (flow meters: v1 in m3), when there was one.
  const std::optional<core::Decimal>& metered() const { return metered_; }

  // Opens or closes, with a new limit when given; drives the outputs even without a change
  // (after `off` or `test` they need it) and stores a change with its cause.
  void set(bool open, const std::optional<core::Decimal>& limit, const char* cause);

  // open_until (an absolute limit) or open_until_delta (the last reading plus the amount). A
  // bad or negative amount, or a delta without a reading, changes nothing. Returns the replies:
  // the stored limit (open_until) or what is left of it (open_until_delta), then `status`.
  std::vector<Reply> open_until(const std::string& argument, bool delta);

  // A new reading: remembers the metered value; closes an open valve whose limit is reached
  // (when auto_close is on). True when it closed the valve.
  bool on_reading(const core::sample::Reading& reading);

  // A cron job's valve command: open, close, off (every line low) or test.
  void cron_command(const std::string& command);

 private:
  // The stored record as the rules see it (an unreadable limit counts as 0).
  core::valve::ValveState current() const;

  Store& store_;
  std::string name_;
  bool flow_meter_;
  bool auto_close_;
  OpenOutputs open_outputs_;
  std::function<std::int64_t()> now_;
  std::string serial_;
  std::optional<ValveOutputs> outputs_;
  ValveRecord state_;
  std::optional<core::Decimal> metered_;
};

}  // namespace ml::agent
