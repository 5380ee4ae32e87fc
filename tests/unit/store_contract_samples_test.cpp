// The store contract (store_contract.hpp) for the sample side: the persistence primitives the
// backend-neutral ingest (server/store_ingest.hpp) builds on, and the ingest rules that the
// other contract tests do not show; run against every backend.
#include "server/http/views.hpp"
#include "server/rollup.hpp"
#include "server/sample_days.hpp"
#include "server/sample_pack.hpp"
#include "server/sender.hpp"
#include "server/usecases/meters.hpp"
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

// A batch is stored in few statements (store_ingest.cpp, Batch): the result is the same as
// storing its items one by one, in order: duplicates inside the batch, a last will between
// authentic messages, several samples in one rollup bucket, late samples.
TEST_P(StoreSamplesContract, ABatchStoresWhatItsItemsOneByOneWould) {
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  IngestItem will;
  will.kind = IngestItem::Kind::event;
  will.serial = "6892850";
  will.function = "offline";
  will.time = hour + 500;
  IngestItem other = sample(hour + 60, "t1=50 C&e1=7 kWh&");
  other.serial = "7000001";
  const std::vector<IngestItem> items = {
      sample(hour + 120, "t1=70.5 C&tdif=30 K&e1=1000.5 kWh&v1=1.25 m3&"),
      diag(hour + 130, "status", "open"),
      sample(hour + 3700, "t1=60 C&e1=1010 kWh&"),
      will,
      sample(hour + 120, "t1=99 C&e1=1 kWh&"),  // the first one again: a duplicate
      other,
      sample(hour + 60, "t1=71 C&e1=999 kWh&"),  // late, into the first bucket
      will,
      will,
      diag(hour + 100, "status", "close"),  // older than the one kept
      sample(hour + 2 * 86400, "e1=1100 kWh&"),
  };
  auto one_by_one = GetParam().open(dir_.file("t")).value();
  for (auto* s : {store_.get(), one_by_one.get()}) {
    Meter m;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    for (const char* serial : {"6892850", "7000001"}) {
      m.serial = serial;
      ASSERT_TRUE(s->add_meter(m).ok());
    }
    ASSERT_TRUE(s->mark_offline("6892850", hour).ok());  // offline before the batch
  }
  const auto batch = store_items(*store_, items, hour + 3 * 86400);
  ASSERT_TRUE(batch.ok()) << batch.error().text();
  std::vector<IngestOutcome> single;
  for (const auto& item : items) {
    auto o = store_items(*one_by_one, {item}, hour + 3 * 86400);
    ASSERT_TRUE(o.ok()) << o.error().text();
    single.push_back(o->at(0));
  }
  EXPECT_EQ(*batch, single);
  EXPECT_EQ((*batch)[3], IngestOutcome::event_logged) << "online after the first sample";
  EXPECT_EQ((*batch)[4], IngestOutcome::duplicate);
  EXPECT_EQ((*batch)[7], IngestOutcome::event_logged) << "online again after a sample";
  EXPECT_EQ((*batch)[8], IngestOutcome::will_ignored) << "offline already";
  EXPECT_EQ((*batch)[9], IngestOutcome::older_ignored);
  for (const char* serial : {"6892850", "7000001"}) {
    SCOPED_TRACE(serial);
    const auto a = store_->meter(serial).value().value();
    const auto b = one_by_one->meter(serial).value().value();
    EXPECT_EQ(a.last_sample_time, b.last_sample_time);
    EXPECT_EQ(a.offline_since, b.offline_since);
    const auto sa = store_->samples(serial, 0, INT64_MAX).value();
    const auto sb = one_by_one->samples(serial, 0, INT64_MAX).value();
    ASSERT_EQ(sa.size(), sb.size());
    for (std::size_t i = 0; i < sa.size(); ++i) {
      EXPECT_EQ(sa[i].time, sb[i].time);
      EXPECT_EQ(sa[i].values, sb[i].values);
      EXPECT_EQ(sa[i].energy_kwh, sb[i].energy_kwh);
    }
    for (Period p : {Period::hour, Period::day}) {
      const auto ra = store_->rollups(serial, p, 0, INT64_MAX).value();
      const auto rb = one_by_one->rollups(serial, p, 0, INT64_MAX).value();
      ASSERT_EQ(ra.size(), rb.size());
      for (std::size_t i = 0; i < ra.size(); ++i) {
        EXPECT_EQ(ra[i].bucket, rb[i].bucket);
        EXPECT_EQ(ra[i].samples, rb[i].samples);
        EXPECT_EQ(ra[i].first_time, rb[i].first_time);
        EXPECT_EQ(ra[i].last_time, rb[i].last_time);
        EXPECT_EQ(ra[i].energy_first, rb[i].energy_first);
        EXPECT_EQ(ra[i].energy_last, rb[i].energy_last);
        EXPECT_EQ(ra[i].volume_first, rb[i].volume_first);
        EXPECT_EQ(ra[i].sums, rb[i].sums);
      }
    }
    const auto ea = store_->events(serial).value();
    const auto eb = one_by_one->events(serial).value();
    ASSERT_EQ(ea.size(), eb.size());
    for (std::size_t i = 0; i < ea.size(); ++i) {
      EXPECT_EQ(ea[i].kind, eb[i].kind);
      EXPECT_EQ(ea[i].detail, eb[i].detail);
    }
  }
  const auto hours = store_->rollups("6892850", Period::hour, 0, INT64_MAX).value();
  ASSERT_EQ(hours.size(), 3u);
  EXPECT_EQ(hours[0].samples, 2);
  EXPECT_EQ(hours[0].energy_first, "999");
  EXPECT_EQ(hours[0].energy_last, "1000.5");
  EXPECT_EQ(hours[0].sums.at("t1").sum.to_string(), "141.5");
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, hour + 2 * 86400);
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 0) << "the last sample";
  EXPECT_EQ(store_->events("6892850").value().size(), 3u);  // the valve, two offline
}

