// The KMP meter emulator on a pseudo-terminal: `meterlogger sim kmp`. Requests are collected with
// the core's KMP receiver (bytes with a bad CRC are ignored, as a real meter does), checked for
// 1200 8N2 and answered by a KmpMeter after the configured latency, paced at 1200 baud.
#pragma once

#include <chrono>

#include "core/kmp/receiver.hpp"
#include "sim/kmp_meter.hpp"
#include "sim/serial_emulator.hpp"

namespace ml::sim {

inline constexpr std::chrono::milliseconds kDefaultKmpLatency{30};

struct KmpEmulatorOptions {
  CommonOptions common;
  KmpMeterConfig meter;
  // From the last request byte to the first reply bit.
  std::chrono::milliseconds latency = kDefaultKmpLatency;
};

class KmpEmulator final : public SerialEmulator {
 public:
  KmpEmulator(asio::io_context& io, KmpEmulatorOptions options);

  const KmpMeter& meter() const { return meter_; }

 private:
  void on_chunk(const Chunk& chunk) override;
  void add_state(nlohmann::json& j, const HeatState& s) override;
  void on_frame(const core::kmp::Frame& frame, WallClock::time_point end,
                const std::optional<core::LineSettings>& line);

  KmpMeter meter_;
  core::kmp::Receiver rx_{core::kmp::Direction::request};
  std::chrono::milliseconds latency_;
  std::optional<WallClock::time_point> last_activity_;
  bool asleep_ = false;
};

}  // namespace ml::sim
