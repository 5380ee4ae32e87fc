// The store contract (store_contract.hpp) for the sample side: the persistence primitives the
// backend-neutral ingest (server/store_ingest.hpp) builds on, and the ingest rules that the
// other contract tests do not show; run against every backend.
#include "server/rollup.hpp"
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

class StoreSamplesContract : public StoreContract {};

TEST_P(StoreSamplesContract, ResetReasonsFlashErrorsAndEventItemsAreEvents) {
  add_test_meter();
  IngestItem scan = diag(1700000300, "scan_result", "ssid-a,-60");
  scan.kind = IngestItem::Kind::event;
  auto r = store_items(
      *store_,
      {diag(1700000100, "reset_reason", "power_on"), diag(1700000200, "flash_error", "crc"), scan,
       diag(1700000400, "version", "2.1")},
      1700000500);
  ASSERT_TRUE(r.ok()) << r.error().text();
  EXPECT_EQ((*r)[2], IngestOutcome::event_logged);
  const auto events = store_->events("6892850").value();
  ASSERT_EQ(events.size(), 3u) << "a version reply is no event";
  EXPECT_EQ(events[0].kind, "reset_reason");
  EXPECT_EQ(events[0].detail, "power_on");
  EXPECT_EQ(events[1].kind, "flash_error");
  EXPECT_EQ(events[2].kind, "scan_result");
  EXPECT_EQ(store_->diagnostics("6892850").value().at("reset_reason").text, "power_on");
}

TEST_P(StoreSamplesContract, ALateSampleLandsInItsBucketAndNeverMovesLastSeenBack) {
  add_test_meter();
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  ASSERT_TRUE(
      store_items(*store_, {sample(hour + 3600, "t1=60 C&e1=1010 kWh&")}, hour + 3700).ok());
  ASSERT_TRUE(store_items(*store_, {sample(hour + 60, "t1=70 C&e1=1000 kWh&")}, hour + 3800).ok());
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, hour + 3600);
  const auto hours = store_->rollups("6892850", Period::hour, 0, INT64_MAX).value();
  ASSERT_EQ(hours.size(), 2u);
  EXPECT_EQ(hours[0].bucket, hour);
  EXPECT_EQ(hours[0].energy_first, "1000");
  EXPECT_EQ(hours[1].bucket, hour + 3600);
  const auto day = store_->rollups("6892850", Period::day, 0, INT64_MAX).value().at(0);
  EXPECT_EQ(day.bucket, bucket_of(Period::day, hour));
  EXPECT_EQ(day.samples, 2);
  EXPECT_EQ(day.energy_first, "1000");
  EXPECT_EQ(day.energy_last, "1010");
  EXPECT_EQ(day.sums.at("t1").sum.to_string(), "130");
}

TEST_P(StoreSamplesContract, ARollupBucketIsWrittenAndReadBackWhole) {
  auto empty = store_->rollup_bucket("6892850", Period::hour, 3600).value();
  EXPECT_EQ(empty.samples, 0);
  Rollup r;
  r.serial = "6892850";
  r.bucket = 3600;
  r.samples = 2;
  r.first_time = 3601;
  r.last_time = 3700;
  r.energy_first = "1.5";
  r.volume_last = "0.001";
  r.sums["t1"] = {core::Decimal::parse("140.30").value(), 2, true};
  r.sums["flow1"] = {core::Decimal{}, 0, false};
  ASSERT_TRUE(store_->write_rollup(Period::hour, r).ok());
  auto back = store_->rollup_bucket("6892850", Period::hour, 3600).value();
  EXPECT_EQ(back.samples, 2);
  EXPECT_EQ(back.first_time, 3601);
  EXPECT_EQ(back.last_time, 3700);
  EXPECT_EQ(back.energy_first, "1.5");
  EXPECT_EQ(back.energy_last, std::nullopt);
  EXPECT_EQ(back.volume_last, "0.001");
  EXPECT_EQ(back.sums, r.sums);
  EXPECT_EQ(store_->rollup_bucket("6892850", Period::day, 3600).value().samples, 0);
}

