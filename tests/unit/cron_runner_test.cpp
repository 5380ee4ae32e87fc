// The cron runner (src/agent/cron_runner.hpp) over a real store in a temporary directory and a
// fixed clock: the jobs due at a minute, the table and the last minute surviving a reload, a bad
// set_cron argument or a full table refused with the reply the original gives and nothing
// changed, clear_cron, and a clock that steps back.
#include "agent/cron_runner.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "agent/store.hpp"
#include "sim_support.hpp"

namespace ml {
namespace {

using agent::CronRunner;

// 2026-06-15 (a Monday) 05:59:00 UTC.
constexpr std::int64_t kMonday0559 = 1781503140;

class CronRunnerTest : public ::testing::Test {
 protected:
  CronRunnerTest() : store_(agent::Store::open(dir_.path()).value()) {}

  CronRunner make(std::int32_t utc_offset_s = 0) {
    return CronRunner(
        store_, "meter[1]", std::make_shared<core::cron::FixedOffset>(utc_offset_s),
        [this](const core::cron::Job& job) { ran_.push_back(job.command + ":" + job.params); },
        [this] { return now_; });
  }
  std::string stored(const std::string& key) {
    auto s = store_.setting("6892850", key);
    return s && *s ? **s : "<none>";
  }

  test::TempDir dir_;
  agent::Store store_;
  std::int64_t now_ = kMonday0559;
  std::vector<std::string> ran_;
};

TEST_F(CronRunnerTest, RunsTheJobsDueAtAMinuteInOrder) {
  CronRunner cron = make();
  cron.load("6892850");
  ASSERT_TRUE(cron.set_cron("minute=0&hour=6&day_of_week=1-5&command=open"));
  ASSERT_TRUE(cron.set_cron("minute=0&hour=6&day_of_week=0,6&command=close"));  // weekends only
  ASSERT_TRUE(cron.set_cron("minute=*/15&command=set_ssid_pwd=ssid=a&pwd=b"));
  ASSERT_TRUE(cron.set_cron("minute=1&hour=6&command=close"));
  EXPECT_EQ(cron.tick(kMonday0559), 0u);  // the first tick evaluates its own minute (05:59)
  EXPECT_TRUE(ran_.empty());
  EXPECT_EQ(cron.tick(kMonday0559 + 60 + 5), 2u);  // 06:00:05
  EXPECT_EQ(ran_, (std::vector<std::string>{"open:", "set_ssid_pwd:ssid=a&pwd=b"}));
  EXPECT_EQ(cron.last_minute(), (kMonday0559 + 60) / 60);
  EXPECT_EQ(stored("cron_last_minute"), std::to_string((kMonday0559 + 60) / 60));
  // The same minute again runs nothing; the next one runs its job.
  EXPECT_EQ(cron.tick(kMonday0559 + 60 + 50), 0u);
  EXPECT_EQ(cron.tick(kMonday0559 + 120), 1u);
  EXPECT_EQ(ran_.back(), "close:");
}

TEST_F(CronRunnerTest, LocalTimeComesFromTheZone) {
  CronRunner cron = make(2 * 3600);  // 06:00 local is 04:00 UTC
  cron.load("6892850");
  ASSERT_TRUE(cron.set_cron("minute=0&hour=6&command=open"));
  EXPECT_EQ(cron.tick(kMonday0559 - 2 * 3600), 0u);
  EXPECT_EQ(cron.tick(kMonday0559 - 2 * 3600 + 60), 1u);
  EXPECT_EQ(ran_, std::vector<std::string>{"open:"});
}

TEST_F(CronRunnerTest, NothingRunsBeforeTheSerialIsKnownOrWhenTheClockStepsBack) {
  CronRunner cron = make();
  cron.load("");
  EXPECT_EQ(cron.tick(kMonday0559 + 60), 0u);
  cron.load("6892850");
  ASSERT_TRUE(cron.set_cron("minute=*&command=close"));
  EXPECT_EQ(cron.tick(kMonday0559 + 120), 1u);  // its own minute only
  EXPECT_EQ(cron.tick(kMonday0559 + 60), 0u);   // back a minute: nothing
  EXPECT_EQ(cron.last_minute(), (kMonday0559 + 120) / 60);
  EXPECT_EQ(cron.tick(kMonday0559 + 180), 1u);
}

TEST_F(CronRunnerTest, TheTableAndTheLastMinuteSurviveAReload) {
  const std::vector<std::string> jobs = {"minute=0&hour=6&day_of_week=1-5&command=open",
                                         "minute=*/15&command=set_ssid_pwd=ssid=a&pwd=b"};
  {
    CronRunner cron = make();
    cron.load("6892850");
    for (const auto& j : jobs)
      ASSERT_TRUE(cron.set_cron(j));
    cron.tick(kMonday0559);
    cron.tick(kMonday0559 + 60);  // 06:00: both ran
    ASSERT_EQ(ran_.size(), 2u);
  }
  ran_.clear();
  CronRunner again = make();
  again.load("6892850");
  ASSERT_EQ(again.jobs().size(), 2u);
  for (std::size_t i = 0; i < jobs.size(); ++i)
    EXPECT_EQ(again.jobs()[i], core::cron::parse_set_cron(jobs[i]).value());
  EXPECT_EQ(again.last_minute(), (kMonday0559 + 60) / 60);
  // A restart within the same minute runs nothing twice.
  EXPECT_EQ(again.tick(kMonday0559 + 90), 0u);
  EXPECT_TRUE(ran_.empty());
  // Another meter's table is its own.
  CronRunner other = make();
  other.load("1234567");
  EXPECT_TRUE(other.jobs().empty());
}

TEST_F(CronRunnerTest, ABadArgumentIsRefusedWithAClearErrorAndChangesNothing) {
  CronRunner cron = make();
  cron.load("6892850");
  const std::string good = "minute=0&hour=6&command=open";
  ASSERT_TRUE(cron.set_cron(good));
  EXPECT_EQ(CronRunner::set_cron_reply(good, core::Ok{}), good);
  const std::string before = stored("cron");

  const std::string hour24 = "minute=0&hour=24&command=open";
  const core::Status bad = cron.set_cron(hour24);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, core::Errc::cron_invalid);
  EXPECT_EQ(CronRunner::set_cron_reply(hour24, bad),
            "invalid cron job: hour: 24 is out of range 0-23");