// The batch primitives do what their one-row versions do.
TEST_P(StoreSamplesContract, TheBatchPrimitives) {
  add_test_meter();
  SampleRecord a;
  a.serial = "6892850";
  a.time = 100;
  a.text = "e1=1.5 MWh&t1=\"quoted\" C&";  // quotes and a backslash travel as they are
  a.energy_kwh = core::Decimal::parse("1500.0").value();
  a.received = 101;
  ASSERT_TRUE(store_->insert_sample(a).value());
  SampleRecord b = a;
  b.time = 200;
  b.text = "e1=1.5 \\\"M{W},h&";  // quotes, a backslash, braces, a comma travel as they are
  b.energy_kwh.reset();
  EXPECT_EQ(store_->insert_samples({a, b}).value(), (std::vector<bool>{false, true}));
  EXPECT_TRUE(store_->insert_samples({}).value().empty());
  const auto stored = store_->samples("6892850", 0, INT64_MAX).value();
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[1].energy_kwh, std::nullopt);
  EXPECT_EQ(stored[1].units, (std::map<std::string, std::string>{{"e1", "\\\"M{W},h"}}));
  // A key twice in one call: the first is stored, the second is a duplicate (as one by one).
  SampleRecord c = a;
  c.time = 300;
  SampleRecord c_again = c;
  c_again.text = "e1=2.5 MWh&";
  EXPECT_EQ(store_->insert_samples({c_again, b, c}).value(),
            (std::vector<bool>{true, false, false}));
  const auto third = store_->samples("6892850", 300, 300).value();
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].values.at("e1"), "2.5");

  Rollup r;
  r.serial = "6892850";
  r.bucket = 3600;
  r.samples = 2;
  r.first_time = 3601;
  r.last_time = 3700;
  r.energy_first = "1.5";
  r.sums["t1"] = {core::Decimal::parse("140.30").value(), 2, true};
  Rollup s = r;
  s.bucket = 7200;
  s.samples = 1;
  s.energy_first.reset();
  ASSERT_TRUE(store_->write_rollups(Period::hour, {r, s}).ok());
  const auto back =
      store_->rollup_buckets(Period::hour, {{"6892850", 7200}, {"6892850", 0}, {"6892850", 3600}})
          .value();
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].samples, 1);
  EXPECT_EQ(back[0].energy_first, std::nullopt);
  EXPECT_EQ(back[1].samples, 0);
  EXPECT_EQ(back[1].serial, "6892850");
  EXPECT_EQ(back[1].bucket, 0);
  EXPECT_EQ(back[2].samples, 2);
  EXPECT_EQ(back[2].energy_first, "1.5");
  EXPECT_EQ(back[2].sums, r.sums);
  EXPECT_EQ(store_->rollup_buckets(Period::day, {{"6892850", 3600}}).value().at(0).samples, 0);

  ASSERT_TRUE(store_->mark_offline("6892850", 50).value());
  ASSERT_TRUE(store_->mark_all_online({"6892850", "9999999"}).ok());
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 0);
  ASSERT_TRUE(store_->samples_seen({{"6892850", 300}, {"9999999", 5}}).ok());
  ASSERT_TRUE(store_->samples_seen({{"6892850", 250}}).ok());
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, 300);
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

