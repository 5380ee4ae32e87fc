// Fuzz target: the `reset_reason` reply in words (src/core/topic/reset_reason.hpp).
// Invariants: a described reply's text begins with the words of a reason in the table; a refused
// one names what was wrong; nothing longer than the limit is described.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/topic/reset_reason.hpp"

using namespace ml::core::topic;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = describe_reset_reason(text);
  if (r.text.empty()) std::abort();
  if (!r.ok) return 0;
  if (size > kMaxResetReasonText) std::abort();
  bool known = false;
  for (const auto& row : kResetReasons)
    known = known || r.text.rfind(row.words, 0) == 0;
  if (!known) std::abort();
  return 0;
}
