// Fuzz target: the capture file reader of `ingest --from` (server/capture.hpp). Invariants: no
// crash; line numbers only grow and never pass the lines read; every message has a topic within
// the limit without a tab, CR, LF or wildcard, and a payload within the limit; every bad line has
// a reason from the table and says what was wrong.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>

#include "server/capture.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::server;
  std::istringstream in(std::string(reinterpret_cast<const char*>(data), size));
  CaptureLimits limits;
  limits.max_topic = 64;
  limits.max_payload = 256;
  CaptureReader reader(in, limits);
  CapturedMessage m;
  BadLine bad;
  std::uint64_t last = 0;
  for (;;) {
    const auto read = reader.next(m, bad);
    if (read == CaptureRead::end) break;
    if (read == CaptureRead::note) std::abort();
    const std::uint64_t line = read == CaptureRead::message ? m.line : bad.line;
    if (line <= last || line > reader.lines()) std::abort();
    last = line;
    if (read == CaptureRead::bad_line) {
      if (bad.detail.empty()) std::abort();
      if (static_cast<std::size_t>(bad.reason) >= kBadLineReasonNames.size()) std::abort();
      continue;
    }
    if (m.topic.empty() || m.topic.size() > limits.max_topic) std::abort();
    if (m.topic.find_first_of("\t\r\n+#") != std::string::npos) std::abort();
    if (m.payload.size() > limits.max_payload) std::abort();
  }
  if (reader.notes() > reader.lines()) std::abort();
  return 0;
}
