// The store contract (store_contract.hpp): meters, samples and rollups, rejections, the ledger,
// last wills, snapshots, a meter import; run against every backend.
#include "store_contract.hpp"

#include "server/sender.hpp"
#include "server/usecases/meter_import.hpp"

namespace ml::server::test_store {
namespace {

TEST_P(StoreContract, Meters) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.setup_value = core::Decimal::parse("100.5").value();
  ASSERT_TRUE(store_->add_meter(m).ok());
  EXPECT_FALSE(store_->add_meter(m).ok()) << "twice";
  m.name = "Loppen 12";
  ASSERT_TRUE(store_->update_meter(m).ok());
  auto got = store_->meter("6892850").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "Loppen 12");
  EXPECT_EQ(got->setup_value.to_string(), "100.5");
  EXPECT_EQ(store_->meters().value().size(), 1u);
  ASSERT_TRUE(store_->remove_meter("6892850").ok());
  EXPECT_FALSE(store_->meter("6892850").value());
  EXPECT_FALSE(store_->remove_meter("6892850").ok());
}

// meter_keys: every meter's serial, key and next key, as meters() has them.
TEST_P(StoreContract, MeterKeysAreEveryMetersKeys) {
  EXPECT_TRUE(store_->meter_keys().value().empty());
  for (const char* serial : {"0000040", "6892850", "7000001"}) {
    Meter m;
    m.serial = serial;
    m.key_hex = std::string(30, 'a') + serial[6] + "f";
    ASSERT_TRUE(store_->add_meter(m).ok());
  }
  const std::string next(32, 'b');
  ASSERT_TRUE(store_->set_next_key("6892850", next, 1700000000).ok());
  auto keys = store_->meter_keys().value();
  std::sort(keys.begin(), keys.end(),
            [](const MeterKeys& a, const MeterKeys& b) { return a.serial < b.serial; });
  const auto meters = store_->meters().value();
  ASSERT_EQ(keys.size(), meters.size());
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(keys[i].serial, meters[i].serial);
    EXPECT_EQ(keys[i].key_hex, meters[i].key_hex);
    EXPECT_EQ(keys[i].next_key_hex, meters[i].next_key_hex);
  }
  EXPECT_EQ(keys[1].next_key_hex, next);
  EXPECT_EQ(keys[0].next_key_hex, "");
}

// add_meters: any count (PostgreSQL sends them in statements of 500, the rest one by one), every
// field kept; a serial that exists, or is twice in the list, anywhere in it stops all of it.
TEST_P(StoreContract, AddMetersAddsAllOrNone) {
  auto meter = [](int i) {
    Meter m;
    m.serial = std::to_string(8'000'000 + i);
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.name = "n" + std::to_string(i) + " '); DROP TABLE meters; --";
    m.group = "g" + std::to_string(i % 7);
    m.kind = i % 2 ? core::meter::Kind::electricity : core::meter::Kind::heat;
    m.setup_value = core::Decimal::parse(std::to_string(i) + ".25").value();
    m.valve_installed = i % 3 == 0;
    m.created = 1'800'000'000 + i;
    return m;
  };
  EXPECT_TRUE(store_->add_meters({}).ok());
  std::vector<Meter> meters;
  for (int i = 0; i < 1234; ++i)
    meters.push_back(meter(i));
  for (int stop : {0, 499, 500, 1100, 1233}) {
    auto with_twice = meters;
    with_twice.push_back(meter(stop));  // last: in the rest on PostgreSQL
    auto twice = store_->add_meters(with_twice);
    ASSERT_FALSE(twice.ok()) << stop;
    EXPECT_EQ(twice.error().code, core::Errc::invalid_argument);
    EXPECT_EQ(twice.error().detail,
              "meter " + std::to_string(8'000'000 + stop) + " exists already");
    EXPECT_TRUE(store_->meters().value().empty()) << stop;
  }
  auto within = meters;
  within[700] = meter(650);  // twice inside one statement of 500 on PostgreSQL
  auto failed = store_->add_meters(within);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().detail, "meter 8000650 exists already");
  EXPECT_TRUE(store_->meters().value().empty());

  ASSERT_TRUE(store_->add_meters(meters).ok());
  const auto all = store_->meters().value();
  ASSERT_EQ(all.size(), 1234u);
  for (int i : {0, 499, 500, 999, 1000, 1233}) {
    const Meter want = meter(i);
    const Meter& got = all[static_cast<std::size_t>(i)];
    EXPECT_EQ(got.serial, want.serial);
    EXPECT_EQ(got.key_hex, want.key_hex);
    EXPECT_EQ(got.name, want.name);
    EXPECT_EQ(got.group, want.group);
    EXPECT_EQ(got.kind, want.kind);
    EXPECT_EQ(got.setup_value.to_string(), want.setup_value.to_string());
    EXPECT_EQ(got.valve_installed, want.valve_installed);
    EXPECT_EQ(got.created, want.created);
  }
  // A meter of the store in the list: none of the list.
  std::vector<Meter> more{meter(5000), meter(5001), meter(17)};
  EXPECT_FALSE(store_->add_meters(more).ok());
  EXPECT_FALSE(store_->meter("8005000").value());
  EXPECT_EQ(store_->meters().value().size(), 1234u);
}

