// The valve (thermo actuator) of a heat meter and the lines that drive it. The original drives
// GPIO14 (and with AC2 also GPIO15) high to open a normally-closed actuator; here the lines,
// the actuator type and an LED are settings ([meter.valve] in the agent's file).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <vector>

#include "agent/config.hpp"
#include "core/result.hpp"

namespace ml::agent {

// One output line.
class OutputLine {
 public:
  virtual ~OutputLine() = default;
  virtual core::Status set(bool high) = 0;
};

// "file:/path" (the level written as "1\n" or "0\n", so a sysfs GPIO value file works too) or
// "gpio:CHIP:LINE" (libgpiod; the line is held as an output for the life of the process). The
// line is set to `initial` as it is opened.
core::Result<std::unique_ptr<OutputLine>> open_output(const std::string& spec, bool initial);

// The outputs of one valve. Without outputs ("none") every call succeeds and drives nothing.
class ValveOutputs {
 public:
  // Opens every configured line, already set for the given state.
  static core::Result<ValveOutputs> open(asio::any_io_executor executor, const ValveConfig& config,
                                         bool open_state);
  ValveOutputs(ValveOutputs&&) = default;
  ValveOutputs& operator=(ValveOutputs&&) = delete;
  ~ValveOutputs();

  // Open or close: the actuator lines at the level for the state (normally-closed: high =
  // open), the LED lit while open. Ends a test cycle.
  core::Status set(bool open);
  // The cron command `off`: every line low.
  core::Status off();
  // The cron command `test`: the first output high and the second low, then the first toggles
  // every `period` until the next set() or off().
  core::Status test(std::chrono::milliseconds period = std::chrono::seconds(12));

 private:
  ValveOutputs(asio::any_io_executor executor, const ValveConfig& config);
  core::Status drive(std::unique_ptr<OutputLine>& line, bool high);

  ValveConfig config_;
  std::unique_ptr<OutputLine> output_;
  std::unique_ptr<OutputLine> second_;
  std::unique_ptr<OutputLine> led_;
  std::shared_ptr<asio::steady_timer> test_timer_;
};

}  // namespace ml::agent
