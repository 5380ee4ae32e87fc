// The server's configuration and its SQLite store, on a temporary file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "server/config.hpp"
#include "server/ledger.hpp"
#include "server/sender.hpp"
#include "server/sqlite_store.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

constexpr std::string_view kMinimalServer = R"([database]
path = "/var/lib/meterlogger/server.db"       # SQLite
[mqtt]
host = "127.0.0.1"
port = 1883
[http]
listen = "127.0.0.1:8080"
)";

TEST(ServerConfig, MinimalFileWorksAsIs) {
  auto c = parse_server_config(kMinimalServer, "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->database.path, "/var/lib/meterlogger/server.db");
  EXPECT_EQ(c->mqtt.port, 1883);
  EXPECT_EQ(c->mqtt.client_id, "meterlogger-server");
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->ingest.max_future_s, 600);
}

TEST(ServerConfig, AnInlinePasswordInAFileEveryoneReadsIsAWarning) {
  test::TempDir dir;
  const std::string path = dir.file("server.toml");
  std::string text(kMinimalServer);
  text.insert(text.find("port = 1883") + 12, "username = \"server\"\npassword = \"s3cret\"\n");
  std::ofstream(path, std::ios::trunc) << text;
  ::chmod(path.c_str(), 0644);
  auto c = load_server_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("readable by everyone"), std::string::npos) << c->warnings[0];
  EXPECT_EQ(c->warnings[0].find("s3cret"), std::string::npos) << "never the secret itself";
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(load_server_config(path).value().warnings.empty());
}

TEST(ServerConfig, ThePackagedExampleIsValid) {
  const std::string path = std::string(ML_TEST_DATA_DIR) + "/../../packaging/server.toml";
  auto c = load_server_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->commands.poll_interval_s, 600);
  EXPECT_EQ(c->ingest.min_time, 1420070400);
}