// `meters import` (usecases/meter_import.hpp): a thousand meters and the audit entry in one
// transaction; one that exists already stops all of it, and the store goes on working.
TEST_P(StoreContract, AMeterImportIsAllOrNothing) {
  auto meter = [](int i) {
    usecase::NewMeter m;
    m.meter.serial = std::to_string(7'000'000 + i);
    m.meter.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.meter.kind = i % 2 ? core::meter::Kind::water : core::meter::Kind::heat;
    m.meter.name = "Vej " + std::to_string(i) + ", \"st.\" \xC3\xB8";
    m.meter.setup_value = core::Decimal::parse("12.50").value();
    m.meter.valve_installed = i % 3 == 0;
    m.meter.created = 1'800'000'000;
    return m;
  };
  std::vector<usecase::NewMeter> meters;
  for (int i = 0; i < 1000; ++i)
    meters.push_back(meter(i));
  ASSERT_TRUE(store_->add_meter(meter(500).meter).ok());
  const usecase::Actor anna{"anna", "cli"};
  auto failed = usecase::import_meters(*store_, meters, anna, "meters.csv", 1'800'000'000);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().detail, "meter 7000500 exists already");
  EXPECT_EQ(store_->meters().value().size(), 1u) << "none of the import";
  EXPECT_TRUE(store_->admin_audit("", 10).value().empty());

  meters.erase(meters.begin() + 500);
  ASSERT_TRUE(usecase::import_meters(*store_, meters, anna, "meters.csv", 1'800'000'000).ok());
  auto other = open_again();  // committed: another connection sees them
  const auto all = other->meters().value();
  ASSERT_EQ(all.size(), 1000u);
  const auto m = other->meter("7000003").value().value();
  EXPECT_EQ(m.name, "Vej 3, \"st.\" \xC3\xB8");
  EXPECT_EQ(m.kind, core::meter::Kind::water);
  EXPECT_EQ(m.setup_value.to_string(), "12.50");
  EXPECT_TRUE(m.valve_installed);
  EXPECT_EQ(m.created, 1'800'000'000);
  const auto audit = other->admin_audit("", 10).value();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "meter.import");
  EXPECT_EQ(audit[0].detail, "999 meters (heat 499, water 500) from meters.csv");
}

// A second connection's write is not seen inside a snapshot until it ends; a snapshot inside a
// snapshot runs on the outer one; samples_page pages in time order.
TEST_P(StoreContract, SnapshotsNestAndPagesFollowEachOther) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  std::vector<IngestItem> items;
  for (int i = 0; i < 5; ++i)
    items.push_back(sample(1700000000 + 60 * i, "e1=" + std::to_string(100 + i) + " kWh&"));
  ASSERT_TRUE(store_items(*store_, items, 1700001000).ok());
  auto other = open_again();
  std::size_t inside = 0;
  auto st = store_->read_snapshot([&]() -> core::Status {
    EXPECT_EQ(store_->samples("6892850", 0, INT64_MAX).value().size(), 5u);  // the snapshot starts
    EXPECT_TRUE(store_items(*other, {sample(1700000600, "e1=200 kWh&")}, 1700001000).ok());
    return store_->read_snapshot([&]() -> core::Status {
      inside = store_->samples("6892850", 0, INT64_MAX).value().size();
      return core::Ok{};
    });
  });
  ASSERT_TRUE(st.ok()) << st.error().message();
  EXPECT_EQ(inside, 5u);
  EXPECT_EQ(store_->samples("6892850", 0, INT64_MAX).value().size(), 6u);
  auto first = store_->samples_page("6892850", 0, INT64_MAX, 4).value();
  ASSERT_EQ(first.size(), 4u);
  auto rest = store_->samples_page("6892850", first.back().time + 1, INT64_MAX, 4).value();
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest.back().time, 1700000600);
  EXPECT_EQ(rest.back().energy_kwh, "200");
  EXPECT_EQ(
      store_->sample_times("6892850", 1700000060, 1700000600).value(),
      (std::vector<std::int64_t>{1700000060, 1700000120, 1700000180, 1700000240, 1700000600}));
  EXPECT_TRUE(store_->sample_times("6892850", 1700000601, INT64_MAX).value().empty());
}

TEST_P(StoreContract, DuplicatesAreStoredOnceAndDiagnosticsOnlyMoveForward) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  const std::string text = "heap=1&t1=70.50 C&e1=1.5 MWh&v1=10.001 m3&";
  auto r = store_items(*store_,
                       {sample(1700000000, text), sample(1700000000, text),
                        diag(1700000100, "status", "open"), diag(1700000050, "status", "close")},
                       1700000200);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)[0], IngestOutcome::stored);
  EXPECT_EQ((*r)[1], IngestOutcome::duplicate);
  EXPECT_EQ((*r)[2], IngestOutcome::stored);
  EXPECT_EQ((*r)[3], IngestOutcome::older_ignored);
  EXPECT_EQ(store_->diagnostics("6892850").value().at("status").text, "open");
  // The valve's changes are events: the first state, then only real changes in time order.
  ASSERT_TRUE(store_items(*store_,
                          {diag(1700000200, "status", "open"), diag(1700000300, "status", "close")},
                          1700000400)
                  .ok());
  const auto events = store_->events("6892850").value();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].kind, "valve");
  EXPECT_EQ(events[0].detail, "open");
  EXPECT_EQ(events[1].detail, "open -> close");
  const auto rows = store_->samples("6892850", 0, INT64_MAX).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].energy_kwh, "1500.0");  // every digit of the input kept
  EXPECT_EQ(rows[0].volume_m3, "10.001");
  EXPECT_EQ(rows[0].values.at("t1"), "70.50");
  EXPECT_EQ(rows[0].units.at("e1"), "MWh");
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, 1700000000);
  // Only real samples move "last seen".
  ASSERT_TRUE(store_items(*store_, {diag(1700009999, "version", "x")}, 1700010000).ok());
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, 1700000000);
}

