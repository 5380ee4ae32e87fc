// The gap round (server/gaps.hpp) over every store backend: which gaps are found, which meters
// are asked to resend, how often, and what each gap's state is after.
#include <gtest/gtest.h>

#include <random>

#include "server/command_queue.hpp"
#include "server/gaps.hpp"
#include "store_contract.hpp"

namespace ml::server {
namespace {

using test_store::StoreContract;

class GapRound : public StoreContract {
 protected:
  static constexpr std::int64_t kT = 1700000000;
  // Samples a minute apart, with ten missing after the tenth: the gap (kT+541 .. kT+1199); the
  // test meter, or a meter like it with `serial`.
  void store_with_gap(const std::string& serial = "6892850") {
    add_test_meter("0", serial);
    std::vector<IngestItem> items;
    for (int i = 0; i < 30; ++i) {
      if (i >= 10 && i < 20) continue;
      items.push_back(sample(kT + 60 * i, "e1=" + std::to_string(100 + i) + " kWh&"));
      items.back().serial = serial;
    }
    ASSERT_TRUE(store_items(*store_, items, kT + 2000).ok());
  }
  void version(const std::string& text, const std::string& serial = "6892850") {
    auto item = diag(kT + 1800, "version", text);
    item.serial = serial;
    ASSERT_TRUE(store_items(*store_, {item}, kT + 2000).ok());
  }
  static std::vector<core::gaps::Gap> gaps_of(const MeterGaps& m) {
    std::vector<core::gaps::Gap> out;
    for (const auto& g : m.gaps)
      out.push_back(g.gap);
    return out;
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

// A round asks at most max_requests meters; the others are asked in the next rounds.
TEST_P(GapRound, ARoundAsksAtMostMaxRequestsMetersTheOthersLater) {
  const std::vector<std::string> serials = {"6892850", "6892851", "6892852"};
  for (const auto& serial : serials) {
    store_with_gap(serial);
    version("linux-0.1.0-MC-THERMO_NC", serial);
  }
  config_.max_requests = 2;
  const std::int64_t now = kT + 3600;
  auto first = run_gap_round(*store_, now, config_);
  ASSERT_TRUE(first.ok()) << first.error().message();
  EXPECT_EQ(first->gaps, 3);
  EXPECT_EQ(first->requested, 2);
  EXPECT_EQ(run_gap_round(*store_, now + 300, config_)->requested, 1);
  for (const auto& serial : serials)
    EXPECT_EQ(store_->pending_commands(serial).value().size(), 1u) << serial;
}

// GapMemory (what `run` keeps between rounds): each round reads only what came since the last,
// and finds what a whole read of the window finds. A meter sampling every minute for eight hours
// with outages of up to 40 minutes, a round every 5 minutes, and now and then part of an older
// gap filled late (a resend answered) or all of it.
TEST_P(GapRound, ARoundFromMemoryFindsWhatAWholeReadFinds) {
  add_test_meter();
  config_.window_s = 3 * 3600;  // gaps leave the window during the test
  config_.delay_s = 600;
  GapMemory memory;
  std::mt19937 random(17);
  std::int64_t outage_until = 0;
  std::int64_t e1 = 100;
  int rounds_with_gaps = 0, filled = 0;
  for (std::int64_t t = kT; t < kT + 8 * 3600; t += 60) {
    if (t >= outage_until && random() % 40 == 0)
      outage_until = t + 60 * static_cast<std::int64_t>(2 + random() % 40);
    if (t >= outage_until) {
      ASSERT_TRUE(
          store_items(*store_, {sample(t, "e1=" + std::to_string(++e1) + " kWh&")}, t).ok());
    }
    if ((t - kT) % 300 != 0) continue;
    const std::int64_t now = t + 30;
    auto whole = meter_gaps(*store_, "6892850", now, config_);
    ASSERT_TRUE(whole.ok()) << whole.error().message();
    // Late samples: part of one older gap, or all of it.
    if (!whole->gaps.empty() && random() % 4 == 0) {
      const auto& g = whole->gaps[random() % whole->gaps.size()].gap;
      const bool all = random() % 2 == 0;
      std::vector<IngestItem> late;
      for (std::int64_t s = g.missing.from + 59; s <= g.missing.to; s += 60) {
        if (all || random() % 3 == 0) late.push_back(sample(s, "e1=1 kWh&"));
      }
      filled += late.empty() ? 0 : 1;
      ASSERT_TRUE(store_items(*store_, late, now).ok());
      whole = meter_gaps(*store_, "6892850", now, config_);
    }
    auto from_memory = meter_gaps(*store_, "6892850", now, config_, &memory);
    ASSERT_TRUE(from_memory.ok()) << from_memory.error().message();
    EXPECT_EQ(from_memory->interval, whole->interval) << "at " << now - kT;
    EXPECT_EQ(gaps_of(*from_memory), gaps_of(*whole)) << "at " << now - kT;
    rounds_with_gaps += whole->gaps.empty() ? 0 : 1;
  }
  // The case was what it should be: gaps in most rounds, some filled late.
  EXPECT_GT(rounds_with_gaps, 30);  // of 96
  EXPECT_GT(filled, 5);
  // The memory read only from where it left off, not the window again.
  EXPECT_GT(memory.meters.at("6892850").resume_from, kT + 8 * 3600 - 3600);
}

// A meter new to the memory (each at the start of `run`) is read for its last hour: a gap before
// that is found by its whole read, within a day.
TEST_P(GapRound, AMeterNewToTheMemoryHasItsOlderGapsFoundWithinADay) {
  store_with_gap();  // the gap ends at kT + 1200
  config_.delay_s = 0;
  GapMemory memory;
  const std::int64_t now = kT + 1200 + GapMemory::kFirstReadS;
  ASSERT_EQ(meter_gaps(*store_, "6892850", now, config_)->gaps.size(), 1u);
  EXPECT_TRUE(meter_gaps(*store_, "6892850", now, config_, &memory)->gaps.empty());
  const std::int64_t due = memory.meters.at("6892850").whole_read_due;
  EXPECT_LT(due, now + GapMemory::kWholeReadEvery);
  if (due > now) {
    EXPECT_TRUE(meter_gaps(*store_, "6892850", due - 1, config_, &memory)->gaps.empty());
  }
  ASSERT_EQ(meter_gaps(*store_, "6892850", due, config_, &memory)->gaps.size(), 1u);
}

// The interval is the one of the last whole read until the next one, at most a day later; a
// meter no longer in the store is forgotten at the next round.
TEST_P(GapRound, MemoryReadsTheWholeWindowOnceADayAndForgetsRemovedMeters) {
  add_test_meter();
  config_.delay_s = 0;
  GapMemory memory;
  std::int64_t t = kT;
  for (; t < kT + 3600; t += 60)
    ASSERT_TRUE(store_items(*store_, {sample(t, "e1=1 kWh&")}, t).ok());
  ASSERT_EQ(meter_gaps(*store_, "6892850", t, config_, &memory)->interval, 60);
  auto& remembered = memory.meters.at("6892850");
  EXPECT_GE(remembered.whole_read_due, t);
  EXPECT_LT(remembered.whole_read_due, t + GapMemory::kWholeReadEvery);
  const std::int64_t due = remembered.whole_read_due = t + GapMemory::kWholeReadEvery;
  // From now on a sample every 10 minutes: gaps for the remembered interval.
  for (; t < due + 600; t += 600)
    ASSERT_TRUE(store_items(*store_, {sample(t, "e1=1 kWh&")}, t).ok());
  auto before = meter_gaps(*store_, "6892850", due - 1, config_, &memory);
  EXPECT_EQ(before->interval, 60);
  EXPECT_FALSE(before->gaps.empty());
  // The whole read takes up the new interval (the median of the window's steps).
  auto after = meter_gaps(*store_, "6892850", due + 600, config_, &memory);
  EXPECT_EQ(after->interval, 600);
  EXPECT_EQ(gaps_of(*after), gaps_of(*meter_gaps(*store_, "6892850", due + 600, config_)));

  ASSERT_TRUE(run_gap_round(*store_, due + 700, config_, &memory).ok());
  EXPECT_EQ(memory.meters.size(), 1u);
  ASSERT_TRUE(store_->remove_meter("6892850").ok());
  ASSERT_TRUE(run_gap_round(*store_, due + 800, config_, &memory).ok());
  EXPECT_TRUE(memory.meters.empty());
}

ML_STORE_CONTRACT(GapRound);

}  // namespace
}  // namespace ml::server