TEST(ServerConfig, ErrorsNameTheKeyAndTheProblem) {
  const std::pair<std::string, std::string> bad[] = {
      {"[mqtt]\nhost=\"h\"\n", "database: required"},
      {"[database]\npath=\"x.db\"\n", "mqtt: required"},
      {"[database]\npath=\"x.db\"\n[mqtt]\nport=0\n", "mqtt.port: must be between 1 and 65535"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[mqtt.tls]\n", "mqtt.tls: the server connects"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[http]\nlisten=\"8080\"\n", "http.listen: must be"},
      {"[database]\npath=\"x.db\"\n[mqtt]\nhots=\"h\"\n", "mqtt.hots: unknown setting"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[ingest]\nbatch_max=0\n", "ingest.batch_max"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[commands]\nretry_initial=60\nretry_max=10\n",
       "commands.retry_max: must not be below"},
      {"[database\n", "s.toml:1:"},
  };
  for (const auto& [text, message] : bad) {
    auto r = parse_server_config(text, "s.toml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().detail.rfind(message, 0), 0u) << r.error().detail;
  }
}

class ServerStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = SqliteStore::open(dir_.file("s/server.db")).value(); }

  IngestItem sample(std::int64_t time, const std::string& text) {
    IngestItem i;
    i.kind = IngestItem::Kind::sample;
    i.serial = "6892850";
    i.time = time;
    i.function = "sample";
    i.text = text;
    i.sample = core::sample::parse_sample(text).value();
    return i;
  }
  IngestItem diag(std::int64_t time, const std::string& fn, const std::string& text) {
    IngestItem i;
    i.kind = IngestItem::Kind::diagnostic;
    i.serial = "6892850";
    i.time = time;
    i.function = fn;
    i.text = text;
    return i;
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

// A database from before serials compared as numbers: meter "40" and its rows take the canonical
// form "0000040" when the migration runs; a collision keeps the old spelling.
TEST(ServerStoreMigration, NumericSerialsTakeTheirCanonicalForm) {
  test::TempDir dir;
  const std::string path = dir.file("server.db");
  {
    auto store = SqliteStore::open(path).value();
    auto& db = store->db();
    // Back to version 3: undo migrations 4 to 6.
    ASSERT_TRUE(db.exec("ALTER TABLE samples DROP COLUMN quirks").ok());
    ASSERT_TRUE(db.exec("DROP TABLE rejections_by_serial").ok());
    ASSERT_TRUE(db.exec("ALTER TABLE meters DROP COLUMN offline_since").ok());
    ASSERT_TRUE(db.exec("ALTER TABLE users DROP COLUMN unlocked_at").ok());
    ASSERT_TRUE(db.exec("INSERT INTO meters(serial, key, kind, created) VALUES"
                        "('40', 'k', 'heat', 1), ('7210086', 'k', 'heat', 1), ('ab-1', 'k', "
                        "'electricity', 1)")
                    .ok());
    ASSERT_TRUE(db.exec("INSERT INTO samples(serial, time, raw, received) VALUES"
                        "('40', 100, 'heap=1', 1), ('0000040', 100, 'heap=2', 1), "
                        "('40', 200, 'heap=3', 1)")
                    .ok());
    ASSERT_TRUE(db.exec("INSERT INTO commands(serial, command, argument, state, created, "
                        "expires, next_send) VALUES('040', 'ping', '1', 'queued', 1, 0, 1)")
                    .ok());
    ASSERT_TRUE(db.exec("PRAGMA user_version=3").ok());
  }
  auto store = SqliteStore::open(path).value();
  auto count = [&](const std::string& sql) {
    auto q = store->db().prepare(sql).value();
    (void)q.step();
    return q.int64(0);
  };
  EXPECT_EQ(count("SELECT COUNT(*) FROM meters WHERE serial IN ('0000040','7210086','ab-1')"), 3);
  EXPECT_TRUE(store->meter("0000040").value());
  EXPECT_EQ(count("SELECT COUNT(*) FROM samples WHERE serial='0000040'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM samples WHERE serial='40' AND time=100"), 1);  // taken
  EXPECT_EQ(count("SELECT COUNT(*) FROM commands WHERE serial='0000040'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM pragma_table_info('samples') WHERE name='quirks'"), 1);
}

TEST_F(ServerStoreTest, Meters) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.setup_value = "100.5";
  ASSERT_TRUE(store_->add_meter(m).ok());
  EXPECT_FALSE(store_->add_meter(m).ok()) << "twice";
  m.name = "Loppen 12";
  ASSERT_TRUE(store_->update_meter(m).ok());
  auto got = store_->meter("6892850").value();
  ASSERT_TRUE(got);
  EXPECT_EQ(got->name, "Loppen 12");
  EXPECT_EQ(got->setup_value, "100.5");
  EXPECT_EQ(store_->meters().value().size(), 1u);
  ASSERT_TRUE(store_->remove_meter("6892850").ok());
  EXPECT_FALSE(store_->meter("6892850").value());
  EXPECT_FALSE(store_->remove_meter("6892850").ok());
}