  const core::Status ping = cron.set_cron("minute=0&command=ping");
  ASSERT_FALSE(ping);
  EXPECT_EQ(ping.error().code, core::Errc::cron_bad_command);
  EXPECT_EQ(CronRunner::set_cron_reply("", ping).rfind("command cannot run from cron: 'ping'", 0),
            0u);

  EXPECT_EQ(cron.jobs().size(), 1u);
  EXPECT_EQ(stored("cron"), before);
}

TEST_F(CronRunnerTest, AFullTableRefusesTheSeventeenthJob) {
  CronRunner cron = make();
  cron.load("6892850");
  for (std::size_t i = 0; i < core::cron::kMaxJobs; ++i)
    ASSERT_TRUE(cron.set_cron("minute=" + std::to_string(i) + "&command=close"));
  const std::string before = stored("cron");
  const core::Status full = cron.set_cron("minute=30&command=close");
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().code, core::Errc::cron_full);
  EXPECT_EQ(CronRunner::set_cron_reply("minute=30&command=close", full),
            "cron table full: 16 jobs; nothing stored (clear_cron first)");
  EXPECT_EQ(cron.jobs().size(), core::cron::kMaxJobs);
  EXPECT_EQ(stored("cron"), before);
}

TEST_F(CronRunnerTest, ClearEmptiesTheStoredTableAndAJobMayClearIt) {
  CronRunner* runner = nullptr;
  CronRunner cron(
      store_, "meter[1]", std::make_shared<core::cron::FixedOffset>(0),
      [&](const core::cron::Job& job) {
        ran_.push_back(job.command);
        if (job.command == "clear_cron") {
          EXPECT_TRUE(runner->clear());
        }
      },
      [this] { return now_; });
  runner = &cron;
  cron.load("6892850");
  ASSERT_TRUE(cron.set_cron("minute=0&hour=6&command=clear_cron"));
  ASSERT_TRUE(cron.set_cron("minute=0&hour=6&command=open"));
  cron.tick(kMonday0559);
  EXPECT_EQ(cron.tick(kMonday0559 + 60), 2u);  // the job after clear_cron still runs this minute
  EXPECT_EQ(ran_, (std::vector<std::string>{"clear_cron", "open"}));
  EXPECT_TRUE(cron.jobs().empty());
  EXPECT_EQ(stored("cron"), "");
  CronRunner again = make();
  again.load("6892850");
  EXPECT_TRUE(again.jobs().empty());
}

}  // namespace
}  // namespace ml
