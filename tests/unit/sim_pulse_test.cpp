// The S0 pulse emulator: the edge protocol, pulse shapes, rates and the exact energy.
#include <gtest/gtest.h>

#include "sim/pulse.hpp"
#include "sim_support.hpp"

namespace ml::sim {
namespace {

using namespace ml::test;

TEST(SimPulseProtocol, EdgeLines) {
  EXPECT_EQ(edge_line(EdgeEvent{Level::falling, 123, true}), "falling 123\n");
  EXPECT_EQ(edge_line(EdgeEvent{Level::rising, 9, true}), "rising 9\n");
  auto e = parse_edge_line("rising 1234567890\n");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->edge, Level::rising);
  EXPECT_EQ(e->ns, 1234567890);
  EXPECT_EQ(parse_edge_line("falling 5")->edge, Level::falling);
  for (std::string_view bad : {"", "up 5", "falling", "falling -5", "falling 5x", "rising  5",
                               "falling 99999999999999999999999999999999999"}) {
    EXPECT_FALSE(parse_edge_line(bad).ok()) << bad;
  }
}

TEST(SimPulseShape, WidthJitterAndBounce) {
  PulseShape shape{20, 5, 0, 9};
  const std::int64_t period = 100'000'000;
  for (std::uint64_t k = 1; k <= 200; ++k) {
    const auto edges = pulse_edges(shape, k, 1'000'000'000, period);
    ASSERT_EQ(edges.size(), 2u);
    EXPECT_EQ(edges[0].edge, Level::falling);
    EXPECT_EQ(edges[1].edge, Level::rising);
    const std::int64_t width = edges[1].ns - edges[0].ns;
    EXPECT_GE(width, 15'000'000);
    EXPECT_LE(width, 25'000'000);
    EXPECT_EQ(edges, pulse_edges(shape, k, 1'000'000'000, period));  // deterministic
  }
  shape.bounce = 2;
  const auto edges = pulse_edges(shape, 1, 0, period);
  ASSERT_EQ(edges.size(), 10u);  // each main edge + 2 glitches of 2 edges
  for (std::size_t i = 1; i < edges.size(); ++i) {
    EXPECT_NE(edges[i].edge, edges[i - 1].edge) << i;  // levels alternate
    EXPECT_GT(edges[i].ns, edges[i - 1].ns);
  }
  EXPECT_TRUE(edges[0].main);
  EXPECT_TRUE(edges[5].main);
  EXPECT_EQ(edges[5].edge, Level::rising);
  for (std::size_t i : {1u, 2u, 3u, 4u}) {
    EXPECT_FALSE(edges[i].main);
    const std::int64_t gap = edges[i].ns - edges[i - 1].ns;
    EXPECT_GE(gap, 800'000);
    EXPECT_LE(gap, 1'200'000);
  }
  EXPECT_EQ(edges[4].edge, Level::falling);  // settles low after the falling edge
  EXPECT_EQ(edges[9].edge, Level::rising);   // and high after the rising edge
}

TEST(SimPulseOptions, Checked) {
  PulseOptions o;
  o.power_w = 1500;
  EXPECT_TRUE(pulse_options_problem(o).empty());
  EXPECT_DOUBLE_EQ(pulse_rate(3600, 1000), 1.0);
  o.imp_per_kwh = 0;
  EXPECT_FALSE(pulse_options_problem(o).empty());
  o.imp_per_kwh = 1000;
  o.rate = 1000;
  EXPECT_FALSE(pulse_options_problem(o).empty());
  o.rate = 1;
  o.shape.jitter_ms = 200;
  EXPECT_FALSE(pulse_options_problem(o).empty());
}

std::vector<EdgeEvent> read_edges(ControlClient& c, std::chrono::milliseconds duration) {
  std::vector<EdgeEvent> out;
  const auto deadline = Clock::now() + duration;
  while (Clock::now() < deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    auto line = c.read_line(left);
    if (!line) break;
    auto e = parse_edge_line(*line);
    EXPECT_TRUE(e.ok()) << *line;
    if (e) out.push_back(*e);
  }
  return out;
}

TEST(SimPulse, EmitsEdgesAtTheRateWithTheWidth) {
  TempDir dir;
  PulseOptions o;
  o.link = dir.file("s0");
  o.rate = 20;
  o.shape = PulseShape{20, 5, 0, 4};
  Running<PulseEmulator> emu(std::move(o), dir.file("ctl"));
  auto c = ControlClient::connect(dir.file("s0"));
  ASSERT_TRUE(c.ok());
  const std::int64_t t0 = monotonic_ns();
  std::vector<EdgeEvent> edges = read_edges(*c, 620ms);
  // Drop a rising edge of a pulse that began before we connected.
  if (!edges.empty() && edges.front().edge == Level::rising) edges.erase(edges.begin());
  ASSERT_GE(edges.size(), 16u);
  std::vector<std::int64_t> falls;
  for (std::size_t i = 0; i + 1 < edges.size(); i += 2) {
    ASSERT_EQ(edges[i].edge, Level::falling);
    ASSERT_EQ(edges[i + 1].edge, Level::rising);
    const std::int64_t w = edges[i + 1].ns - edges[i].ns;
    EXPECT_GE(w, 15'000'000);
    EXPECT_LE(w, 25'000'000);
    falls.push_back(edges[i].ns);
  }
  for (std::size_t i = 1; i < falls.size(); ++i)
    EXPECT_EQ(falls[i] - falls[i - 1], 50'000'000);  // exactly one period apart
  EXPECT_GE(falls.front(), t0 - 100'000'000);
  EXPECT_LE(falls.back(), monotonic_ns());
  // 20 pulses/s for ~0.6 s
  EXPECT_GE(falls.size(), 10u);
  EXPECT_LE(falls.size(), 14u);
}

TEST(SimPulse, CountMatchesPowerAndTheEnergyIsExact) {
  TempDir dir;
  PulseOptions o;
  o.link = dir.file("s0");
  o.power_w = 3600;
  o.imp_per_kwh = 10'000;  // 10 pulses per second
  o.shape = PulseShape{30, 0, 1, 1};
  o.start_energy_wh = 1'234'500;
  Running<PulseEmulator> emu(std::move(o), dir.file("ctl"));
  auto c = ControlClient::connect(dir.file("s0"));
  ASSERT_TRUE(c.ok());
  const auto edges = read_edges(*c, 1050ms);
  const nlohmann::json s = emu.state();
  const auto pulses = s["pulses"].get<std::uint64_t>();
  EXPECT_GE(pulses, 9u);
  EXPECT_LE(pulses, 11u);
  EXPECT_DOUBLE_EQ(s["rate_per_s"].get<double>(), 10.0);
  // 1234.5 kWh + pulses x 0.0001 kWh, exactly
  const core::Decimal expect{false, 12'345'000 + pulses, -4};
  bool exact = false;
  auto energy = core::Decimal::parse(s["energy"]["value"].get<std::string>());
  ASSERT_TRUE(energy.ok());
  EXPECT_EQ(core::compare(*energy, expect), 0) << s["energy"].dump();
  exact = s["energy"]["exact"].get<bool>();
  EXPECT_TRUE(exact);
  // One bounce: 6 edges per pulse.
  EXPECT_GE(edges.size(), 6u * 9u - 6u);

  // At run time: a new rate.
  const nlohmann::json r = emu.request({{"cmd", "set"}, {"rate", 2}});
  EXPECT_EQ(r["ok"], true);
  EXPECT_DOUBLE_EQ(r["rate_per_s"].get<double>(), 2.0);
  EXPECT_EQ(emu.request({{"cmd", "set"}, {"rate", -1}})["ok"], false);
  EXPECT_EQ(emu.request({{"cmd", "last_reply"}})["ok"], false);
}

}  // namespace
}  // namespace ml::sim
