// KeptReading (server/http/kept_reading.hpp), as FleetSummary uses it: a small fleet is read for
// every page; a large one is answered from the kept reading, renewed in the background once it is
// kFleetRefreshS old, one reading at a time, and kept when a renewal fails. The reader here is a
// stand-in that counts its calls and can be held at a gate, so each step waits for an event, never
// for time.
#include "server/http/fleet_summary.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/sqlite/store.hpp"
#include "sim_support.hpp"

namespace ml::server::http::fleet_summary_unit {

constexpr std::int64_t kStart = 1'800'000'000;

class FleetSummaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = SqliteStore::open(dir_.file("server.db")).value();
    pool_ = std::make_shared<StorePool>(*store_);
  }

  // A summary whose readings have `meters` meters; beyond `cache_above` it keeps them.
  std::unique_ptr<FleetSummary> make(std::size_t cache_above) {
    auto read = [this](ServerStore&, std::int64_t now) -> core::Result<FleetSnapshot> {
      std::unique_lock lock(mutex_);
      ++reads_;
      changed_.notify_all();
      changed_.wait(lock, [this] { return open_; });
      ++finished_;
      changed_.notify_all();
      if (fail_) return core::make_error(core::Errc::storage_unavailable, "test: no database");
      FleetSnapshot s;
      s.as_of = now;
      s.meters.resize(meters_);
      return s;
    };
    return std::make_unique<FleetSummary>(
        "test", read, pool_, [this] { return now_.load(); }, cache_above, kFleetRefreshS);
  }
  std::int64_t as_of(FleetSummary& f) {
    auto s = f.get(*store_);
    EXPECT_TRUE(s.ok());
    return s ? (*s)->as_of : -1;
  }
  int reads() {
    std::lock_guard lock(mutex_);
    return reads_;
  }
  // Waits until the reader was called `n` times in all.
  void wait_for_reads(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return reads_ >= n; });
  }
  // Waits until the reader returned `n` times in all.
  void wait_for_finished(int n) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return finished_ >= n; });
  }
  // Waits until the `n`th reading returned, then until the summary has taken it in (the kept
  // reading changes right after).
  std::int64_t wait_for_renewal(FleetSummary& f, int n, std::int64_t old) {
    wait_for_finished(n);
    std::int64_t seen = old;
    while (seen == old) {
      std::this_thread::yield();
      seen = as_of(f);
    }
    return seen;
  }
  void gate(bool open) {
    std::lock_guard lock(mutex_);
    open_ = open;
    changed_.notify_all();
  }
  void fail(bool yes) {
    std::lock_guard lock(mutex_);
    fail_ = yes;
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
  std::shared_ptr<StorePool> pool_;
  std::atomic<std::int64_t> now_{kStart};
  std::mutex mutex_;
  std::condition_variable changed_;
  int reads_ = 0;
  int finished_ = 0;
  bool open_ = true;
  bool fail_ = false;
  std::size_t meters_ = 10;
};

TEST_F(FleetSummaryTest, ASmallFleetIsReadForEveryPage) {
  auto f = make(10);
  EXPECT_EQ(as_of(*f), kStart);
  now_ = kStart + 1;
  EXPECT_EQ(as_of(*f), kStart + 1);
  EXPECT_EQ(as_of(*f), kStart + 1);
  EXPECT_EQ(reads(), 3);
}

TEST_F(FleetSummaryTest, ALargeFleetIsAnsweredFromTheKeptReadingAndRenewedInTheBackground) {
  auto f = make(9);
  EXPECT_EQ(as_of(*f), kStart);  // the first reading: on the request
  now_ = kStart + kFleetRefreshS - 1;
  EXPECT_EQ(as_of(*f), kStart);  // kept, not old enough to renew
  EXPECT_EQ(reads(), 1);

  gate(false);
  now_ = kStart + kFleetRefreshS;
  EXPECT_EQ(as_of(*f), kStart);  // answered at once; a renewal is asked for
  wait_for_reads(2);             // under way, held at the gate
  now_ = kStart + kFleetRefreshS + 5;
  EXPECT_EQ(as_of(*f), kStart);  // still the kept one, and no second renewal
  EXPECT_EQ(reads(), 2);
  gate(true);
  // The renewal lands: the next page has it (its time is the reader's clock when it ran).
  EXPECT_EQ(wait_for_renewal(*f, 2, kStart), kStart + kFleetRefreshS);
  EXPECT_EQ(reads(), 2);
}

TEST_F(FleetSummaryTest, AFailedRenewalKeepsTheReadingAndIsAskedAgain) {
  auto f = make(9);
  EXPECT_EQ(as_of(*f), kStart);
  fail(true);
  now_ = kStart + kFleetRefreshS;
  EXPECT_EQ(as_of(*f), kStart);
  wait_for_finished(2);  // the renewal failed
  fail(false);
  EXPECT_EQ(as_of(*f), kStart) << "the old reading stays";
  // Once the failed renewal is over, the next page asks again.
  while (reads() < 3) {
    std::this_thread::yield();
    ASSERT_TRUE(f->get(*store_).ok());
  }
  EXPECT_EQ(wait_for_renewal(*f, 3, kStart), kStart + kFleetRefreshS);
}

TEST_F(FleetSummaryTest, AFailedFirstReadingIsTheRequestsError) {
  fail(true);
  auto f = make(0);
  auto s = f->get(*store_);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("test: no database"), std::string::npos);
}

}  // namespace ml::server::http::fleet_summary_unit
