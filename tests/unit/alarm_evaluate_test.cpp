// Evaluation of alarm rules (src/core/alarm/evaluate.hpp, docs/alarms.md) on the issue's
// templates: offline, leak, closed with credit, low credit, temperatures, consumption backwards.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "core/alarm/evaluate.hpp"

namespace ml::core::alarm {
namespace {

Decimal alarm_dec(std::string_view s) {
  return Decimal::parse(s).value();
}

Rule alarm_rule(std::string_view text) {
  auto r = parse_rule(text);
  EXPECT_TRUE(r.ok()) << text << ": " << (r.ok() ? "" : r.error().text());
  return r.ok() ? r.value() : Rule{};
}

// A context from maps: medians by key (any count), deltas by key (any window).
struct Fake {
  std::map<std::string, std::string, std::less<>> medians;
  std::map<std::string, std::string, std::less<>> deltas;
  std::int64_t held = 0;
  Context context;
  std::vector<std::int64_t> counts;
  std::vector<std::int64_t> windows;

  Fake() {
    context.median = [this](std::string_view key, std::int64_t n) -> std::optional<Decimal> {
      counts.push_back(n);
      auto it = medians.find(key);
      if (it == medians.end()) return std::nullopt;
      return alarm_dec(it->second);
    };
    context.delta = [this](std::string_view key, std::int64_t s) -> std::optional<Decimal> {
      windows.push_back(s);
      auto it = deltas.find(key);
      if (it == deltas.end()) return std::nullopt;
      return alarm_dec(it->second);
    };
    context.held = [this](std::size_t) { return held; };
  }
  bool fires(std::string_view text) { return evaluate(alarm_rule(text), context).fires; }
};

TEST(AlarmEvaluate, Offline) {
  Fake f;
  EXPECT_FALSE(f.fires("age > 30 min"));  // no sample ever: unknown, never an alarm
  f.context.age = 1800;
  EXPECT_FALSE(f.fires("age > 30 min"));
  f.context.age = 1801;
  EXPECT_TRUE(f.fires("age > 30 min"));
}

TEST(AlarmEvaluate, LeakNeedsBothConditionsToHaveHeld) {
  Fake f;
  const Rule leak = alarm_rule("flow1 > 0 for 5 min and valve == closed for 10 min");
  f.medians["flow1"] = "0.012";
  f.context.valve = ValveState::closed;
  f.context.valve_seconds = 600;
  f.held = 299;
  Outcome o = evaluate(leak, f.context);
  EXPECT_FALSE(o.fires);
  ASSERT_EQ(o.inner.size(), 2u);  // both `for` nodes report their inner condition
  EXPECT_TRUE(o.inner[0].second);
  EXPECT_TRUE(o.inner[1].second);
  EXPECT_EQ(leak.nodes[o.inner[0].first].kind, Kind::for_);
  f.held = 300;
  EXPECT_TRUE(evaluate(leak, f.context).fires);
  f.context.valve_seconds = 599;  // the valve's own time in its state counts
  EXPECT_FALSE(evaluate(leak, f.context).fires);
  f.context.valve_seconds = 600;
  f.context.valve = ValveState::open;
  o = evaluate(leak, f.context);
  EXPECT_FALSE(o.fires);
  EXPECT_FALSE(o.inner[1].second);
  f.context.valve = ValveState::closed;
  f.medians["flow1"] = "0";
  EXPECT_FALSE(evaluate(leak, f.context).fires);
  EXPECT_EQ(f.counts.back(), kDefaultMedianSamples);  // a bare key is a median of 3
}

TEST(AlarmEvaluate, ClosedWithCredit) {
  Fake f;
  const std::string_view rule = "valve == closed and credit_kwh > 0";
  f.context.valve = ValveState::closed;
  EXPECT_FALSE(f.fires(rule));  // credit unknown
  f.context.credit_kwh = alarm_dec("0.001");
  EXPECT_TRUE(f.fires(rule));
  f.context.credit_kwh = alarm_dec("-3");  // negative credit is a value, not "false"
  EXPECT_FALSE(f.fires(rule));
  EXPECT_TRUE(f.fires("credit_kwh < -2 kWh"));
  f.context.valve = ValveState::unknown;
  EXPECT_TRUE(f.fires("valve == unknown"));
  EXPECT_FALSE(f.fires("valve == closed"));
}

TEST(AlarmEvaluate, LowCredit) {
  Fake f;
  EXPECT_FALSE(f.fires("days_left < 7"));
  f.context.days_left = alarm_dec("6.9");
  EXPECT_TRUE(f.fires("days_left < 7"));
  f.context.days_left = alarm_dec("7");
  EXPECT_FALSE(f.fires("days_left < 7"));
}

TEST(AlarmEvaluate, TemperaturesOutOfRange) {
  Fake f;
  const std::string_view rule = "t1 < 5 C or t1 > 95 C or median(t2, 5) > 90 C";
  EXPECT_FALSE(f.fires(rule));
  f.medians["t1"] = "60.5";
  f.medians["t2"] = "40";
  EXPECT_FALSE(f.fires(rule));
  f.medians["t1"] = "95.01";
  EXPECT_TRUE(f.fires(rule));
  f.medians["t1"] = "-2.5";  // a negative temperature is a value below 5
  EXPECT_TRUE(f.fires(rule));
  EXPECT_EQ(f.counts.back(), 5);
  f.medians["t1"] = "50";
  EXPECT_TRUE(f.fires("t1 - t2 == 10 C and (t1 - t2) * 2 / 4 == 5"));
}

TEST(AlarmEvaluate, ConsumptionBackwards) {
  Fake f;
  EXPECT_FALSE(f.fires("delta(e1, 24 h) < 0"));
  f.deltas["e1"] = "0";
  EXPECT_FALSE(f.fires("delta(e1, 24 h) < 0"));
  f.deltas["e1"] = "-1";
  EXPECT_TRUE(f.fires("delta(e1, 24 h) < 0"));
  EXPECT_EQ(f.windows.back(), 86400);
}

TEST(AlarmEvaluate, RateIsDeltaPerHour) {
  Fake f;
  f.deltas["v1"] = "0.6";
  EXPECT_TRUE(f.fires("rate(v1, 3 h) == 0.2 m3/h"));
  EXPECT_TRUE(f.fires("rate(v1, 30 min) == 1200 l/h"));
  f.deltas["e1"] = "1";
  EXPECT_TRUE(f.fires("rate(e1, 3 h) >= 0.333333333 kW"));
  EXPECT_TRUE(f.fires("rate(e1, 3 h) < 0.333333334 kW"));
}

TEST(AlarmEvaluate, UnknownIsNeverAnAlarm) {
  Fake f;
  f.context.age = 10;
  EXPECT_FALSE(f.fires("not (t1 > 5)"));         // not unknown is unknown
  EXPECT_FALSE(f.fires("t1 > 5 or age < 5 s"));  // unknown or false
  EXPECT_TRUE(f.fires("t1 > 5 or age > 5 s"));   // unknown or true
  EXPECT_FALSE(f.fires("t1 > 5 and age > 5 s"));
  EXPECT_FALSE(f.fires("age / 0 > 1"));  // division by zero: unknown
  EXPECT_FALSE(f.fires("not (age / 0 > 1)"));
  f.context.held = nullptr;  // a `for` without a held time: unknown
  EXPECT_FALSE(f.fires("age > 1 s for 1 s"));
  Outcome o = evaluate(alarm_rule("age > 1 s for 1 s"), f.context);
  ASSERT_EQ(o.inner.size(), 1u);
  EXPECT_TRUE(o.inner[0].second);
}

}  // namespace
}  // namespace ml::core::alarm
