#include "core/pulse/pulse.hpp"

#include <gtest/gtest.h>

#include <random>

namespace ml::core::pulse {
namespace {

constexpr std::uint64_t kMs = 1000000;

TEST(Pulse, EdgeLines) {
  auto e = parse_edge_line("falling 123456789\n");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->edge, Edge::falling);
  EXPECT_EQ(e->time_ns, 123456789u);
  EXPECT_EQ(parse_edge_line("rising 5")->edge, Edge::rising);
  for (std::string_view bad : {"", "up 5", "rising", "rising -5", "rising 5x", "falling  5"}) {
    EXPECT_FALSE(parse_edge_line(bad).ok()) << bad;
  }
}

TEST(Pulse, WidthFilterAcceptsOnlyS0Pulses) {
  PulseFilter f(true, 80, 120);
  std::uint64_t t = 1000 * kMs;
  auto pulse = [&](std::uint64_t width_ms) {
    const bool a = f.on_edge({Edge::falling, t});
    const bool b = f.on_edge({Edge::rising, t + width_ms * kMs});
    t += 1000 * kMs;
    EXPECT_FALSE(a);
    return b;
  };
  EXPECT_TRUE(pulse(100));
  EXPECT_TRUE(pulse(81));
  EXPECT_TRUE(pulse(119));
  EXPECT_FALSE(pulse(80));  // 80 000 us < w < 120 000 us (docs/agent.md)
  EXPECT_FALSE(pulse(120));
  EXPECT_FALSE(pulse(30));
  EXPECT_FALSE(pulse(500));
  EXPECT_EQ(f.rejected(), 4u);
}

TEST(Pulse, BounceNeverCountsTwiceNorLosesAPulse) {
  std::mt19937_64 rng(5);
  for (bool filter : {true, false}) {
    PulseFilter f(filter, 80, 120);
    std::uint64_t t = 0;
    int counted = 0;
    for (int i = 0; i < 1000; ++i) {
      std::vector<EdgeEvent> edges;
      t += 400 * kMs;
      edges.push_back({Edge::falling, t});
      for (int b = 0; b < static_cast<int>(rng() % 3); ++b) {  // bounce after the fall
        edges.push_back({Edge::rising, t + (2 * b + 1) * kMs});
        edges.push_back({Edge::falling, t + (2 * b + 2) * kMs});
      }
      const std::uint64_t end = t + (95 + rng() % 10) * kMs;
      edges.push_back({Edge::rising, end});
      for (int b = 0; b < static_cast<int>(rng() % 3); ++b) {  // bounce after the rise
        edges.push_back({Edge::falling, end + (2 * b + 1) * kMs});
        edges.push_back({Edge::rising, end + (2 * b + 2) * kMs});
      }
      for (const auto& e : edges)
        counted += f.on_edge(e) ? 1 : 0;
      t = end;
    }
    EXPECT_EQ(counted, 1000) << (filter ? "with" : "without") << " width filter";
  }
}

TEST(Pulse, TotalsAreExactAndRoundDown) {
  // Base 1 234 500 Wh, 1000 imp/kWh, count 1501 -> 1236.001 kWh.
  PulseTotals t{Decimal::parse("1234.500").value(), 1501, 1000};
  EXPECT_EQ(t.total()->to_string(), "1236.001");
  // 800 imp/kWh is 1.25 Wh per pulse (the original counted 1 Wh).
  t = {Decimal::parse("0").value(), 801, 800};
  EXPECT_EQ(t.total()->to_string(), "1.001");  // 1001.25 Wh, rounded down
  // 2000 imp/kWh: 0.5 Wh per pulse (the original's energy never increased).
  t = {Decimal::parse("10").value(), 3, 2000};
  EXPECT_EQ(t.total()->to_string(), "10.001");
  // Monotonic as the count grows.
  Decimal previous{};
  for (std::uint64_t n = 0; n < 5000; ++n) {
    t = {Decimal::parse("7.5").value(), n, 600};
    const Decimal now = t.total().value();
    EXPECT_GE(compare(now, previous), 0);
    previous = now;
  }
}

TEST(Pulse, AverageRates) {
  // 10 pulses in 36 s at 1000 imp/kWh = 1.000 kW.
  EXPECT_EQ(average_power_kw(10, 36000, 1000)->to_string(), "1.000");
  EXPECT_EQ(average_power_kw(1, 3600000, 1000)->to_string(), "0.001");
  EXPECT_EQ(average_flow_lh(10, 60000, 1000)->to_string(), "600");  // 10 l/min
  EXPECT_FALSE(average_power_kw(1, 0, 1000).ok());
}

}  // namespace
}  // namespace ml::core::pulse