// Everything a reader sees of a meter's samples, as text.
std::string all_reads(ServerStore& store) {
  const std::string serial = "6892850";
  std::string out;
  auto line = [&](const StoredSample& s) {
    out += std::to_string(s.time) + " " + s.energy_kwh.value_or("-") + " " +
           s.volume_m3.value_or("-") + " " + s.quirks;
    for (const auto& [k, v] : s.values)
      out += " " + k + "=" + v.value_or("nan") + (s.units.count(k) ? s.units.at(k) : "");
    out += "\n";
  };
  out += "all:\n";
  const auto all = store.samples(serial, 0, INT64_MAX).value();
  for (const auto& s : all)
    line(s);
  out += "pages of 2 from the middle of the first day:\n";
  for (std::int64_t from = 1700006400 + 1000;;) {
    auto page = store.samples_page(serial, from, INT64_MAX, 2).value();
    if (page.empty()) break;
    for (const auto& s : page)
      line(s);
    from = page.back().time + 1;
  }
  out += "times:";
  const auto times = store.sample_times(serial, 1700006400 + 1000, 1700006400 + 86400 + 500);
  for (auto t : times.value())
    out += " " + std::to_string(t);
  out += "\nlatest: ";
  line(store.latest_sample(serial).value().value());
  out += "first since: ";
  line(store.first_sample_since(serial, 1700006400 + 86400).value().value());
  out += "newest 3:\n";
  const auto newest = store.newest_samples(serial, 3).value();
  for (const auto& s : newest)
    line(s);
  // Where the rows alone fill the limit (a late row among packed days): the packed samples
  // between them still count.
  out += "newest 2:\n";
  const auto newest_two = store.newest_samples(serial, 2).value();
  for (const auto& s : newest_two)
    line(s);
  out += "the first 2:\n";
  const auto first_two = store.samples_page(serial, 0, INT64_MAX, 2).value();
  for (const auto& s : first_two)
    line(s);
  for (Period p : {Period::hour, Period::day}) {
    const auto rollups = store.rollups(serial, p, 0, INT64_MAX).value();
    for (const auto& r : rollups) {
      out += "rollup " + std::to_string(r.bucket) + " " + std::to_string(r.samples) + " " +
             r.energy_first.value_or("-") + " " + r.energy_last.value_or("-") + "\n";
    }
  }
  return out;
}