// A second connection's write is not seen inside a snapshot until it ends; a snapshot inside a
// snapshot runs on the outer one; samples_page pages in time order.
TEST_F(ServerStoreTest, SnapshotsNestAndPagesFollowEachOther) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  std::vector<IngestItem> items;
  for (int i = 0; i < 5; ++i)
    items.push_back(sample(1700000000 + 60 * i, "e1=" + std::to_string(100 + i) + " kWh&"));
  ASSERT_TRUE(store_->ingest(items, 1700001000).ok());
  auto other = SqliteStore::open(dir_.file("s/server.db")).value();
  std::size_t inside = 0;
  auto st = store_->read_snapshot([&]() -> core::Status {
    EXPECT_EQ(store_->samples("6892850", 0, INT64_MAX).value().size(), 5u);  // the snapshot starts
    EXPECT_TRUE(other->ingest({sample(1700000600, "e1=200 kWh&")}, 1700001000).ok());
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
}

TEST_F(ServerStoreTest, DuplicatesAreStoredOnceAndDiagnosticsOnlyMoveForward) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  const std::string text = "heap=1&t1=70.50 C&e1=1.5 MWh&v1=10.001 m3&";
  auto r = store_->ingest({sample(1700000000, text), sample(1700000000, text),
                           diag(1700000100, "status", "open"), diag(1700000050, "status", "close")},
                          1700000200);
  ASSERT_TRUE(r.ok()) << r.error().message();
  EXPECT_EQ((*r)[0], IngestOutcome::stored);
  EXPECT_EQ((*r)[1], IngestOutcome::duplicate);
  EXPECT_EQ((*r)[2], IngestOutcome::stored);
  EXPECT_EQ((*r)[3], IngestOutcome::older_ignored);
  EXPECT_EQ(store_->diagnostics("6892850").value().at("status").first, "open");
  // The valve's changes are events: the first state, then only real changes in time order.
  ASSERT_TRUE(
      store_
          ->ingest({diag(1700000200, "status", "open"), diag(1700000300, "status", "close")},
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
  ASSERT_TRUE(store_->ingest({diag(1700009999, "version", "x")}, 1700010000).ok());
  EXPECT_EQ(store_->meter("6892850").value()->last_sample_time, 1700000000);
}

TEST_F(ServerStoreTest, RollupsAreExactAndOrderFree) {
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  // Out of order within one hour.
  ASSERT_TRUE(store_
                  ->ingest({sample(hour + 1200, "heap=1&t1=70.10 C&e1=1002 kWh&"),
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
  EXPECT_EQ(r[0].sums.at("t1"), std::make_pair(std::string("210.35"), std::int64_t{3}));
  EXPECT_EQ(store_->rollups("6892850", Period::day, 0, INT64_MAX).value().at(0).samples, 4);
}

TEST_F(ServerStoreTest, AGlitchTooLargeToSumIsStoredAndOnlyItsAverageIsLost) {
  const std::int64_t hour = 1700000000 / 3600 * 3600;
  ASSERT_TRUE(store_
                  ->ingest({sample(hour + 60, "heap=1&t1=18446744073709551615 C&t2=40.5 C&"),
                            sample(hour + 120, "heap=1&t1=18446744073709551615 C&t2=40.5 C&"),
                            sample(hour + 180, "heap=1&t1=70.5 C&t2=40.0 C&")},
                           hour + 200)
                  .ok());
  EXPECT_EQ(store_->samples("6892850", 0, INT64_MAX).value().size(), 3u);
  const auto r = store_->rollups("6892850", Period::hour, 0, INT64_MAX).value().at(0);
  EXPECT_EQ(r.samples, 3);
  EXPECT_EQ(r.sums.at("t1").second, -1) << "unavailable, not wrong";
  EXPECT_EQ(r.sums.at("t2"), std::make_pair(std::string("121.0"), std::int64_t{3}));
}

TEST_F(ServerStoreTest, RejectionsAreCountedAndQuarantined) {
  Rejection r;
  r.reason = "bad_mac";
  r.topic = "/sample/v2/1/2";
  r.payload = {1, 2, 3};
  ASSERT_TRUE(store_->reject(r).ok());
  ASSERT_TRUE(store_->reject(r).ok());
  r.reason = "unknown_serial";
  ASSERT_TRUE(store_->reject(r).ok());
  const auto counts = store_->rejection_counts().value();
  EXPECT_EQ(counts.at("bad_mac"), 2);
  EXPECT_EQ(counts.at("unknown_serial"), 1);
}

TEST_F(ServerStoreTest, APaymentAndItsLimitAreOneTransaction) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.setup_value = "100";
  ASSERT_TRUE(store_->add_meter(m).ok());
  Payment p;
  p.serial = m.serial;
  p.time = 1000;
  p.amount = "17.00";
  p.price = "1.70";
  // The second write (the queued limit) fails: the payment is not kept either.
  ASSERT_TRUE(store_->db()
                  .exec("CREATE TEMP TRIGGER no_commands BEFORE INSERT ON commands "
                        "BEGIN SELECT RAISE(ABORT, 'the queue is full'); END;")
                  .ok());
  auto failed = add_payment(*store_, p, "anna", 1000);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().detail.find("the queue is full"), std::string::npos);
  EXPECT_TRUE(store_->payments(m.serial).value().empty());
  EXPECT_TRUE(store_->audit_log(m.serial).value().empty());
  // With the queue working again, both are stored.
  ASSERT_TRUE(store_->db().exec("DROP TRIGGER no_commands").ok());
  auto done = add_payment(*store_, p, "anna", 1000);
  ASSERT_TRUE(done.ok()) << done.error().detail;
  EXPECT_EQ(done->open_until, "110");
  EXPECT_EQ(store_->payments(m.serial).value().size(), 1u);
  const auto queued = store_->commands(m.serial).value();
  ASSERT_EQ(queued.size(), 1u);
  EXPECT_EQ(queued[0].argument, "110");
  // A correction whose limit cannot be queued leaves the old entry active.
  ASSERT_TRUE(store_->db()
                  .exec("CREATE TEMP TRIGGER no_commands BEFORE INSERT ON commands "
                        "BEGIN SELECT RAISE(ABORT, 'the queue is full'); END;")
                  .ok());
  Payment fixed = p;
  fixed.amount = "34.00";
  EXPECT_FALSE(correct_payment(*store_, done->id, fixed, "anna", 1001).ok());
  EXPECT_FALSE(void_payment(*store_, done->id, "anna", 1001).ok());
  const auto after = store_->payments(m.serial).value();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].state, "active");
  EXPECT_EQ(store_->audit_log(m.serial).value().size(), 1u);
}

TEST_F(ServerStoreTest, ZeroAndNegativePaymentsAreRefusedAndNothingIsStored) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  for (const char* amount : {"0", "0.00", "-1000000", "-0.01"}) {
    Payment p;
    p.serial = m.serial;
    p.amount = amount;
    p.price = "1";
    auto r = add_payment(*store_, p, "anna", 1000);
    ASSERT_FALSE(r.ok()) << amount;
    EXPECT_NE(r.error().detail.find("amount must be above 0"), std::string::npos)
        << r.error().detail;
  }
  EXPECT_TRUE(store_->payments(m.serial).value().empty());
  EXPECT_TRUE(store_->commands(m.serial).value().empty());
}

