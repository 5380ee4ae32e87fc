// The meter kind table (src/core/meter/kind.hpp) and what it decides: which names are kinds,
// which kinds have a valve, what the server's periodic poll asks each kind.
#include <gtest/gtest.h>

#include "core/meter/kind.hpp"
#include "server/sender.hpp"

namespace ml {
namespace {

using core::meter::Kind;

TEST(MeterKind, EveryKindHasOneRowAndRoundTripsByName) {
  for (Kind k : {Kind::heat, Kind::water, Kind::electricity}) {
    const auto& row = core::meter::info(k);
    EXPECT_EQ(row.kind, k);
    EXPECT_EQ(core::meter::kind_from_name(row.name), k) << row.name;
  }
  EXPECT_FALSE(core::meter::kind_from_name("gas"));
  EXPECT_FALSE(core::meter::kind_from_name("Heat"));
  EXPECT_EQ(core::meter::kind_names(), "heat, water, electricity");
}

TEST(MeterKind, OnlyHeatMetersHaveAValve) {
  EXPECT_TRUE(core::meter::info(Kind::heat).valve);
  EXPECT_FALSE(core::meter::info(Kind::water).valve);
  EXPECT_FALSE(core::meter::info(Kind::electricity).valve);
}

// The agent refuses `status` on pulse meters (water and electricity): the poll does not ask.
TEST(MeterKind, ThePollAsksForTheValveStateOnlyWhereThereIsAValve) {
  using V = std::vector<std::string_view>;
  EXPECT_EQ(server::polled_commands(Kind::heat), (V{"version", "status"}));
  EXPECT_EQ(server::polled_commands(Kind::water), (V{"version"}));
  EXPECT_EQ(server::polled_commands(Kind::electricity), (V{"version"}));
}

}  // namespace
}  // namespace ml