TEST_P(StoreContract, RollupsAreExactAndOrderFree) {
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  // Out of order within one hour.
  ASSERT_TRUE(store_items(*store_,
                          {sample(hour + 1200, "heap=1&t1=70.10 C&e1=1002 kWh&"),
                           sample(hour + 60, "heap=1&t1=70.20 C&e1=1000 kWh&"),
                           sample(hour + 3540, "heap=1&t1=NaN C&e1=1003 kWh&"),
                           sample(hour + 600, "heap=1&t1=70.05 C&e1=1001 kWh&")},
                          hour + 4000)
                  .ok());
  const auto r = store_->rollups("6892850", Period::hour, 0, INT64_MAX).value();
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].bucket, hour);
  EXPECT_EQ(r[0].samples, 4);
  EXPECT_EQ(r[0].first_time, hour + 60);
  EXPECT_EQ(r[0].energy_first, "1000");
  EXPECT_EQ(r[0].last_time, hour + 3540);
  EXPECT_EQ(r[0].energy_last, "1003");
  EXPECT_EQ(r[0].sums.at("t1").sum.to_string(), "210.35");
  EXPECT_EQ(r[0].sums.at("t1").count, 3);
  EXPECT_EQ(store_->rollups("6892850", Period::day, 0, INT64_MAX).value().at(0).samples, 4);
}

TEST_P(StoreContract, AGlitchTooLargeToSumIsStoredAndOnlyItsAverageIsLost) {
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  ASSERT_TRUE(store_items(*store_,
                          {sample(hour + 60, "heap=1&t1=18446744073709551615 C&t2=40.5 C&"),
                           sample(hour + 120, "heap=1&t1=18446744073709551615 C&t2=40.5 C&"),
                           sample(hour + 180, "heap=1&t1=70.5 C&t2=40.0 C&")},
                          hour + 200)
                  .ok());
  EXPECT_EQ(store_->samples("6892850", 0, INT64_MAX).value().size(), 3u);
  const auto r = store_->rollups("6892850", Period::hour, 0, INT64_MAX).value().at(0);
  EXPECT_EQ(r.samples, 3);
  EXPECT_FALSE(r.sums.at("t1").available) << "unavailable, not wrong";
  EXPECT_EQ(r.sums.at("t2").sum.to_string(), "121.0");
  EXPECT_EQ(r.sums.at("t2").count, 3);
}

TEST_P(StoreContract, RejectionsAreCountedAndQuarantined) {
  Rejection r;
  r.reason = "bad_mac";
  r.topic = "/sample/v2/1/2";
  r.payload = {1, 2, 3};
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.reason = "unknown_serial";
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  const auto counts = store_->rejection_counts().value();
  EXPECT_EQ(counts.at("bad_mac"), 2);
  EXPECT_EQ(counts.at("unknown_serial"), 1);
}