TEST_F(ServerStoreTest, RejectionsAreCountedBySerialAndUnknownSerialsListed) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  Rejection r;
  r.reason = "bad_mac";
  r.serial = "6892850";
  r.time = 100;
  ASSERT_TRUE(store_->reject(r).ok());
  r.time = 200;
  ASSERT_TRUE(store_->reject(r).ok());
  for (const char* serial : {"1111111", "2222222"}) {
    r.reason = "unknown_serial";
    r.serial = serial;
    r.time = serial[0] == '1' ? 300 : 400;
    ASSERT_TRUE(store_->reject(r).ok());
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

TEST_F(ServerStoreTest, AWillIsOneEventUntilAnAuthenticMessage) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  ASSERT_TRUE(store_->add_meter(m).ok());
  IngestItem will;
  will.kind = IngestItem::Kind::event;
  will.serial = "6892850";
  will.function = "offline";
  will.time = 1000;
  auto r = store_->ingest({will, will, will}, 1000).value();
  EXPECT_EQ(r[0], IngestOutcome::event_logged);
  EXPECT_EQ(r[1], IngestOutcome::will_ignored);
  EXPECT_EQ(r[2], IngestOutcome::will_ignored);
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 1000);
  EXPECT_EQ(store_->events("6892850").value().size(), 1u);
  // An authentic message, even an older one from the outbox, ends the offline state.
  ASSERT_TRUE(store_->ingest({diag(900, "uptime", "5")}, 1001).ok());
  EXPECT_EQ(store_->meter("6892850").value()->offline_since, 0);
  will.time = 1002;
  r = store_->ingest({will}, 1002).value();
  EXPECT_EQ(r[0], IngestOutcome::event_logged);
  EXPECT_EQ(store_->events("6892850").value().size(), 2u);
  // A will for a serial that is no meter stores nothing.
  will.serial = "9999999";
  r = store_->ingest({will}, 1003).value();
  EXPECT_EQ(r[0], IngestOutcome::will_ignored);
  EXPECT_EQ(store_->events("9999999").value().size(), 0u);
}

}  // namespace
}  // namespace ml::server