TEST_P(StoreSamplesContract, OldDaysArePackedAndEveryReadGivesWhatItGaveBefore) {
  add_test_meter();
  const std::int64_t d0 = 1700006400;  // 2023-11-15 00:00 UTC
  std::vector<IngestItem> items;
  for (std::int64_t t : {d0, d0 + 600, d0 + 1200, d0 + 86399, d0 + 86400 + 60, d0 + 86400 + 9000,
                         d0 + 3 * 86400 + 10}) {
    items.push_back(sample(t, "t1=6" + std::to_string(t % 10) + ".5 C&v1=1.25 m3&e1=" +
                                  std::to_string(1000 + (t - d0) / 60) + " kWh&"));
  }
  const std::int64_t now = d0 + 3 * 86400 + 20;
  ASSERT_TRUE(store_items(*store_, items, now).ok());
  const std::string before = all_reads(*store_);

  // On day 3 the days that ended 2 days ago are packed: days 0 and 1, not day 3.
  auto report = pack_samples(*store_, now, 2);
  ASSERT_TRUE(report.ok()) << report.error().text();
  EXPECT_EQ(report->meters, 1);
  EXPECT_EQ(report->days, 1) << "day 1 ended at the start of day 2, less than 2 days before day 3";
  EXPECT_EQ(report->samples, 4);
  report = pack_samples(*store_, now + 86400, 2);
  ASSERT_TRUE(report.ok()) << report.error().text();
  EXPECT_EQ(report->days, 1);
  EXPECT_EQ(report->samples, 2);
  EXPECT_EQ(store_->unpacked_samples("6892850", {0, INT64_MAX}, true).value().size(), 1u)
      << "only day 3 keeps rows";
  EXPECT_EQ(all_reads(*store_), before);

  // A late duplicate of a packed sample changes nothing; a late new one is stored, read in its
  // place, and packed into its day the next time.
  auto late = store_items(*store_,
                          {sample(d0 + 600, "t1=99 C&e1=1 kWh&"),
                           sample(d0 + 900, "t1=61.5 C&v1=1.25 m3&e1=1015 kWh&")},
                          now + 86400);
  ASSERT_TRUE(late.ok()) << late.error().text();
  EXPECT_EQ((*late)[0], IngestOutcome::duplicate);
  EXPECT_EQ((*late)[1], IngestOutcome::stored);
  const std::string with_late = all_reads(*store_);
  EXPECT_NE(with_late, before);
  EXPECT_NE(with_late.find("\n" + std::to_string(d0 + 900) + " 1015 "), std::string::npos);
  report = pack_samples(*store_, now + 86400, 2);
  ASSERT_TRUE(report.ok()) << report.error().text();
  EXPECT_EQ(report->days, 1);
  EXPECT_EQ(report->samples, 1);
  EXPECT_EQ(all_reads(*store_), with_late);
  const auto day0 = store_->packed_days("6892850", {d0, d0}).value();
  ASSERT_EQ(day0.size(), 1u);
  EXPECT_EQ(day0[0].samples, 5);
  EXPECT_EQ(day0[0].first_time, d0);
  EXPECT_EQ(day0[0].last_time, d0 + 86399);
  const auto found =
      store_
          ->packed_days_of(
              {{"6892850", day_of(d0) + 2}, {"6892850", day_of(d0)}, {"0000040", day_of(d0)}})
          .value();
  ASSERT_EQ(found.size(), 1u) << "day 2 is not packed, meter 0000040 has none";
  EXPECT_EQ(found[0].serial, "6892850");
  EXPECT_EQ(found[0].day, day_of(d0));
  EXPECT_EQ(found[0].data, day0[0].data);

  EXPECT_FALSE(pack_samples(*store_, now, 1).ok()) << "a day is packed 2 or more days after";
}

// What the whole fleet's reads give of one meter, and what its own reads give, as text.
std::string reads_text(const http::MeterReads& r) {
  std::string out;
  for (const auto& [fn, d] : r.diagnostics)
    out += "diag " + fn + " " + d.text + " " + std::to_string(d.time) + "\n";
  for (const auto& p : r.payments)
    out += "paid " + std::to_string(p.id) + " " + p.amount.to_string() + "\n";
  for (const auto& s : r.window)
    out += "window " + std::to_string(s.time) + " " + s.energy_kwh.value_or("-") + "\n";
  return out;
}