TEST_P(StoreContract, ZeroAndNegativePaymentsAreRefusedAndNothingIsStored) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  for (const char* amount : {"0", "0.00", "-1000000", "-0.01"}) {
    Payment p;
    p.serial = m.serial;
    p.amount = core::Decimal::parse(amount).value();
    p.price = core::Decimal::parse("1").value();
    auto r = add_payment(*store_, p, "anna", 1000);
    ASSERT_FALSE(r.ok()) << amount;
    EXPECT_NE(r.error().detail.find("amount must be above 0"), std::string::npos)
        << r.error().detail;
  }
  EXPECT_TRUE(store_->payments(m.serial).value().empty());
  EXPECT_TRUE(store_->commands(m.serial).value().empty());
}

TEST_P(StoreContract, RejectionsAreCountedBySerialAndUnknownSerialsListed) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  Rejection r;
  r.reason = "bad_mac";
  r.serial = "6892850";
  r.time = 100;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.time = 200;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  for (const char* serial : {"1111111", "2222222"}) {
    r.reason = "unknown_serial";
    r.serial = serial;
    r.time = serial[0] == '1' ? 300 : 400;
    ASSERT_TRUE(store_rejection(*store_, r).ok());
  }
  const auto mine = store_->rejections_for("6892850").value();
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].reason, "bad_mac");
  EXPECT_EQ(mine[0].count, 2);
  EXPECT_EQ(mine[0].first_time, 100);
  EXPECT_EQ(mine[0].last_time, 200);
  auto unknown = store_->unknown_serials(10).value();
  ASSERT_EQ(unknown.size(), 2u);
  EXPECT_EQ(unknown[0].serial, "2222222");  // the most recent first
  // Adopted: no longer unknown.
  m.serial = "2222222";
  ASSERT_TRUE(store_->add_meter(m).ok());
  unknown = store_->unknown_serials(10).value();
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].serial, "1111111");
}

// The rejections of the whole fleet since a time, the most recent first, at most a limit.
TEST_P(StoreContract, RecentRejectionsAreReadForEverySerial) {
  Rejection r;
  r.reason = "bad_mac";
  r.serial = "6892850";
  r.time = 100;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.time = 500;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.reason = "implausible_time";
  r.serial = "1111111";
  r.time = 600;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  r.reason = "bad_mac";
  r.serial = "2222222";
  r.time = 200;
  ASSERT_TRUE(store_rejection(*store_, r).ok());
  auto recent = store_->recent_rejections(400, 10).value();
  ASSERT_EQ(recent.size(), 2u) << "2222222's last one is older";
  EXPECT_EQ(recent[0].serial, "1111111");
  EXPECT_EQ(recent[0].reason, "implausible_time");
  EXPECT_EQ(recent[1].serial, "6892850");
  EXPECT_EQ(recent[1].count, 2);
  EXPECT_EQ(recent[1].last_time, 500);
  EXPECT_EQ(store_->recent_rejections(0, 10).value().size(), 3u);
  EXPECT_EQ(store_->recent_rejections(0, 1).value().size(), 1u) << "the limit";
}

TEST_P(StoreContract, AWillIsOneEventUntilAnAuthenticMessage) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  IngestItem will;
  will.kind = IngestItem::Kind::event;
  will.serial = "6892850";
  will.function = "offline";
  will.time = 1000;
  auto r = store_items(*store_, {will, will, will}, 1000).value();
  EXPECT_EQ(r[0], IngestOutcome::event_logged);
  EXPECT_EQ(r[1], IngestOutcome::will_ignored);
  EXPECT_EQ(r[2], IngestOutcome::will_ignored);
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 1000);
  EXPECT_EQ(store_->events("6892850").value().size(), 1u);
  // An authentic message, even an older one from the outbox, ends the offline state.
  ASSERT_TRUE(store_items(*store_, {diag(900, "uptime", "5")}, 1001).ok());
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 0);
  will.time = 1002;
  r = store_items(*store_, {will}, 1002).value();
  EXPECT_EQ(r[0], IngestOutcome::event_logged);
  EXPECT_EQ(store_->events("6892850").value().size(), 2u);
  // A will for a serial that is no meter stores nothing.
  will.serial = "9999999";
  r = store_items(*store_, {will}, 1003).value();
  EXPECT_EQ(r[0], IngestOutcome::will_ignored);
  EXPECT_EQ(store_->events("9999999").value().size(), 0u);
}

}  // namespace

ML_STORE_CONTRACT(StoreContract);

}  // namespace ml::server::test_store
