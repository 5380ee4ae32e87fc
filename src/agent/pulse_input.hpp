// Where a pulse meter's edges come from: a GPIO line through libgpiod (the real input on a
// gateway), or the Unix socket of `meterlogger sim pulse` (tests, demos). Both deliver the same
// EdgeEvents (falling = pulse starts, rising = pulse ends, monotonic nanoseconds) on the event
// loop.
#pragma once

#include <asio/any_io_executor.hpp>
#include <functional>
#include <memory>
#include <string>

#include "core/pulse/pulse.hpp"
#include "core/result.hpp"

namespace ml::agent {

class PulseInput {
 public:
  using Handler = std::function<void(const core::pulse::EdgeEvent&)>;
  virtual ~PulseInput() = default;
  // Starts delivering edges to the handler (on the executor). A simulated input that is not
  // there yet is retried every second; a GPIO line that cannot be requested is an error.
  virtual core::Status start(Handler handler) = 0;
  virtual void stop() = 0;
  virtual const std::string& name() const = 0;
};

// "gpio:CHIP:LINE" (CHIP as libgpiod looks it up: gpiochip0, 0, /dev/gpiochip0, or a label) or
// "sim:/path/to/socket".
core::Result<std::unique_ptr<PulseInput>> make_pulse_input(asio::any_io_executor executor,
                                                           const std::string& spec);

}  // namespace ml::agent
