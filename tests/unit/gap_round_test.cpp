// The gap round (server/gaps.hpp) over every store backend: which gaps are found, which meters
// are asked to resend, how often, and what each gap's state is after.
#include <gtest/gtest.h>

#include "server/command_queue.hpp"
#include "server/gaps.hpp"
#include "store_contract.hpp"

namespace ml::server {
namespace {

using test_store::StoreContract;

class GapRound : public StoreContract {
 protected:
  static constexpr std::int64_t kT = 1700000000;
  // Samples a minute apart, with ten missing after the tenth: the gap (kT+541 .. kT+1199).
  void store_with_gap() {
    add_test_meter();
    std::vector<IngestItem> items;
    for (int i = 0; i < 30; ++i) {
      if (i >= 10 && i < 20) continue;
      items.push_back(sample(kT + 60 * i, "e1=" + std::to_string(100 + i) + " kWh&"));
    }
    ASSERT_TRUE(store_items(*store_, items, kT + 2000).ok());
  }
  void version(const std::string& text) {
    ASSERT_TRUE(store_items(*store_, {diag(kT + 1800, "version", text)}, kT + 2000).ok());
  }
  GapsConfig config_;
};

TEST_P(GapRound, AMeterWhoseDeviceKeepsItsSamplesIsAskedOnceAtATime) {
  store_with_gap();
  const std::int64_t now = kT + 3600;
  // The original firmware ignores resend: its gap is found and shown, nobody is asked.
  version("NO_AUTO_CLOSE-MC-THERMO_NC");
  auto g = meter_gaps(*store_, "6892850", now, config_);
  ASSERT_TRUE(g.ok()) << g.error().message();
  EXPECT_EQ(g->interval, 60);
  EXPECT_FALSE(g->takes_resend);
  ASSERT_EQ(g->gaps.size(), 1u);
  EXPECT_EQ(g->gaps[0].gap, (core::gaps::Gap{{kT + 541, kT + 1199}, 10}));
  EXPECT_EQ(g->gaps[0].state, GapState::open);
  auto round = run_gap_round(*store_, now, config_);
  ASSERT_TRUE(round.ok());
  EXPECT_EQ(round->gaps, 1);
  EXPECT_EQ(round->requested, 0);

  // This project's agent is asked, once while a request is pending.
  version("linux-0.1.0-MC-THERMO_NC-DEBUG_STACK_TRACE");
  EXPECT_EQ(run_gap_round(*store_, now, config_)->requested, 1);
  EXPECT_EQ(run_gap_round(*store_, now + 60, config_)->requested, 0);
  auto pending = store_->pending_commands("6892850").value();
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].command, "resend");
  EXPECT_EQ(pending[0].argument, std::to_string(kT + 541) + " " + std::to_string(kT + 1199));
  EXPECT_EQ(pending[0].expires, now + config_.expires_s);
  g = meter_gaps(*store_, "6892850", now, config_);
  EXPECT_EQ(g->gaps[0].state, GapState::requested);
  EXPECT_EQ(g->gaps[0].command_id, pending[0].id);

  // Unanswered: asked again after retry_after, then no more (max_tries 2).
  std::int64_t t = now + config_.expires_s + 1;
  ASSERT_TRUE(expire_commands(*store_, t).ok());
  EXPECT_EQ(meter_gaps(*store_, "6892850", t, config_)->gaps[0].state, GapState::open);
  EXPECT_EQ(run_gap_round(*store_, t, config_)->requested, 1);
  t += config_.expires_s + 1;
  ASSERT_TRUE(expire_commands(*store_, t).ok());
  EXPECT_EQ(run_gap_round(*store_, t, config_)->requested, 0);
  g = meter_gaps(*store_, "6892850", t, config_);
  EXPECT_EQ(g->gaps[0].state, GapState::unanswered);
  EXPECT_EQ(g->gaps[0].tries, 2);
}

TEST_P(GapRound, AGapTheDeviceAnsweredButDidNotFillIsNotAskedForAgain) {
  store_with_gap();
  version("linux-0.1.0-MC-THERMO_NC-DEBUG_STACK_TRACE");
  const std::int64_t now = kT + 3600;
  ASSERT_EQ(run_gap_round(*store_, now, config_)->requested, 1);
  const auto id = store_->pending_commands("6892850").value().at(0).id;
  ASSERT_TRUE(mark_sent(*store_, id, now + 1, now + 60).ok());
  ASSERT_TRUE(acknowledge(*store_, "6892850", "resend", "0", now + 2, now + 2).ok());
  const std::int64_t later = now + 10 * config_.retry_after_s;
  EXPECT_EQ(run_gap_round(*store_, later, config_)->requested, 0);
  EXPECT_EQ(meter_gaps(*store_, "6892850", later, config_)->gaps[0].state, GapState::not_kept);
}

TEST_P(GapRound, OnlySettledGapsInsideTheWindowCount) {
  store_with_gap();
  // Within `delay` of its end the gap may still be filling.
  config_.delay_s = 3600;
  EXPECT_TRUE(meter_gaps(*store_, "6892850", kT + 1200 + 3599, config_)->gaps.empty());
  EXPECT_EQ(meter_gaps(*store_, "6892850", kT + 1200 + 3600, config_)->gaps.size(), 1u);
  // Out of the window it is no longer looked for.
  config_.delay_s = 0;
  config_.window_s = 86400;
  EXPECT_TRUE(meter_gaps(*store_, "6892850", kT + 1200 + 86400, config_)->gaps.empty());
}

ML_STORE_CONTRACT(GapRound);

}  // namespace
}  // namespace ml::server
