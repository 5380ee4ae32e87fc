// Fuzz target: the alarm rule parser and printer (src/core/alarm/rule.hpp). Invariants: no crash,
// the bounds hold, and every accepted rule prints to text that parses back to the same tree and
// prints the same again; evaluating it with every term known (some negative) stays in bounds.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/alarm/evaluate.hpp"
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
  Context ctx;
  ctx.median = [](std::string_view, std::int64_t n) -> std::optional<ml::core::Decimal> {
    return ml::core::Decimal{n % 2 == 0, static_cast<std::uint64_t>(n) * 15, -1};
  };
  ctx.delta = [](std::string_view, std::int64_t s) -> std::optional<ml::core::Decimal> {
    return ml::core::Decimal{true, static_cast<std::uint64_t>(s), -3};
  };
  ctx.age = 1800;
  ctx.credit_kwh = ml::core::Decimal{true, 5, 0};
  ctx.days_left = ml::core::Decimal{false, 65, -1};
  ctx.valve = ValveState::closed;
  ctx.valve_seconds = 600;
  ctx.held = [](std::size_t node) { return static_cast<std::int64_t>(node) * 60; };
  const Outcome out = evaluate(*rule, ctx);
  std::size_t for_nodes = 0;
  for (const auto& n : rule->nodes)
    for_nodes += n.kind == Kind::for_ ? 1 : 0;
  if (out.inner.size() != for_nodes) std::abort();
  return 0;
}
