// Fuzz target: the alarm rule parser and printer (src/core/alarm/rule.hpp). Invariants: no crash,
// the bounds hold, and every accepted rule prints to text that parses back to the same tree and
// prints the same again.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/alarm/rule.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::core::alarm;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rule = parse_rule(text);
  if (!rule.ok()) {
    if (rule.error().detail.rfind("column ", 0) != 0) std::abort();
    return 0;
  }
  if (text.size() > kMaxRuleBytes || rule->nodes.empty() || rule->nodes.size() > kMaxNodes) {
    std::abort();
  }
  if (rule->nodes[rule->root()].dim != Dim::boolean) std::abort();
  const std::string printed = print_rule(*rule);
  auto again = parse_rule(printed);
  // Canonical text may be longer than the input (spaces), so only a bound error is allowed.
  if (!again.ok()) {
    if (printed.size() > kMaxRuleBytes) return 0;
    std::abort();
  }
  if (!(*again == *rule)) std::abort();
  if (print_rule(*again) != printed) std::abort();
  return 0;
}
