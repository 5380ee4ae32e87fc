// The alarm rule parser and printer (src/core/alarm/rule.hpp, docs/alarms.md): every construct,
// every error with its column and reason, the bounds, dimensions and the round trip.
#include <gtest/gtest.h>

#include <string>

#include "core/alarm/rule.hpp"
#include "core/sample/sample.hpp"

namespace ml::core::alarm {
namespace {

Rule rule_of(std::string_view text) {
  auto r = parse_rule(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().text());
  return r.ok() ? r.value() : Rule{};
}

std::string canonical(std::string_view text) {
  return print_rule(rule_of(text));
}

std::string error_of(std::string_view text) {
  auto r = parse_rule(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "(parsed)";
  EXPECT_EQ(r.error().code, Errc::invalid_argument);
  return r.error().detail;
}

TEST(AlarmRule, ParsesEveryConstructToCanonicalText) {
  EXPECT_EQ(canonical("age>30 min"), "age > 30 min");
  EXPECT_EQ(canonical("flow1 > 0 for 5 min and valve == closed for 10 min"),
            "flow1 > 0 for 5 min and valve == closed for 10 min");
  EXPECT_EQ(canonical("valve==closed and credit_kwh>0"), "valve == closed and credit_kwh > 0");
  EXPECT_EQ(canonical("days_left < 7"), "days_left < 7");
  EXPECT_EQ(canonical("t1 < 5 C or t1 > 95 \xC2\xB0"
                      "C"),
            "t1 < 5 C or t1 > 95 \xC2\xB0"
            "C");
  EXPECT_EQ(canonical("delta( e1 ,24 h ) < 0"), "delta(e1, 24 h) < 0");
  EXPECT_EQ(canonical("rate(v1, 1 h) > 0.2 m3/h"), "rate(v1, 1 h) > 0.2 m3/h");
  EXPECT_EQ(canonical("rate(e1, 2 d) >= 5 kW"), "rate(e1, 2 d) >= 5 kW");
  EXPECT_EQ(canonical("median(t2, 5) <= 40 C"), "median(t2, 5) <= 40 C");
  EXPECT_EQ(canonical("not valve != open"), "not valve != open");
  EXPECT_EQ(canonical("valve == unknown for 1 h"), "valve == unknown for 1 h");
  EXPECT_EQ(canonical("(t1 - t2) * 2 / 4 != tdif + -1.50 C"),
            "(t1 - t2) * 2 / 4 != tdif + -1.50 C");
  EXPECT_EQ(canonical("v1 > 1.5 m3 and v1 < 900 l"), "v1 > 1.5 m3 and v1 < 900 l");
  EXPECT_EQ(canonical("e1 > 2 MWh or effect1 > 500 W or flow1 > 30 l/h"),
            "e1 > 2 MWh or effect1 > 500 W or flow1 > 30 l/h");
  EXPECT_EQ(canonical("hr > 10 s and t3 > 0 and age < 2 d"), "hr > 10 s and t3 > 0 and age < 2 d");
  EXPECT_EQ(canonical("((age > 1 min))"), "age > 1 min");
  EXPECT_EQ(canonical("(age > 1 min or age < 1 s) for 30 s"),
            "(age > 1 min or age < 1 s) for 30 s");
  EXPECT_EQ(canonical("age - (1 s - 2 s) > 0"), "age - (1 s - 2 s) > 0");
  EXPECT_EQ(canonical("age > 1 min and (age < 1 h or credit_kwh < 0)"),
            "age > 1 min and (age < 1 h or credit_kwh < 0)");
  EXPECT_EQ(canonical("--5 < t1"), "--5 < t1");
  EXPECT_EQ(canonical("age\t>\r\n30\tmin"), "age > 30 min");
}

TEST(AlarmRule, TreeIsTypedWithValuesInBaseUnits) {
  const Rule r = rule_of("flow1 > 0.2 m3/h for 5 min");
  ASSERT_EQ(r.nodes.size(), 4u);
  const Node& root = r.nodes[r.root()];
  EXPECT_EQ(root.kind, Kind::for_);
  EXPECT_EQ(root.seconds, 300);
  const Node& cmp = r.nodes[static_cast<std::size_t>(root.lhs)];
  EXPECT_EQ(cmp.kind, Kind::gt);
  EXPECT_EQ(cmp.dim, Dim::boolean);
  EXPECT_EQ(r.nodes[static_cast<std::size_t>(cmp.lhs)].kind, Kind::key);
  EXPECT_EQ(r.nodes[static_cast<std::size_t>(cmp.lhs)].key, "flow1");
  EXPECT_EQ(r.nodes[static_cast<std::size_t>(cmp.rhs)].value.to_string(), "0.2");

  const Rule l = rule_of("v1 < 900 l");
  EXPECT_EQ(l.nodes[1].value.to_string(), "0.900");
  EXPECT_EQ(l.nodes[1].dim, Dim::volume);
  const Rule d = rule_of("delta(e1, 1.5 h) < 0");
  EXPECT_EQ(d.nodes[0].seconds, 5400);
  EXPECT_EQ(d.nodes[0].dim, Dim::energy);
  const Rule m = rule_of("median(t1, 7) > 3");
  EXPECT_EQ(m.nodes[0].seconds, 7);
  EXPECT_EQ(rule_of("rate(v1, 1 h) > 0").nodes[0].dim, Dim::flow);
  EXPECT_EQ(rule_of("rate(e1, 1 h) > 0").nodes[0].dim, Dim::power);
}

TEST(AlarmRule, PrecedenceAndForBindAsTheGrammarSays) {
  const Rule r = rule_of("not age > 1 s for 2 s or age < 5 s and days_left > 1");
  const Node& root = r.nodes[r.root()];
  EXPECT_EQ(root.kind, Kind::or_);
  EXPECT_EQ(r.nodes[static_cast<std::size_t>(root.lhs)].kind, Kind::not_);
  EXPECT_EQ(r.nodes[static_cast<std::size_t>(root.rhs)].kind, Kind::and_);
  const Node& n = r.nodes[static_cast<std::size_t>(root.lhs)];
  EXPECT_EQ(r.nodes[static_cast<std::size_t>(n.lhs)].kind, Kind::for_);
  const Rule s = rule_of("1 + 2 * 3 - 4 > 0");
  EXPECT_EQ(s.nodes[static_cast<std::size_t>(s.nodes[s.root()].lhs)].kind, Kind::sub);
}

TEST(AlarmRule, ErrorsSayColumnAndReason) {
  EXPECT_EQ(error_of("flow1 > 0 for"),
            "column 14: expected a duration (e.g. 10 min) after \"for\"");
  EXPECT_EQ(error_of("flow1 > 0 for 5"),
            "column 15: expected a duration (e.g. 10 min) after \"for\"");
  EXPECT_EQ(error_of("flow1 > 0 for 5 kWh"),
            "column 15: expected a duration (e.g. 10 min) after \"for\"");
  EXPECT_EQ(error_of("flwo1 > 0"), "column 1: unknown name \"flwo1\" (did you mean flow1?)");
  EXPECT_EQ(error_of("zzzzzz > 0"), "column 1: unknown name \"zzzzzz\"");
  EXPECT_EQ(error_of("age > 30 mins"),
            "column 10: expected an operator or the end, found \"mins\"");
  EXPECT_EQ(error_of(""), "column 1: expected a value, found the end of the rule");
  EXPECT_EQ(error_of("age >"), "column 6: expected a value, found the end of the rule");
  EXPECT_EQ(error_of("(age > 1 s"), "column 11: expected \")\"");
  EXPECT_EQ(error_of("age > 1 s)"), "column 10: expected an operator or the end");
  EXPECT_EQ(error_of("age = 1 s"), "column 5: expected \"==\"");
  EXPECT_EQ(error_of("!age"), "column 1: expected \"!=\" (use \"not\" for negation)");
  EXPECT_EQ(error_of("age > 5min"), "column 8: expected a space between a number and its unit");
  EXPECT_EQ(error_of("age > 1. s"), "column 9: expected a digit after \".\"");
  EXPECT_EQ(error_of("age > 1 s # x"), "column 11: unexpected character");
  EXPECT_EQ(error_of("age > kWh"), "column 7: unknown name \"kWh\"");
  EXPECT_EQ(error_of("t1 > \xC2\xB0"
                     "C"),
            "column 6: a unit must follow a number");
  EXPECT_EQ(error_of("and age > 1 s"), "column 1: expected a value before \"and\"");
  EXPECT_EQ(error_of("age"),
            "column 1: a rule must be a condition (a comparison), not a time value");
  EXPECT_EQ(error_of("delta(e1 24 h) < 0"), "column 10: expected \",\" after the key");
  EXPECT_EQ(error_of("delta(x1, 24 h) < 0"), "column 7: unknown name \"x1\" (did you mean t1?)");
  EXPECT_EQ(error_of("delta(e1, 24) < 0"),
            "column 11: expected a duration (e.g. 10 min) after the key in delta(...)");
  EXPECT_EQ(error_of("delta e1"), "column 7: expected \"(\" after delta");
  EXPECT_EQ(error_of("delta(e1, 1 h > 0"), "column 15: expected \")\"");
  EXPECT_EQ(error_of("rate(t1, 1 h) > 0"),
            "column 1: rate needs an energy or a volume key (e1, v1)");
  EXPECT_EQ(error_of("median(t1, 0) > 0"),
            "column 12: expected a number of samples from 1 to 100 in median(...)");
  EXPECT_EQ(error_of("median(t1, 2.5) > 0"),
            "column 12: expected a number of samples from 1 to 100 in median(...)");
  EXPECT_EQ(error_of("median(t1, 3 s) > 0"),
            "column 12: expected a number of samples from 1 to 100 in median(...)");
  EXPECT_EQ(error_of("age > 1 s for 0.5 s"),
            "column 15: a duration must be whole seconds from 1 s to 400 d");
  EXPECT_EQ(error_of("age > 1 s for 401 d"),
            "column 15: a duration must be whole seconds from 1 s to 400 d");
  EXPECT_EQ(error_of("age > 1 s for 1 s for 1 s"),
            "column 19: expected an operator or the end, found \"for\"");
  EXPECT_EQ(error_of("age for 1 min"),
            "column 5: \"for\" needs a condition before it, not a time value");
  EXPECT_EQ(error_of("not age"), "column 1: \"not\" needs a condition, not a time value");
  EXPECT_EQ(error_of("-(age > 1 s) and age > 1 s"), "column 1: \"-\" needs a number");
  EXPECT_EQ(error_of("age and age > 1 s"),
            "column 5: \"and\" needs conditions on both sides, not time and condition");
  EXPECT_EQ(error_of("(age > 1 s) == (age > 1 s)"),
            "column 13: cannot compare conditions (use and, or, not)");
  EXPECT_EQ(error_of("age > 99999999999999999999").rfind("column 7: ", 0), 0u);
}

TEST(AlarmRule, DimensionsAreCheckedWithThePosition) {
  EXPECT_EQ(error_of("age + 5 kWh > 0"), "column 5: cannot add energy to time");
  EXPECT_EQ(error_of("t1 > 5 m3"), "column 4: cannot compare temperature with volume");
  EXPECT_EQ(error_of("e1 - v1 > 0"), "column 4: cannot subtract volume from energy");
  EXPECT_EQ(
      error_of("e1 * v1 > 0"),
      "column 4: cannot multiply energy by volume (one side must be a number without a unit)");
  EXPECT_EQ(error_of("2 / e1 > 0"), "column 3: cannot divide plain number by energy");
  EXPECT_EQ(error_of("valve == 1"), "column 7: valve compares only with open, closed or unknown");
  EXPECT_EQ(error_of("valve < open"), "column 7: cannot compare valve state with valve state");
  EXPECT_EQ(error_of("delta(e1, 1 h) < 5 m3"), "column 16: cannot compare energy with volume");
  EXPECT_EQ(error_of("rate(v1, 1 h) > 1 m3"), "column 15: cannot compare flow with volume");
  // A number without a unit fits any dimension; a ratio of equal dimensions is a plain number.
  EXPECT_TRUE(parse_rule("t1 > 60 and e1 / e1 > 2 and t1 * 2 > 3 C").ok());
}

TEST(AlarmRule, Bounds) {
  std::string deep(70, '(');
  deep += "age > 1 s";
  deep += std::string(70, ')');
  EXPECT_EQ(error_of(deep), "column 65: nested deeper than 64 levels");
  std::string ok_nest(60, '(');
  ok_nest += "age > 1 s" + std::string(60, ')');
  EXPECT_TRUE(parse_rule(ok_nest).ok());
  std::string minus(100, '-');
  EXPECT_EQ(error_of(minus + "1 > 0"), "column 64: nested deeper than 64 levels");
  std::string many = "age > 1";
  for (int i = 0; i < 200; ++i)
    many += "+1";
  EXPECT_EQ(error_of(many), "column 263: more than 256 terms");
  std::string long_text(1001, ' ');
  EXPECT_EQ(error_of(long_text), "column 1001: a rule is at most 1000 bytes");
}

TEST(AlarmRule, RoundTripKeepsTheTree) {
  for (std::string_view text :
       {"age > 30 min", "flow1 > 0 for 5 min and valve == closed for 10 min",
        "valve == closed and credit_kwh > 0", "days_left < 7", "t1 < 5 C or t1 > 95 C",
        "delta(e1, 24 h) < 0", "not (age > 1 s and age < 2 s)",
        "(age > 1 s or days_left > 1) for 1 s", "age - (1 s - 2 s) * (3 + 4) / -(5) > 0",
        "not not (valve != open) for 1 min", "((t1 > 1 or t2 > 2) and (t3 > 3 or tdif > 4))",
        "- - 0.50 > -0", "rate(v1, 1 h) * 2 > 0.2 m3/h"}) {
    const Rule a = rule_of(text);
    const std::string printed = print_rule(a);
    const Rule b = rule_of(printed);
    EXPECT_EQ(a, b) << text << " -> " << printed;
    EXPECT_EQ(print_rule(b), printed);
  }
}

TEST(AlarmRule, KnowsEverySampleKeyWithAValue) {
  using sample::MeterKind;
  for (MeterKind kind : {MeterKind::kmp, MeterKind::mc66c, MeterKind::mc66b,
                         MeterKind::pulse_electricity, MeterKind::pulse_water}) {
    for (bool flow : {false, true}) {
      for (std::string_view key : sample::sample_keys(kind, flow)) {
        if (key == "program") continue;
        EXPECT_NE(find_key(key), nullptr) << key;
      }
    }
  }
}

TEST(AlarmRule, UnitFactorsAreExactDecimals) {
  for (const auto& u : kUnits)
    EXPECT_TRUE(Decimal::parse(u.factor).ok()) << u.name;
}

}  // namespace
}  // namespace ml::core::alarm
