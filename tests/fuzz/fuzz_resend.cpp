// Fuzz target: the `resend` argument (src/core/gaps/gaps.hpp).
// Invariants: an accepted range is ordered, at most a week long, and formats back to the same
// text; a refused one names what was wrong.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/gaps/gaps.hpp"

using namespace ml::core::gaps;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = parse_resend(text);
  if (!r) {
    if (r.error().detail.rfind("resend: ", 0) != 0) std::abort();
    return 0;
  }
  if (r->from > r->to || r->to - r->from > kMaxResendSeconds || size > kMaxResendText) std::abort();
  // Leading zeros are read and not written back; otherwise the text is the canonical one.
  if (text.find(" 0") == std::string_view::npos && text[0] != '0' && format_resend(*r) != text)
    std::abort();
  return 0;
}
