// The alarm rule tokenizer, parser and printer (the grammar is in rule.hpp, the language in
// docs/alarms.md).
#include "core/alarm/rule.hpp"

#include <algorithm>
#include <cstddef>

namespace ml::core::alarm {
namespace {

enum class Tok : std::uint8_t {
  number,
  ident,
  lparen,
  rparen,
  comma,
  plus,
  minus,
  star,
  slash,
  lt,
  le,
  gt,
  ge,
  eq,
  ne,
  end
};

struct Token {
  Tok tok = Tok::end;
  std::string_view text;  // number: the digits; ident: the name
  int unit = -1;          // number: index into kUnits of the unit that follows, -1 none
  std::size_t column = 0;
};

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}
bool digit(char c) {
  return c >= '0' && c <= '9';
}
bool space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

Error at(std::size_t column, std::string_view reason) {
  return make_error(Errc::invalid_argument,
                    "column " + std::to_string(column) + ": " + std::string(reason));
}

// The longest unit of kUnits at text[pos], ending at a boundary; -1 when none.
int unit_at(std::string_view text, std::size_t pos, std::size_t* length) {
  int best = -1;
  std::size_t best_len = 0;
  for (std::size_t i = 0; i < kUnits.size(); ++i) {
    const auto name = kUnits[i].name;
    if (name.size() <= best_len || text.substr(pos, name.size()) != name) continue;
    const std::size_t end = pos + name.size();
    if (end < text.size() && ident_char(text[end])) continue;
    best = static_cast<int>(i);
    best_len = name.size();
  }
  *length = best_len;
  return best;
}

Result<std::vector<Token>> tokenize(std::string_view text) {
  std::vector<Token> out;
  std::size_t i = 0;
  while (true) {
    while (i < text.size() && space(text[i]))
      ++i;
    Token t;
    t.column = i + 1;
    if (i >= text.size()) {
      out.push_back(t);
      return out;
    }
    const char c = text[i];
    if (digit(c)) {
      std::size_t j = i;
      while (j < text.size() && digit(text[j]))
        ++j;
      if (j < text.size() && text[j] == '.') {
        ++j;
        if (j >= text.size() || !digit(text[j])) return at(j + 1, "expected a digit after \".\"");
        while (j < text.size() && digit(text[j]))
          ++j;
      }
      if (j < text.size() && ident_char(text[j])) {
        return at(j + 1, "expected a space between a number and its unit");
      }
      t.tok = Tok::number;
      t.text = text.substr(i, j - i);
      std::size_t k = j;
      while (k < text.size() && space(text[k]))
        ++k;
      std::size_t len = 0;
      if (k < text.size()) t.unit = unit_at(text, k, &len);
      i = t.unit >= 0 ? k + len : j;
    } else if (ident_start(c)) {
      std::size_t j = i;
      while (j < text.size() && ident_char(text[j]))
        ++j;
      t.tok = Tok::ident;
      t.text = text.substr(i, j - i);
      i = j;
    } else {
      const char n = i + 1 < text.size() ? text[i + 1] : '\0';
      std::size_t len = 1;
      switch (c) {
        case '(':
          t.tok = Tok::lparen;
          break;
        case ')':
          t.tok = Tok::rparen;
          break;
        case ',':
          t.tok = Tok::comma;
          break;
        case '+':
          t.tok = Tok::plus;
          break;
        case '-':
          t.tok = Tok::minus;
          break;
        case '*':
          t.tok = Tok::star;
          break;
        case '/':
          t.tok = Tok::slash;
          break;
        case '<':
          t.tok = n == '=' ? Tok::le : Tok::lt;
          len = n == '=' ? 2 : 1;
          break;
        case '>':
          t.tok = n == '=' ? Tok::ge : Tok::gt;
          len = n == '=' ? 2 : 1;
          break;
        case '=':
          if (n != '=') return at(i + 1, "expected \"==\"");
          t.tok = Tok::eq;
          len = 2;
          break;
        case '!':
          if (n != '=') return at(i + 1, "expected \"!=\" (use \"not\" for negation)");
          t.tok = Tok::ne;
          len = 2;
          break;
        default: {
          std::size_t ulen = 0;
          if (unit_at(text, i, &ulen) >= 0) return at(i + 1, "a unit must follow a number");
          return at(i + 1, "unexpected character");
        }
      }
      i += len;
    }
    out.push_back(t);
  }
}

std::size_t edit_distance(std::string_view a, std::string_view b) {
  std::array<std::size_t, 32> row{};
  if (b.size() >= row.size() || a.size() >= 32) return 99;
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

inline constexpr std::array<std::string_view, 11> kWords = {
    "age",     "credit_kwh", "days_left", "valve",  "open", "closed",
    "unknown", "delta",      "rate",      "median", "for"};

std::string unknown_name(std::string_view name) {
  std::string msg = "unknown name \"" + std::string(name) + "\"";
  std::string_view best;
  std::size_t best_d = 3;
  auto consider = [&](std::string_view cand) {
    const std::size_t d = edit_distance(name, cand);
    if (d < best_d) {
      best_d = d;
      best = cand;
    }
  };
  for (const auto& k : kKeys)
    consider(k.key);
  for (const auto w : kWords)
    consider(w);
  if (!best.empty()) msg += " (did you mean " + std::string(best) + "?)";
  return msg;
}

bool numeric(Dim d) {
  return d != Dim::boolean && d != Dim::valve;
}

// Whole seconds of a non-negative time value, nullopt when fractional.
std::optional<std::int64_t> whole(const Decimal& v) {
  if (v.negative) return std::nullopt;
  std::uint64_t m = v.mantissa;
  for (std::int32_t e = v.exponent; e < 0; ++e) {
    if (m % 10 != 0) return std::nullopt;
    m /= 10;
  }
  for (std::int32_t e = v.exponent; e > 0; --e) {
    if (m > static_cast<std::uint64_t>(kMaxDurationSeconds)) return std::nullopt;
    m *= 10;
  }
  if (m > static_cast<std::uint64_t>(INT64_MAX)) return std::nullopt;
  return static_cast<std::int64_t>(m);
}

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : toks_(std::move(toks)) {}

  Result<Rule> rule() {
    auto root = or_expr();
    if (!root) return root.error();
    if (peek().tok == Tok::ident) {
      return at(peek().column,
                "expected an operator or the end, found \"" + std::string(peek().text) + "\"");
    }
    if (peek().tok != Tok::end) return at(peek().column, "expected an operator or the end");
    const Node& n = rule_.nodes[static_cast<std::size_t>(*root)];
    if (n.dim != Dim::boolean) {
      return at(n.column, "a rule must be a condition (a comparison), not a " +
                              std::string(dim_name(n.dim)) + " value");
    }
    return std::move(rule_);
  }

 private:
  const Token& peek() const { return toks_[pos_]; }
  const Token& next() { return toks_[pos_ < toks_.size() - 1 ? pos_++ : pos_]; }
  bool word(std::string_view w) const { return peek().tok == Tok::ident && peek().text == w; }

  Result<int> add(Node n) {
    if (rule_.nodes.size() >= kMaxNodes) {
      return at(n.column, "more than " + std::to_string(kMaxNodes) + " terms");
    }
    rule_.nodes.push_back(n);
    return static_cast<int>(rule_.nodes.size() - 1);
  }
  const Node& node(int i) const { return rule_.nodes[static_cast<std::size_t>(i)]; }

  struct Depth {
    explicit Depth(int& d) : d_(d) { ++d_; }
    ~Depth() { --d_; }
    Depth(const Depth&) = delete;
    Depth& operator=(const Depth&) = delete;
    int& d_;
  };
  core::Status deeper(std::size_t column) const {
    if (depth_ > kMaxDepth) {
      return at(column, "nested deeper than " + std::to_string(kMaxDepth) + " levels");
    }
    return Ok{};
  }

  Result<int> binary(Kind kind, int lhs, int rhs, std::size_t column) {
    const Dim a = node(lhs).dim;
    const Dim b = node(rhs).dim;
    Node n;
    n.kind = kind;
    n.lhs = static_cast<std::int16_t>(lhs);
    n.rhs = static_cast<std::int16_t>(rhs);
    n.column = static_cast<std::uint16_t>(column);
    const std::string da(dim_name(a));
    const std::string db(dim_name(b));
    switch (kind) {
      case Kind::and_:
      case Kind::or_:
        if (a != Dim::boolean || b != Dim::boolean) {
          return at(column, std::string(kind == Kind::and_ ? "\"and\"" : "\"or\"") +
                                " needs conditions on both sides, not " + da + " and " + db);
        }
        n.dim = Dim::boolean;
        break;
      case Kind::eq:
      case Kind::ne:
        if (a == Dim::valve || b == Dim::valve) {
          if (a != b) return at(column, "valve compares only with open, closed or unknown");
          n.dim = Dim::boolean;
          break;
        }
        [[fallthrough]];
      case Kind::lt:
      case Kind::le:
      case Kind::gt:
      case Kind::ge:
        if (!numeric(a) || !numeric(b)) {
          return at(column, "cannot compare " + da + " with " + db);
        }
        if (a != b && a != Dim::none && b != Dim::none) {
          return at(column, "cannot compare " + da + " with " + db);
        }
        n.dim = Dim::boolean;
        break;
      case Kind::add:
      case Kind::sub:
        if (!numeric(a) || !numeric(b) || (a != b && a != Dim::none && b != Dim::none)) {
          return at(column, "cannot " + std::string(kind == Kind::add ? "add " : "subtract ") + db +
                                (kind == Kind::add ? " to " : " from ") + da);
        }
        n.dim = a == Dim::none ? b : a;
        break;
      case Kind::mul:
        if (!numeric(a) || !numeric(b) || (a != Dim::none && b != Dim::none)) {
          return at(column, "cannot multiply " + da + " by " + db +
                                " (one side must be a number without a unit)");
        }
        n.dim = a == Dim::none ? b : a;
        break;
      case Kind::div:
        if (!numeric(a) || !numeric(b) || (b != Dim::none && a != b)) {
          return at(column, "cannot divide " + da + " by " + db);
        }
        n.dim = b == Dim::none ? a : Dim::none;
        break;
      default:
        return at(column, "internal: not a binary operator");
    }
    return add(n);
  }

  Result<int> or_expr() {
    Depth d(depth_);
    ML_TRY(deeper(peek().column));
    auto lhs = and_expr();
    if (!lhs) return lhs;
    while (word("or")) {
      const std::size_t col = next().column;
      auto rhs = and_expr();
      if (!rhs) return rhs;
      lhs = binary(Kind::or_, *lhs, *rhs, col);
      if (!lhs) return lhs;
    }
    return lhs;
  }

  Result<int> and_expr() {
    auto lhs = not_expr();
    if (!lhs) return lhs;
    while (word("and")) {
      const std::size_t col = next().column;
      auto rhs = not_expr();
      if (!rhs) return rhs;
      lhs = binary(Kind::and_, *lhs, *rhs, col);
      if (!lhs) return lhs;
    }
    return lhs;
  }

  Result<int> not_expr() {
    if (!word("not")) return timed();
    Depth d(depth_);
    const std::size_t col = next().column;
    ML_TRY(deeper(col));
    auto inner = not_expr();
    if (!inner) return inner;
    if (node(*inner).dim != Dim::boolean) {
      return at(col, "\"not\" needs a condition, not a " + std::string(dim_name(node(*inner).dim)) +
                         " value");
    }
    Node n;
    n.kind = Kind::not_;
    n.dim = Dim::boolean;
    n.lhs = static_cast<std::int16_t>(*inner);
    n.column = static_cast<std::uint16_t>(col);
    return add(n);
  }

  // NUMBER TIME_UNIT, into n.number, n.unit and n.seconds.
  core::Status duration(Node& n, std::string_view after) {
    const Token& t = peek();
    if (t.tok != Tok::number || t.unit < 0 ||
        kUnits[static_cast<std::size_t>(t.unit)].dim != Dim::time) {
      return at(t.column, "expected a duration (e.g. 10 min) after " + std::string(after));
    }
    next();
    auto number = Decimal::parse(t.text);
    if (!number) return at(t.column, number.error().text());
    auto factor = Decimal::parse(kUnits[static_cast<std::size_t>(t.unit)].factor);
    if (!factor) return factor.error();
    auto secs = product(*number, *factor);
    auto whole_secs = secs ? whole(*secs) : std::nullopt;
    if (!whole_secs || *whole_secs < 1 || *whole_secs > kMaxDurationSeconds) {
      return at(t.column, "a duration must be whole seconds from 1 s to 400 d");
    }
    n.number = *number;
    n.unit = static_cast<std::int8_t>(t.unit);
    n.seconds = *whole_secs;
    return Ok{};
  }

  Result<int> timed() {
    auto inner = comparison();
    if (!inner || !word("for")) return inner;
    const std::size_t col = next().column;
    if (node(*inner).dim != Dim::boolean) {
      return at(col, "\"for\" needs a condition before it, not a " +
                         std::string(dim_name(node(*inner).dim)) + " value");
    }
    Node n;
    n.kind = Kind::for_;
    n.dim = Dim::boolean;
    n.lhs = static_cast<std::int16_t>(*inner);
    n.column = static_cast<std::uint16_t>(col);
    ML_TRY(duration(n, "\"for\""));
    return add(n);
  }

  Result<int> comparison() {
    auto lhs = sum();
    if (!lhs) return lhs;
    Kind kind{};
    switch (peek().tok) {
      case Tok::lt:
        kind = Kind::lt;
        break;
      case Tok::le:
        kind = Kind::le;
        break;
      case Tok::gt:
        kind = Kind::gt;
        break;
      case Tok::ge:
        kind = Kind::ge;
        break;
      case Tok::eq:
        kind = Kind::eq;
        break;
      case Tok::ne:
        kind = Kind::ne;
        break;
      default:
        return lhs;
    }
    const std::size_t col = next().column;
    auto rhs = sum();
    if (!rhs) return rhs;
    if (node(*lhs).dim == Dim::boolean || node(*rhs).dim == Dim::boolean) {
      return at(col, "cannot compare conditions (use and, or, not)");
    }
    return binary(kind, *lhs, *rhs, col);
  }

  Result<int> sum() {
    auto lhs = product_expr();
    if (!lhs) return lhs;
    while (peek().tok == Tok::plus || peek().tok == Tok::minus) {
      const Kind kind = peek().tok == Tok::plus ? Kind::add : Kind::sub;
      const std::size_t col = next().column;
      auto rhs = product_expr();
      if (!rhs) return rhs;
      lhs = binary(kind, *lhs, *rhs, col);
      if (!lhs) return lhs;
    }
    return lhs;
  }

  Result<int> product_expr() {
    auto lhs = unary();
    if (!lhs) return lhs;
    while (peek().tok == Tok::star || peek().tok == Tok::slash) {
      const Kind kind = peek().tok == Tok::star ? Kind::mul : Kind::div;
      const std::size_t col = next().column;
      auto rhs = unary();
      if (!rhs) return rhs;
      lhs = binary(kind, *lhs, *rhs, col);
      if (!lhs) return lhs;
    }
    return lhs;
  }

  Result<int> unary() {
    if (peek().tok != Tok::minus) return primary();
    Depth d(depth_);
    const std::size_t col = next().column;
    ML_TRY(deeper(col));
    auto inner = unary();
    if (!inner) return inner;
    if (!numeric(node(*inner).dim)) return at(col, "\"-\" needs a number");
    Node n;
    n.kind = Kind::neg;
    n.dim = node(*inner).dim;
    n.lhs = static_cast<std::int16_t>(*inner);
    n.column = static_cast<std::uint16_t>(col);
    return add(n);
  }

  Result<const KeyRow*> key_arg(std::string_view fn) {
    const Token& t = peek();
    if (t.tok != Tok::ident) {
      return at(t.column, "expected a sample key (e.g. e1) in " + std::string(fn) + "(...)");
    }
    const KeyRow* row = find_key(t.text);
    if (!row) return at(t.column, unknown_name(t.text));
    next();
    return row;
  }

  core::Status expect(Tok tok, std::string_view what) {
    if (peek().tok != tok) return at(peek().column, "expected " + std::string(what));
    next();
    return Ok{};
  }

  Result<int> function(Kind kind, std::string_view fn, std::size_t col) {
    ML_TRY(expect(Tok::lparen, "\"(\" after " + std::string(fn)));
    auto row = key_arg(fn);
    if (!row) return row.error();
    ML_TRY(expect(Tok::comma, "\",\" after the key"));
    Node n;
    n.kind = kind;
    n.key = (*row)->key;
    n.dim = (*row)->dim;
    n.column = static_cast<std::uint16_t>(col);
    if (kind == Kind::median) {
      const Token& t = peek();
      auto count =
          t.tok == Tok::number && t.unit < 0 ? Decimal::parse(t.text) : Result<Decimal>(Error{});
      auto whole_n = count ? whole(*count) : std::nullopt;
      if (!whole_n || *whole_n < 1 || *whole_n > kMaxMedianSamples) {
        return at(t.column, "expected a number of samples from 1 to 100 in median(...)");
      }
      next();
      n.number = *count;
      n.seconds = *whole_n;
    } else {
      ML_TRY(duration(n, "the key in " + std::string(fn) + "(...)"));
    }
    if (kind == Kind::rate) {
      if (n.dim == Dim::energy) {
        n.dim = Dim::power;
      } else if (n.dim == Dim::volume) {
        n.dim = Dim::flow;
      } else {
        return at(col, "rate needs an energy or a volume key (e1, v1)");
      }
    }
    ML_TRY(expect(Tok::rparen, "\")\""));
    return add(n);
  }

  Result<int> primary() {
    const Token t = peek();
    Node n;
    n.column = static_cast<std::uint16_t>(t.column);
    switch (t.tok) {
      case Tok::number: {
        next();
        auto number = Decimal::parse(t.text);
        if (!number) return at(t.column, number.error().text());
        n.kind = Kind::number;
        n.number = *number;
        n.value = *number;
        if (t.unit >= 0) {
          const UnitRow& u = kUnits[static_cast<std::size_t>(t.unit)];
          auto factor = Decimal::parse(u.factor);
          if (!factor) return factor.error();
          auto value = product(*number, *factor);
          if (!value) return at(t.column, "number too large for its unit");
          n.value = *value;
          n.unit = static_cast<std::int8_t>(t.unit);
          n.dim = u.dim;
        }
        return add(n);
      }
      case Tok::lparen: {
        next();
        auto inner = or_expr();
        if (!inner) return inner;
        ML_TRY(expect(Tok::rparen, "\")\""));
        return inner;
      }
      case Tok::ident: {
        next();
        if (t.text == "delta") return function(Kind::delta, "delta", t.column);
        if (t.text == "rate") return function(Kind::rate, "rate", t.column);
        if (t.text == "median") return function(Kind::median, "median", t.column);
        if (const KeyRow* row = find_key(t.text)) {
          n.kind = Kind::key;
          n.key = row->key;
          n.dim = row->dim;
        } else if (t.text == "age") {
          n.kind = Kind::age;
          n.dim = Dim::time;
        } else if (t.text == "credit_kwh") {
          n.kind = Kind::credit_kwh;
          n.dim = Dim::energy;
        } else if (t.text == "days_left") {
          n.kind = Kind::days_left;
          n.dim = Dim::none;
        } else if (t.text == "valve") {
          n.kind = Kind::valve;
          n.dim = Dim::valve;
        } else if (t.text == "open" || t.text == "closed" || t.text == "unknown") {
          n.kind = Kind::valve_state;
          n.dim = Dim::valve;
          n.state = t.text == "open"     ? ValveState::open
                    : t.text == "closed" ? ValveState::closed
                                         : ValveState::unknown;
        } else if (t.text == "and" || t.text == "or" || t.text == "not" || t.text == "for") {
          return at(t.column, "expected a value before \"" + std::string(t.text) + "\"");
        } else {
          return at(t.column, unknown_name(t.text));
        }
        return add(n);
      }
      case Tok::end:
        return at(t.column, "expected a value, found the end of the rule");
      default:
        return at(t.column, "expected a value");
    }
  }

  std::vector<Token> toks_;
  std::size_t pos_ = 0;
  int depth_ = 0;
  Rule rule_;
};

// Binding strength for the printer: higher binds tighter.
int strength(Kind k) {
  switch (k) {
    case Kind::or_:
      return 1;
    case Kind::and_:
      return 2;
    case Kind::not_:
      return 3;
    case Kind::for_:
      return 4;
    case Kind::lt:
    case Kind::le:
    case Kind::gt:
    case Kind::ge:
    case Kind::eq:
    case Kind::ne:
      return 5;
    case Kind::add:
    case Kind::sub:
      return 6;
    case Kind::mul:
    case Kind::div:
      return 7;
    case Kind::neg:
      return 8;
    default:
      return 9;
  }
}

std::string_view op_text(Kind k) {
  switch (k) {
    case Kind::or_:
      return " or ";
    case Kind::and_:
      return " and ";
    case Kind::lt:
      return " < ";
    case Kind::le:
      return " <= ";
    case Kind::gt:
      return " > ";
    case Kind::ge:
      return " >= ";
    case Kind::eq:
      return " == ";
    case Kind::ne:
      return " != ";
    case Kind::add:
      return " + ";
    case Kind::sub:
      return " - ";
    case Kind::mul:
      return " * ";
    case Kind::div:
      return " / ";
    default:
      return " ? ";
  }
}

void print_node(const Rule& r, int i, int min_strength, std::string& out);

void with_unit(const Decimal& number, int unit, std::string& out) {
  out += number.to_string();
  if (unit >= 0) {
    out += ' ';
    out += kUnits[static_cast<std::size_t>(unit)].name;
  }
}

void print_node(const Rule& r, int i, int min_strength, std::string& out) {
  const Node& n = r.nodes[static_cast<std::size_t>(i)];
  const int s = strength(n.kind);
  const bool paren = s < min_strength;
  if (paren) out += '(';
  switch (n.kind) {
    case Kind::number:
      with_unit(n.number, n.unit, out);
      break;
    case Kind::key:
      out += n.key;
      break;
    case Kind::median:
    case Kind::delta:
    case Kind::rate:
      out += n.kind == Kind::median ? "median(" : n.kind == Kind::delta ? "delta(" : "rate(";
      out += n.key;
      out += ", ";
      with_unit(n.number, n.unit, out);
      out += ')';
      break;
    case Kind::age:
      out += "age";
      break;
    case Kind::credit_kwh:
      out += "credit_kwh";
      break;
    case Kind::days_left:
      out += "days_left";
      break;
    case Kind::valve:
      out += "valve";
      break;
    case Kind::valve_state:
      out += n.state == ValveState::open     ? "open"
             : n.state == ValveState::closed ? "closed"
                                             : "unknown";
      break;
    case Kind::neg:
      out += '-';
      print_node(r, n.lhs, 8, out);
      break;
    case Kind::not_:
      out += "not ";
      print_node(r, n.lhs, 3, out);
      break;
    case Kind::for_:
      print_node(r, n.lhs, 5, out);
      out += " for ";
      with_unit(n.number, n.unit, out);
      break;
    default:  // binary, left-associative; comparisons take sums on both sides
      print_node(r, n.lhs, s == 5 ? 6 : s, out);
      out += op_text(n.kind);
      print_node(r, n.rhs, s + 1, out);
      break;
  }
  if (paren) out += ')';
}

}  // namespace

