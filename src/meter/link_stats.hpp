// What happened on a meter link: the figures a person aligning an optical head looks at, and the
// agent reports as diagnostics.
#pragma once

#include <cstdint>

namespace ml::meter {

struct LinkStats {
  std::uint64_t requests = 0;       // requests sent (retries included)
  std::uint64_t replies_ok = 0;     // replies that passed every check
  std::uint64_t timeouts = 0;       // requests that got no complete reply in time
  std::uint64_t check_errors = 0;   // CRC (KMP) or BCC (EN 61107) mismatches
  std::uint64_t bad_replies = 0;    // framing or content errors other than the check value
  std::uint64_t truncated = 0;      // replies cut short
  std::uint64_t retries = 0;        // requests sent again after a failure
  std::uint64_t echo_bytes = 0;     // our own request coming back (half-duplex optical head)
  std::uint64_t garbage_bytes = 0;  // bytes outside any reply
  std::uint64_t parity_errors = 0;  // characters dropped for a wrong parity bit
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

}  // namespace ml::meter
