// Reads a Kamstrup meter over KMP: the serial number once, then every wanted register in as few
// GetRegister requests as possible (at most 8 registers each). Skips the echo of an optical
// head, retries timeouts and bad replies, and either returns every value or an error — never a
// partial or stale reading.
#pragma once

#include <asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <vector>

#include "core/kmp/codec.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/receiver.hpp"
#include "meter/session.hpp"

namespace ml::meter {

struct KmpOptions {
  std::vector<std::uint16_t>
      registers;  // empty: the eight sample registers (docs/protocols/kmp.md)
  std::uint8_t dst = core::kmp::kDstHeatMeter;
  bool read_serial = true;
  milliseconds timeout{2000};      // for the first byte of a reply, after the request has left
  int retries = 2;                 // further tries after a failed one
  milliseconds retry_delay{1000};  // pause before a retry
};

struct KmpReading {
  std::optional<std::uint32_t> serial;
  std::vector<core::kmp::RegisterValue> registers;  // in the order asked for
};

// Sets the line to 1200 8N2 and reads. Errors: meter_timeout / meter_bad_reply with
// "<what> after N tries on <link>: <detail>", or meter_link when the port fails.
asio::awaitable<core::Result<KmpReading>> read_kmp(Session& session, const KmpOptions& options);

// One request, one reply frame (or a lone ACK), with echo skipping and retries. Exposed for the
// agent's other KMP commands (SetClock, GetType).
asio::awaitable<core::Result<core::kmp::Received>> kmp_exchange(Session& session,
                                                                core::ByteView request,
                                                                std::uint8_t expected_cid,
                                                                const KmpOptions& options);

}  // namespace ml::meter
