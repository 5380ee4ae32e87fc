// Fuzz target: the alarm settings parsers (src/core/alarm/lifecycle.hpp): quiet hours and
// command-line durations. Invariants: no crash; accepted quiet hours print back to the same
// text and parse again to the same value; accepted durations are within 1 s .. 400 d.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/alarm/lifecycle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::core::alarm;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = parse_quiet_hours(text);
  if (q.ok()) {
    const auto printed = print_quiet_hours(*q);
    if (printed != text) std::abort();
    auto again = parse_quiet_hours(printed);
    if (!again.ok() || !(*again == *q)) std::abort();
  }
  auto d = parse_duration(text);
  if (d.ok() && (*d < 1 || *d > 400LL * 86400)) std::abort();
  return 0;
}
