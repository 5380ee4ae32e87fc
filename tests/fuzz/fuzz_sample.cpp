// Fuzz target: the v2 sample text parser. Invariants: no crash, bounded output, every accepted
// numeric value re-parses from its own text to the same decimal.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/sample/sample.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::core;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sample::parse_sample(text);
  if (!parsed.ok()) return 0;
  if (parsed->fields().size() > sample::kMaxSampleFields) std::abort();
  for (const auto& f : parsed->fields()) {
    if (!f.value) continue;
    auto again = Decimal::parse(f.value->to_string());
    if (!again.ok() || compare(*again, *f.value) != 0) std::abort();
  }
  return 0;
}