TEST_P(StoreSamplesContract, TheWholeFleetsReadsGiveWhatEachMetersOwnReadsGive) {
  const std::int64_t d0 = 1700006400;  // 2023-11-15 00:00 UTC
  const std::int64_t now = d0 + 5 * 86400 + 7200;
  std::vector<Meter> meters;
  for (const char* serial : {"6892850", "0000040", "0000041", "0000042"}) {
    Meter m;
    m.serial = serial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    ASSERT_TRUE(store_->add_meter(m).ok());
    meters.push_back(m);
  }
  auto of = [](IngestItem i, const std::string& serial) {
    i.serial = serial;
    return i;
  };
  std::vector<IngestItem> items;
  // 6892850: today's samples, its window from yesterday (rows); two replies.
  for (std::int64_t t :
       {d0 + 4 * 86400 + 3600, d0 + 4 * 86400 + 7000, d0 + 5 * 86400 + 60, d0 + 5 * 86400 + 3600}) {
    items.push_back(sample(t, "t1=60 C&e1=" + std::to_string(1000 + (t - d0) / 3600) + " kWh&"));
  }
  items.push_back(diag(d0 + 5 * 86400, "version", "2.1"));
  items.push_back(diag(d0 + 5 * 86400 + 10, "status", "open"));
  // 0000040: silent since day 1, which is packed below: its window is read on its own.
  for (std::int64_t t : {d0 + 86400 + 60, d0 + 86400 + 600, d0 + 2 * 86400 - 1})
    items.push_back(of(sample(t, "t1=61 C&e1=" + std::to_string(t - d0) + " kWh&"), "0000040"));
  items.push_back(of(diag(d0 + 86400, "version", "1.0"), "0000040"));
  // 0000041: one sample today, the newest and the first of its window at once.
  items.push_back(of(sample(d0 + 5 * 86400 + 5, "t1=62 C&e1=7 kWh&"), "0000041"));
  // 0000042: nothing. 0000043: removed below, its rows kept (what the fleet's reads leave out).
  Meter gone;
  gone.serial = "0000043";
  gone.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(gone).ok());
  items.push_back(of(sample(d0 + 5 * 86400 + 5, "t1=62 C&e1=9 kWh&"), "0000043"));
  items.push_back(of(diag(d0 + 5 * 86400, "version", "3.0"), "0000043"));
  ASSERT_TRUE(store_items(*store_, items, now).ok());
  ASSERT_TRUE(usecase::remove_meter(*store_, "0000043").ok());
  ASSERT_TRUE(pack_samples(*store_, now, 2).ok());
  ASSERT_FALSE(store_->packed_days("0000040", {0, INT64_MAX}).value().empty());
  for (const char* serial : {"6892850", "6892850", "0000041"}) {
    Payment p;
    p.serial = serial;
    p.time = d0 + 100;
    p.amount = core::Decimal::parse("150.25").value();
    p.price = core::Decimal::parse("0.5").value();
    ASSERT_TRUE(add_payment(*store_, p, "anna", d0 + 100).ok());
  }

  auto every = http::read_every_meter(*store_, meters, now);
  ASSERT_TRUE(every.ok()) << every.error().text();
  EXPECT_EQ(every->size(), meters.size());
  for (const Meter& m : meters) {
    http::MeterReads own;
    own.diagnostics = store_->diagnostics(m.serial).value();
    own.payments = store_->payments(m.serial).value();
    own.window = usecase::rate_window(*store_, m.serial).value();
    EXPECT_EQ(reads_text(every->at(m.serial)), reads_text(own)) << m.serial;
  }
  EXPECT_EQ(every->at("6892850").window.size(), 2u);
  EXPECT_EQ(every->at("0000040").window.size(), 2u) << "from its packed day";
  EXPECT_EQ(every->at("0000041").window.size(), 1u);
  EXPECT_TRUE(every->at("0000042").window.empty());

  auto rollups = store_->every_rollup(Period::day, d0 + 86400, now);
  ASSERT_TRUE(rollups.ok()) << rollups.error().text();
  std::vector<Rollup> own;
  for (const char* serial : {"0000040", "0000041", "0000042", "6892850"}) {
    auto of_meter = store_->rollups(serial, Period::day, d0 + 86400, now).value();
    own.insert(own.end(), of_meter.begin(), of_meter.end());
  }
  ASSERT_EQ(rollups->size(), own.size());
  for (std::size_t i = 0; i < own.size(); ++i) {
    EXPECT_EQ((*rollups)[i].serial, own[i].serial);
    EXPECT_EQ((*rollups)[i].bucket, own[i].bucket);
    EXPECT_EQ((*rollups)[i].samples, own[i].samples);
    EXPECT_EQ((*rollups)[i].energy_last, own[i].energy_last);
    EXPECT_EQ((*rollups)[i].first_time, own[i].first_time);
    EXPECT_EQ((*rollups)[i].last_time, own[i].last_time);
    EXPECT_EQ((*rollups)[i].energy_first, own[i].energy_first);
    EXPECT_EQ((*rollups)[i].volume_last, own[i].volume_last);
    EXPECT_FALSE(own[i].sums.empty());
    EXPECT_TRUE((*rollups)[i].sums.empty()) << "left out";
  }
}

}  // namespace

ML_STORE_CONTRACT(StoreSamplesContract);

}  // namespace ml::server::test_store