namespace ml::server {
namespace {

Payment entry(const std::string& amount, const std::string& price,
              const std::string& state = "active") {
  Payment p;
  p.amount = amount;
  p.price = price;
  p.state = state;
  return p;
}

StoredSample at(std::int64_t time, const std::string& kwh) {
  StoredSample s;
  s.time = time;
  s.energy_kwh = kwh;
  return s;
}

TEST(ServerLedger, OpenUntilIsPaidPlusSetupValue) {
  Meter m;
  m.setup_value = "12345.5";
  // 17.00 / 1.70 = 10; 5.10 / 0.85 = 6; 100 / 3 = 33.333333333 (9 decimals), a voided entry and a
  // price-0 entry (a fee) credit nothing.
  const std::vector<Payment> ledger{entry("17.00", "1.70"), entry("5.10", "0.85"),
                                    entry("100", "3"), entry("999", "1", "void"), entry("50", "0")};
  EXPECT_EQ(paid(ledger).value().to_string(), "49.333");
  EXPECT_EQ(open_until_limit(m, ledger).value().to_string(), "12394.833");
  EXPECT_EQ(paid({}).value().to_string(), "0");
  // A refund (negative amount) takes energy back.
  EXPECT_EQ(paid({entry("17.00", "1.70"), entry("-8.50", "1.70")}).value().to_string(), "5");
  EXPECT_FALSE(parse_money("12,50", "--amount").ok());
}

// MeterLoggerWeb deletes a queued open_until when |echo - sent| < 1; the device echoes whole kWh
// (or m3 with 3 decimals) of what it stored.
TEST(ServerCommands, OpenUntilConfirmedByAnEchoLessThanOneAway) {
  Command c;
  c.command = "open_until";
  c.state = "sent";
  c.first_sent = 1000;
  c.argument = "14345.5882352941098";
  EXPECT_TRUE(confirms(c, "open_until", "14345", 1001));
  EXPECT_TRUE(confirms(c, "open_until", "14345.588", 1001));
  EXPECT_FALSE(confirms(c, "open_until", "14344", 1001));
  EXPECT_FALSE(confirms(c, "open_until", "14346.6", 1001));
  EXPECT_FALSE(confirms(c, "status", "14345", 1001));
  c.argument = "1001";
  EXPECT_FALSE(confirms(c, "open_until", "1000", 1001));  // an older limit's echo
  EXPECT_TRUE(confirms(c, "open_until", "1001", 1001));
  // What the device accepts, the queue accepts.
  EXPECT_TRUE(check_command("open_until", "14345.5882352941098").ok());
  EXPECT_TRUE(check_command("open_until", "14345.").ok());
  EXPECT_TRUE(check_command("open_until", "-5").ok());  // changes nothing, as on the original
  EXPECT_FALSE(check_command("open_until", "12,5").ok());
}

TEST(ServerLedger, RemainingAndTimeLeftFromTheLastDay) {
  const auto limit = core::Decimal::parse("1100").value();
  // 24 kWh used in 24 hours: 1 kWh/h; 76 kWh left at the latest sample: 76 hours.
  const std::vector<StoredSample> day{at(0, "1000"), at(43200, "1012"), at(86400, "1024")};
  const auto r = remaining(limit, day, false);
  ASSERT_TRUE(r.units);
  EXPECT_EQ(r.units->to_string(), "76");
  EXPECT_EQ(r.rate_per_hour, "1.000");
  ASSERT_TRUE(r.hours);
  EXPECT_DOUBLE_EQ(*r.hours, 76.0);
  // Past the limit: nothing left, no time.
  const auto over = remaining(core::Decimal::parse("1020").value(), day, false);
  EXPECT_EQ(over.units->to_string(), "-4");
  EXPECT_EQ(over.hours, 0.0);
  // One sample: what is left, but no rate.
  const auto one = remaining(limit, {at(0, "1000")}, false);
  EXPECT_EQ(one.units->to_string(), "100");
  EXPECT_FALSE(one.hours);
  EXPECT_FALSE(remaining(limit, {}, false).units);
}

}  // namespace
}  // namespace ml::server