std::string_view dim_name(Dim dim) {
  switch (dim) {
    case Dim::none:
      return "plain number";
    case Dim::time:
      return "time";
    case Dim::energy:
      return "energy";
    case Dim::volume:
      return "volume";
    case Dim::temperature:
      return "temperature";
    case Dim::flow:
      return "flow";
    case Dim::power:
      return "power";
    case Dim::boolean:
      return "condition";
    case Dim::valve:
      return "valve state";
  }
  return "?";
}

const KeyRow* find_key(std::string_view key) {
  for (const auto& row : kKeys) {
    if (row.key == key) return &row;
  }
  return nullptr;
}

bool Node::operator==(const Node& o) const {
  return kind == o.kind && dim == o.dim && lhs == o.lhs && rhs == o.rhs && unit == o.unit &&
         number == o.number && value == o.value && seconds == o.seconds && key == o.key &&
         state == o.state;
}

Result<Rule> parse_rule(std::string_view text) {
  if (text.size() > kMaxRuleBytes) {
    return at(kMaxRuleBytes + 1, "a rule is at most " + std::to_string(kMaxRuleBytes) + " bytes");
  }
  auto toks = tokenize(text);
  if (!toks) return toks.error();
  Parser p(std::move(*toks));
  return p.rule();
}

std::string print_rule(const Rule& rule) {
  std::string out;
  if (!rule.nodes.empty()) print_node(rule, static_cast<int>(rule.root()), 0, out);
  return out;
}

}  // namespace ml::core::alarm
