// The pulse counter (src/agent/pulse_counter.hpp) over a real store in a temporary directory,
// with edges and times passed in: edges through the width filter into the count, the reading
// (total, average power or flow, operating hours), the saving policy, the calibration starting
// the count again, and the count and calibration surviving a reload.
#include "agent/pulse_counter.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "agent/store.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

using agent::PulseCounter;
using core::pulse::Edge;
using namespace std::chrono_literals;

constexpr std::uint64_t kMs = 1'000'000;  // nanoseconds

class PulseCounterTest : public ::testing::Test {
 protected:
  PulseCounterTest() : store_(agent::Store::open(dir_.path()).value()) {}

  PulseCounter make(core::sample::MeterKind kind = core::sample::MeterKind::pulse_electricity) {
    PulseCounter c(store_, "meter[1]", kind, config_, [this] { return now_; });
    c.load("12345678", start_);
    return c;
  }
  // `n` S0 pulses of `width_ms`, one every 500 ms from edge_ns_.
  void pulses(PulseCounter& c, int n, std::uint64_t width_ms = 100) {
    for (int i = 0; i < n; ++i) {
      c.on_edge({Edge::falling, edge_ns_});
      c.on_edge({Edge::rising, edge_ns_ + width_ms * kMs});
      edge_ns_ += 500 * kMs;
    }
  }
  static std::string value(const core::sample::Reading& r, const std::string& key) {
    auto it = r.values.find(key);
    return it == r.values.end() ? "<none>" : it->second.value.to_string();
  }

  test::TempDir dir_;
  agent::Store store_;
  agent::PulseConfig config_;  // 1000 per unit, the 80-120 ms filter
  std::int64_t now_ = 1750000000;
  PulseCounter::Clock::time_point start_{std::chrono::hours(1000)};
  std::uint64_t edge_ns_ = 1'000'000'000;
};

TEST_F(PulseCounterTest, EdgesInReadingOut) {
  PulseCounter c = make();
  EXPECT_EQ(c.base(), "0");
  EXPECT_EQ(c.per_unit(), 1000u);
  pulses(c, 250);
  pulses(c, 10, 30);  // too short for the filter: not counted
  EXPECT_EQ(c.count(), 250u);
  EXPECT_TRUE(c.dirty());
  // 250 pulses of 1/1000 kWh in an hour: 0.25 kWh, 0.25 kW on average.
  auto r = c.reading(start_ + 1h);
  ASSERT_TRUE(r) << r.error().message();
  EXPECT_EQ(r->kind, core::sample::MeterKind::pulse_electricity);
  EXPECT_EQ(r->serial, "12345678");
  EXPECT_EQ(core::compare(r->values.at("e1").value, core::Decimal::parse("0.25").value()), 0)
      << value(*r, "e1");
  EXPECT_EQ(r->values.at("e1").unit, "kWh");
  EXPECT_EQ(core::compare(r->values.at("effect1").value, core::Decimal::parse("0.25").value()), 0)
      << value(*r, "effect1");
  EXPECT_EQ(value(*r, "hr"), "1");
  // The next average counts only the pulses since this reading.
  pulses(c, 1000);
  auto next = c.reading(start_ + 2h);
  ASSERT_TRUE(next);
  EXPECT_EQ(core::compare(next->values.at("effect1").value, core::Decimal::parse("1").value()), 0)
      << value(*next, "effect1");
  EXPECT_EQ(core::compare(next->values.at("e1").value, core::Decimal::parse("1.25").value()), 0);
  EXPECT_EQ(value(*next, "hr"), "2");
}

TEST_F(PulseCounterTest, WaterGivesVolumeAndFlow) {
  config_.width_filter = false;
  config_.per_unit = 100;  // 10 l a pulse
  PulseCounter c = make(core::sample::MeterKind::pulse_water);
  c.on_edge({Edge::rising, edge_ns_});  // the line settled high
  edge_ns_ += 500 * kMs;
  pulses(c, 30);
  ASSERT_EQ(c.count(), 30u);
  auto r = c.reading(start_ + 1h);
  ASSERT_TRUE(r);
  EXPECT_EQ(core::compare(r->values.at("v1").value, core::Decimal::parse("0.3").value()), 0)
      << value(*r, "v1");
  EXPECT_EQ(r->values.at("v1").unit, "m3");
  EXPECT_EQ(value(*r, "flow1"), "300");
  EXPECT_EQ(r->values.count("e1"), 0u);
}

TEST_F(PulseCounterTest, TheSavedCountAndTheOperatingTimeSurviveAReload) {
  {
    PulseCounter c = make();
    pulses(c, 42);
    ASSERT_TRUE(c.reading(start_ + 2h));
    c.save_if_dirty();
    EXPECT_FALSE(c.dirty());
    pulses(c, 3);  // never saved: lost, as in a crash within the second
  }
  EXPECT_EQ(store_.pulse_count("12345678").value(), 42);
  PulseCounter again = make();
  EXPECT_EQ(again.count(), 42u);
  EXPECT_FALSE(again.dirty());
  auto r = again.reading(start_ + 1h);
  ASSERT_TRUE(r);
  EXPECT_EQ(value(*r, "hr"), "3");  // 2 h before the reload and 1 h after
  EXPECT_EQ(core::compare(r->values.at("effect1").value, core::Decimal{}), 0);
}

TEST_F(PulseCounterTest, CalibrationResetsTheCountAndSurvivesAReload) {
  PulseCounter c = make();
  pulses(c, 500);
  ASSERT_TRUE(c.calibrate(core::Decimal::parse("1234.5").value(), 500));
  EXPECT_EQ(c.count(), 0u);
  EXPECT_EQ(c.base(), "1234.5");
  EXPECT_EQ(c.per_unit(), 500u);
  EXPECT_EQ(store_.pulse_count("12345678").value(), 0);
  pulses(c, 250);  // half a kWh at 500 per kWh
  auto r = c.reading(start_ + 1h);
  ASSERT_TRUE(r);
  EXPECT_EQ(core::compare(r->values.at("e1").value, core::Decimal::parse("1235").value()), 0)
      << value(*r, "e1");
  ASSERT_TRUE(c.save());

  PulseCounter again = make();
  EXPECT_EQ(again.base(), "1234.5");
  EXPECT_EQ(again.per_unit(), 500u);
  EXPECT_EQ(again.count(), 250u);
}

TEST_F(PulseCounterTest, BadCalibrationIsRefusedAndChangesNothing) {
  PulseCounter c = make();
  pulses(c, 7);
  const auto negative = c.calibrate(core::Decimal::parse("-1").value(), 1000);
  ASSERT_FALSE(negative);
  EXPECT_EQ(negative.error().code, core::Errc::invalid_argument);
  EXPECT_EQ(negative.error().detail, "the base reading must not be negative");
  const auto zero = c.calibrate(core::Decimal::parse("10").value(), 0);
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().detail, "impulses per unit must be at least 1");
  EXPECT_EQ(c.count(), 7u);
  EXPECT_EQ(c.base(), "0");
  EXPECT_EQ(c.per_unit(), 1000u);
  EXPECT_FALSE(store_.setting("12345678", "pulse_base").value());
}

TEST_F(PulseCounterTest, ADamagedStoredSettingKeepsTheConfiguration) {
  ASSERT_TRUE(store_.set_setting("12345678", "pulse_per_unit", "zero", now_));
  PulseCounter c = make();
  EXPECT_EQ(c.per_unit(), 1000u);
}

}  // namespace
}  // namespace ml
