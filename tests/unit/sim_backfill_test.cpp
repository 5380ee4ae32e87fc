// sim::backfill: the sample times, the energy continuing into the emulator, parsable texts, bounds.
#include <gtest/gtest.h>

#include "core/sample/sample.hpp"
#include "sim/backfill.hpp"

namespace ml::sim {
namespace {

BackfillConfig week() {
  BackfillConfig c;
  c.serial = 6892850;
  c.seed = 7;
  c.to = 1'767'225'600;  // 2026-01-01
  c.from = c.to - 7 * 86400;
  c.every_s = 600;
  c.end_energy_mwh = 12'345'000'000;  // 12345 kWh
  c.end_volume_ml = 321'500'000;
  return c;
}

TEST(SimBackfill, SamplesEveryIntervalEndingAtTheGivenEnergy) {
  auto samples = backfill(week());
  ASSERT_TRUE(samples) << samples.error().text();
  ASSERT_EQ(samples->size(), 7u * 144 + 1);
  EXPECT_EQ(samples->front().time, week().from);
  EXPECT_EQ(samples->back().time, week().to);
  std::optional<core::Decimal> previous;
  for (const auto& s : *samples) {
    auto parsed = core::sample::parse_sample(s.text);
    ASSERT_TRUE(parsed) << s.text << ": " << parsed.error().text();
    const auto* e1 = parsed->find("e1");
    ASSERT_TRUE(e1 && e1->value) << s.text;
    if (previous) {
      EXPECT_LE(core::compare(*previous, *e1->value), 0) << s.text;
    }
    previous = e1->value;
  }
  // The MULTICAL 601 shows whole kWh: the last sample is the end energy.
  EXPECT_EQ(previous->to_string(), "12345");
  auto first = core::sample::parse_sample(samples->front().text);
  EXPECT_LT(core::compare(*first->find("e1")->value, *previous), 0)
      << "a week of heating uses energy";
}

TEST(SimBackfill, DeterministicForASeed) {
  auto a = backfill(week());
  auto b = backfill(week());
  ASSERT_TRUE(a && b);
  ASSERT_EQ(a->size(), b->size());
  for (std::size_t i = 0; i < a->size(); ++i)
    EXPECT_EQ((*a)[i].text, (*b)[i].text);
}

TEST(SimBackfill, RefusesWhatItCannotProduce) {
  auto c = week();
  c.end_energy_mwh = 1000;  // 0.001 kWh: less than a week uses
  auto r = backfill(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text().find("end energy"), std::string::npos) << r.error().text();
  c = week();
  c.every_s = 1;
  c.from = c.to - 10 * 86400;
  r = backfill(c);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().text().find("at most"), std::string::npos) << r.error().text();
  c = week();
  c.from = c.to + 1;
  EXPECT_FALSE(backfill(c));
}

}  // namespace
}  // namespace ml::sim