TEST_P(StoreSamplesContract, ASampleIsInsertedOnceAndADiagnosticOnlyWhenNewer) {
  SampleRecord rec;
  rec.serial = "6892850";
  rec.time = 100;
  rec.text = "e1=1.5 MWh&";
  rec.energy_kwh = core::Decimal::parse("1500.0").value();
  rec.received = 101;
  EXPECT_TRUE(store_->insert_sample(rec).value());
  EXPECT_FALSE(store_->insert_sample(rec).value());
  const auto s = store_->latest_sample("6892850").value();
  ASSERT_TRUE(s);
  EXPECT_EQ(s->energy_kwh, "1500.0");
  EXPECT_EQ(s->units.at("e1"), "MWh");
  EXPECT_TRUE(store_->write_diagnostic_if_newer("6892850", "status", {"open", 100}, 1).value());
  EXPECT_FALSE(store_->write_diagnostic_if_newer("6892850", "status", {"close", 99}, 2).value());
  EXPECT_TRUE(store_->write_diagnostic_if_newer("6892850", "status", {"close", 100}, 3).value());
  const auto d = store_->diagnostic("6892850", "status").value();
  ASSERT_TRUE(d);
  EXPECT_EQ(d->text, "close");
  EXPECT_EQ(d->time, 100);
  EXPECT_FALSE(store_->diagnostic("6892850", "version").value());
}

TEST_P(StoreSamplesContract, TheSeenStateOfAMeter) {
  add_test_meter();
  EXPECT_TRUE(store_->mark_offline("6892850", 50).value());
  EXPECT_FALSE(store_->mark_offline("6892850", 60).value()) << "offline already";
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 50);
  ASSERT_TRUE(store_->mark_online("6892850").ok());
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 0);
  EXPECT_FALSE(store_->mark_offline("9999999", 70).value()) << "no such meter";
  ASSERT_TRUE(store_->sample_seen("6892850", 200).ok());
  ASSERT_TRUE(store_->sample_seen("6892850", 100).ok());
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, 200);
}

TEST_P(StoreSamplesContract, QuarantineNumbersIncreaseAndSerialCountsAreTrimmedToTheNewest) {
  Rejection r;
  r.reason = "bad_mac";
  std::int64_t last = 0;
  for (const char* serial : {"1111111", "2222222", "3333333"}) {
    r.serial = serial;
    r.time = serial[0] == '2' ? 300 : (serial[0] == '1' ? 100 : 200);
    ASSERT_TRUE(store_->count_serial_rejection(r.serial, r.reason, r.time).ok());
    const auto n = store_->quarantine(r).value();
    EXPECT_GT(n, last);
    last = n;
  }
  ASSERT_TRUE(store_->trim_quarantine(1).ok());
  EXPECT_GT(store_->quarantine(r).value(), last) << "numbers are not reused after a trim";
  ASSERT_TRUE(store_->trim_serial_rejections(2).ok());
  EXPECT_TRUE(store_->rejections_for("1111111").value().empty()) << "the oldest goes";
  EXPECT_EQ(store_->rejections_for("2222222").value().size(), 1u);
  EXPECT_EQ(store_->rejections_for("3333333").value().size(), 1u);
}

// Every 256th quarantined message trims the per-serial counts; the counts by reason stay.
TEST_P(StoreSamplesContract, StoringRejectionsCountsAndQuarantinesInOneGo) {
  Rejection r;
  r.reason = "implausible_time";
  r.serial = "6892850";
  for (int i = 0; i < 257; ++i) {
    r.time = i;
    ASSERT_TRUE(store_rejection(*store_, r).ok());
  }
  EXPECT_EQ(store_->rejection_counts().value().at("implausible_time"), 257);
  const auto mine = store_->rejections_for("6892850").value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].count, 257);
  EXPECT_EQ(mine[0].last_time, 256);
}

}  // namespace

ML_STORE_CONTRACT(StoreSamplesContract);

}  // namespace ml::server::test_store
