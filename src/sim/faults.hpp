// Faults the emulators inject, reproducible from --seed. A FaultConfig is what the user sets
// (command line or control socket); plan_faults() turns it into the concrete decisions for one
// reply from a random stream derived from (seed, request number), so the same seed and the same
// request sequence give the same faults, whichever other faults are switched on.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace ml::sim {

inline constexpr std::uint32_t kMaxNoiseBytes = 256;
inline constexpr std::uint32_t kMaxLateMs = 60'000;

struct FaultConfig {
  double drop = 0;       // probability that a reply is not sent at all
  double corrupt = 0;    // probability that one bit of one reply byte is flipped on the wire
  double bad_check = 0;  // probability that the reply carries a wrong CRC (KMP) or BCC (readout)
  std::uint32_t noise_bytes = 0;  // random bytes sent before a reply ...
  double noise = 1;               // ... with this probability (when noise_bytes > 0)
  std::uint32_t late_ms = 0;      // extra delay before a reply ...
  double late = 1;                // ... with this probability (when late_ms > 0)
  bool echo = false;              // half-duplex optical head: every request byte comes back, paced
  // Stop answering after this many further requests (counted from when it was set).
  std::optional<std::uint64_t> silent_after;
  // EN 61107: an ident request is ignored unless at least this many NUL bytes came before it.
  std::uint32_t wake_nuls = 0;
  // KMP: after this much silence on the line (ms) the meter sleeps and ignores the first request.
  std::uint32_t wake_after_ms = 0;

  bool operator==(const FaultConfig&) const = default;
};

nlohmann::json to_json(const FaultConfig& f);

// Applies the keys of `j` (an object; the "cmd" key is skipped) to `f`. Unknown keys, values of
// the wrong type or out of range are errors, and then `f` is left unchanged. "reset": true
// starts from the defaults.
core::Status apply_faults_json(FaultConfig& f, const nlohmann::json& j);

// The decisions for one reply.
struct FaultPlan {
  bool drop = false;
  bool corrupt = false;
  std::size_t corrupt_index = 0;  // byte of the reply (after noise)
  std::uint8_t corrupt_bit = 0;   // 0..7
  bool bad_check = false;
  core::Bytes noise;
  std::uint32_t extra_delay_ms = 0;
};

FaultPlan plan_faults(const FaultConfig& f, std::uint64_t seed, std::uint64_t request_no,
                      std::size_t reply_size);

// Deterministic bytes that stand for a reply read at the wrong baud rate.
core::Bytes garbage_bytes(std::uint64_t seed, std::uint64_t request_no, std::size_t n);

}  // namespace ml::sim
