// The store contract (store_contract.hpp) for leases (store/leases.hpp): one holder at a time,
// renewed by its holder, taken by another only once expired, given up at a clean stop; two
// connections racing for an expired lease, one wins.
#include <thread>

#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreLeasesContract : public StoreContract {};

TEST_P(StoreLeasesContract, OneHolderAtATimeUntilItExpires) {
  EXPECT_EQ(store_->lease("duties").value().holder, "");
  EXPECT_TRUE(store_->take_lease("duties", "a", 1000, 30).value());
  EXPECT_EQ(store_->lease("duties").value().holder, "a");
  EXPECT_EQ(store_->lease("duties").value().expires, 1030);
  EXPECT_FALSE(store_->take_lease("duties", "b", 1010, 30).value());  // a's still runs
  EXPECT_FALSE(store_->take_lease("duties", "b", 1029, 30).value());
  EXPECT_EQ(store_->lease("duties").value().holder, "a");
  EXPECT_TRUE(store_->take_lease("duties", "a", 1020, 30).value());  // renewed
  EXPECT_EQ(store_->lease("duties").value().expires, 1050);
  EXPECT_FALSE(store_->take_lease("duties", "b", 1049, 30).value());
  EXPECT_TRUE(store_->take_lease("duties", "b", 1050, 30).value());  // expired: taken over
  EXPECT_EQ(store_->lease("duties").value().holder, "b");
  EXPECT_FALSE(store_->take_lease("duties", "a", 1051, 30).value());  // a lost it
  EXPECT_TRUE(store_->take_lease("other", "a", 1051, 30).value());    // names are apart

  ASSERT_TRUE(store_->release_lease("duties", "a").ok());  // not a's: nothing happens
  EXPECT_EQ(store_->lease("duties").value().holder, "b");
  ASSERT_TRUE(store_->release_lease("duties", "b").ok());
  EXPECT_EQ(store_->lease("duties").value().holder, "");
  EXPECT_TRUE(store_->take_lease("duties", "a", 1052, 30).value());
}

TEST_P(StoreLeasesContract, OfTwoConnectionsRacingForAnExpiredLeaseOneWins) {
  ASSERT_TRUE(store_->take_lease("duties", "old", 1000, 30).value());
  for (int round = 0; round < 10; ++round) {
    const std::int64_t now = 2000 + 100 * round;
    auto a = open_again();
    auto b = open_again();
    bool took_a = false;
    bool took_b = false;
    std::thread ta([&] { took_a = a->take_lease("duties", "a", now, 30).value(); });
    std::thread tb([&] { took_b = b->take_lease("duties", "b", now, 30).value(); });
    ta.join();
    tb.join();
    EXPECT_NE(took_a, took_b) << "round " << round;
    EXPECT_EQ(store_->lease("duties").value().holder, took_a ? "a" : "b");
  }
}

}  // namespace
ML_STORE_CONTRACT(StoreLeasesContract);
}  // namespace ml::server::test_store
