// The MULTICAL 66C / 66B emulator on a pseudo-terminal: `meterlogger sim mc66c|mc66b`. Requests
// come as 300 baud 7E2 characters (software parity on a pseudo-terminal: bit 7 = even parity);
// bytes with a wrong parity bit are line noise. Each reply starts after the step's latency, and
// only if the client has switched to that step's reply settings by then (300 7E1 for the ident
// and the readout, 1200 7E1 for /#1 /#2 /#C).
#pragma once

#include <chrono>
#include <optional>

#include "sim/mc66_meter.hpp"
#include "sim/serial_emulator.hpp"

namespace ml::sim {

// Defaults chosen so that a client following the switch delays of core/iec62056/steps.hpp (400 ms
// after ident / ACK, 300 ms after /#C, 220 ms after /#1 /#2, counted from the end of the request
// on the wire) has switched with at least 150 ms to spare.
inline constexpr std::chrono::milliseconds kDefaultReadoutLatency{600};
inline constexpr std::chrono::milliseconds kDefaultDataLatency{450};
// An ACK option select is only accepted this long after an ident request.
inline constexpr std::chrono::milliseconds kIdentSession{10'000};

struct Mc66EmulatorOptions {
  CommonOptions common;
  Mc66Config meter;
  std::chrono::milliseconds readout_latency = kDefaultReadoutLatency;  // ident and readout
  std::chrono::milliseconds data_latency = kDefaultDataLatency;        // /#1 /#2 /#C
  // Require CSTOPB clear (1 stop bit) on the client when a reply starts, as the step table says.
  bool strict_reply_stop_bits = true;
};

class Mc66Emulator final : public SerialEmulator {
 public:
  Mc66Emulator(asio::io_context& io, Mc66EmulatorOptions options);

  const Mc66Meter& meter() const { return meter_; }

 private:
  void on_chunk(const Chunk& chunk) override;
  void add_state(nlohmann::json& j, const HeatState& s) override;
  void on_request(const IecRequest& request, WallClock::time_point end,
                  const std::optional<core::LineSettings>& line);

  Mc66Meter meter_;
  Mc66Scanner scanner_;
  Mc66EmulatorOptions opts_;
  std::optional<WallClock::time_point> ident_at_;
};

}  // namespace ml::sim
