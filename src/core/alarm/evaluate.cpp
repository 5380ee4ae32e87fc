// Evaluation of an alarm rule tree (the contract is in evaluate.hpp).
#include "core/alarm/evaluate.hpp"

#include <algorithm>

namespace ml::core::alarm {
namespace {

using Value = std::optional<Decimal>;

// A quotient without a finite form is rounded at this many decimals (1 / 3 = 0.333333333).
constexpr int kQuotientDecimals = 9;

Decimal from_int(std::int64_t v) {
  Decimal d;
  d.negative = v < 0;
  d.mantissa = v < 0 ? static_cast<std::uint64_t>(0) - static_cast<std::uint64_t>(v)
                     : static_cast<std::uint64_t>(v);
  return d;
}

Value known(Result<Decimal> r) {
  if (!r) return std::nullopt;
  return *r;
}

class Evaluator {
 public:
  Evaluator(const Rule& rule, const Context& ctx, Outcome& out) : r_(rule), c_(ctx), out_(out) {}

  const Node& node(std::int16_t i) const { return r_.nodes[static_cast<std::size_t>(i)]; }

  Value value(std::int16_t i) {
    const Node& n = node(i);
    switch (n.kind) {
      case Kind::number:
        return n.value;
      case Kind::key:
        return c_.median ? c_.median(n.key, kDefaultMedianSamples) : std::nullopt;
      case Kind::median:
        return c_.median ? c_.median(n.key, n.seconds) : std::nullopt;
      case Kind::delta:
        return c_.delta ? c_.delta(n.key, n.seconds) : std::nullopt;
      case Kind::rate: {
        const Value d = c_.delta ? c_.delta(n.key, n.seconds) : std::nullopt;
        if (!d) return std::nullopt;
        return known(
            d->multiplied(3600, static_cast<std::uint64_t>(n.seconds), std::max(9, d->decimals())));
      }
      case Kind::age:
        if (!c_.age) return std::nullopt;
        return from_int(*c_.age);
      case Kind::credit_kwh:
        return c_.credit_kwh;
      case Kind::days_left:
        return c_.days_left;
      case Kind::neg: {
        Value v = value(n.lhs);
        if (v && !v->is_zero()) v->negative = !v->negative;
        return v;
      }
      case Kind::add:
      case Kind::sub:
      case Kind::mul:
      case Kind::div: {
        const Value a = value(n.lhs);
        const Value b = value(n.rhs);
        if (!a || !b) return std::nullopt;
        switch (n.kind) {
          case Kind::add:
            return known(sum(*a, *b));
          case Kind::sub:
            return known(difference(*a, *b));
          case Kind::mul:
            return known(product(*a, *b));
          default:
            return known(quotient(*a, *b, kQuotientDecimals));
        }
      }
      default:
        return std::nullopt;  // not a number (the parser's types rule this out)
    }
  }

  ValveState valve(std::int16_t i) const {
    const Node& n = node(i);
    return n.kind == Kind::valve ? c_.valve : n.state;
  }

  Truth truth(std::int16_t i) {
    const Node& n = node(i);
    switch (n.kind) {
      case Kind::not_: {
        const Truth t = truth(n.lhs);
        return t == Truth::unknown ? t : t == Truth::yes ? Truth::no : Truth::yes;
      }
      case Kind::and_:
      case Kind::or_: {
        const Truth a = truth(n.lhs);  // both sides always, so every `for` node reports
        const Truth b = truth(n.rhs);
        const Truth decisive = n.kind == Kind::and_ ? Truth::no : Truth::yes;
        if (a == decisive || b == decisive) return decisive;
        if (a == Truth::unknown || b == Truth::unknown) return Truth::unknown;
        return a;
      }
      case Kind::for_: {
        const Truth inner = truth(n.lhs);
        out_.inner.emplace_back(static_cast<std::size_t>(i), inner == Truth::yes);
        if (inner != Truth::yes) return inner;
        const Node& c = node(n.lhs);
        const bool on_valve = (c.kind == Kind::eq || c.kind == Kind::ne) &&
                              (node(c.lhs).kind == Kind::valve || node(c.rhs).kind == Kind::valve);
        std::optional<std::int64_t> held;
        if (on_valve) {
          held = c_.valve_seconds;
        } else if (c_.held) {
          held = c_.held(static_cast<std::size_t>(i));
        }
        if (!held) return Truth::unknown;
        return *held >= n.seconds ? Truth::yes : Truth::no;
      }
      case Kind::eq:
      case Kind::ne:
        if (node(n.lhs).dim == Dim::valve) {
          const bool same = valve(n.lhs) == valve(n.rhs);
          return same == (n.kind == Kind::eq) ? Truth::yes : Truth::no;
        }
        [[fallthrough]];
      case Kind::lt:
      case Kind::le:
      case Kind::gt:
      case Kind::ge: {
        const Value a = value(n.lhs);
        const Value b = value(n.rhs);
        if (!a || !b) return Truth::unknown;
        const int c = compare(*a, *b);
        bool t = false;
        switch (n.kind) {
          case Kind::lt:
            t = c < 0;
            break;
          case Kind::le:
            t = c <= 0;
            break;
          case Kind::gt:
            t = c > 0;
            break;
          case Kind::ge:
            t = c >= 0;
            break;
          case Kind::eq:
            t = c == 0;
            break;
          default:
            t = c != 0;
            break;
        }
        return t ? Truth::yes : Truth::no;
      }
      default:
        return Truth::unknown;  // not a condition (the parser's types rule this out)
    }
  }

 private:
  const Rule& r_;
  const Context& c_;
  Outcome& out_;
};

}  // namespace

Outcome evaluate(const Rule& rule, const Context& context) {
  Outcome out;
  if (rule.nodes.empty()) return out;
  Evaluator e(rule, context, out);
  out.fires = e.truth(static_cast<std::int16_t>(rule.root())) == Truth::yes;
  return out;
}

}  // namespace ml::core::alarm
