// What only the SQLite backend of the server's store has: its schema migrations, a write
// failing inside the database (a trigger) rolling back the whole change, and rows written by
// something else that are no typed record. What every backend
// does is in the store contract (store_contract_test.cpp).
#include <gtest/gtest.h>

#include <filesystem>

#include "server/sender.hpp"
#include "server/sqlite/store.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = SqliteStore::open(dir_.file("s/server.db")).value(); }
  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

// Undoes migration 8: the alarm tables.
void drop_alarm_tables(platform::sqlite::Db& db) {
  for (const char* table :
       {"alarm_rules", "group_zones", "alarm_episodes", "alarm_states", "alarm_transitions"}) {
    ASSERT_TRUE(db.exec(std::string("DROP TABLE ") + table).ok()) << table;
  }
  ASSERT_TRUE(db.exec("DROP INDEX events_by_kind").ok());
}

// Undoes migrations 21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 10 and 9: the degree days, the
// residents (with their preferences and notice states), the second factors,
// the packed days, the leases, the key change columns, the import's progress and default prices,
// the metrics' counters and the commands' reply index, the prepaid notices, the notifications and
// the contact columns.
void undo_notifications(platform::sqlite::Db& db) {
  for (const char* sql : {"DROP TABLE degree_days",
                          "DROP TABLE resident_prepaid_notices",
                          "DROP TABLE resident_sessions",
                          "DROP TABLE resident_codes",
                          "DROP TABLE resident_meters",
                          "DROP TABLE residents",
                          "DROP TABLE user_recovery_codes",
                          "DROP TABLE user_totp",
                          "DROP TABLE sample_days",
                          "DROP TABLE leases",
                          "ALTER TABLE meters DROP COLUMN next_key",
                          "ALTER TABLE meters DROP COLUMN next_key_since",
                          "DROP TABLE import_progress",
                          "DROP TABLE meter_default_prices",
                          "DROP TABLE counters",
                          "DROP INDEX commands_by_reply",
                          "DROP TABLE prepaid_notices",
                          "DROP TABLE notifications",
                          "ALTER TABLE users DROP COLUMN email",
                          "ALTER TABLE users DROP COLUMN phone",
                          "ALTER TABLE meters DROP COLUMN contact_name",
                          "ALTER TABLE meters DROP COLUMN contact_email",
                          "ALTER TABLE meters DROP COLUMN contact_phone"}) {
    ASSERT_TRUE(db.exec(sql).ok()) << sql;
  }
}

// Undoes migration 7: the ten value columns samples had up to version 6.
void add_value_columns(platform::sqlite::Db& db) {
  for (const char* column :
       {"heap", "t1", "t2", "t3", "tdif", "flow1", "effect1", "hr", "v1", "e1"}) {
    ASSERT_TRUE(db.exec(std::string("ALTER TABLE samples ADD COLUMN ") + column + " TEXT").ok())
        << column;
  }
}

// A database from before serials compared as numbers: meter "40" and its rows take the canonical
// form "0000040" when the migration runs; a collision keeps the old spelling.
TEST(ServerStoreMigration, NumericSerialsTakeTheirCanonicalForm) {
  test::TempDir dir;
  const std::string path = dir.file("server.db");
  {
    auto store = SqliteStore::open(path).value();
    auto& db = store->db();
    // Back to version 3: undo migrations 4 to 10.
    undo_notifications(db);
    drop_alarm_tables(db);
    add_value_columns(db);
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
  // Migration 12 counts the samples already stored once; GET /metrics reads the count.
  EXPECT_EQ(count("SELECT value FROM counters WHERE name='samples_stored'"), 3);
  EXPECT_EQ(store->store_metrics(0, 0).value().samples_stored, 3);
}

// A version-6 database kept the values of a sample in ten columns too; migration 7 drops them
// (ALTER TABLE ... DROP COLUMN on this WITHOUT ROWID table) and its samples read as before,
// from the text as received.
TEST(ServerStoreMigration, SamplesKeepTheirValuesWithoutTheValueColumns) {
  test::TempDir dir;
  const std::string path = dir.file("server.db");
  {
    auto store = SqliteStore::open(path).value();
    auto& db = store->db();
    undo_notifications(db);
    drop_alarm_tables(db);
    add_value_columns(db);
    ASSERT_TRUE(db.exec("INSERT INTO samples(serial, time, heap, t1, e1, v1, energy_kwh, "
                        "volume_m3, raw, received) VALUES('6892850', 100, '1', '70.50', '1.5', "
                        "'10.001', '1500.0', '10.001', 'heap=1&t1=70.50 C&e1=1.5 MWh&v1=10.001 "
                        "m3&', 101)")
                    .ok());
    ASSERT_TRUE(db.exec("PRAGMA user_version=6").ok());
  }
  auto store = SqliteStore::open(path).value();
  auto q = store->db()
               .prepare(
                   "SELECT COUNT(*) FROM pragma_table_info('samples') WHERE name IN "
                   "('heap','t1','t2','t3','tdif','flow1','effect1','hr','v1','e1')")
               .value();
  ASSERT_TRUE(q.step().value());
  EXPECT_EQ(q.int64(0), 0);
  const auto rows = store->samples("6892850", 0, INT64_MAX).value();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].time, 100);
  EXPECT_EQ(rows[0].values.at("t1"), "70.50");
  EXPECT_EQ(rows[0].units.at("e1"), "MWh");
  EXPECT_EQ(rows[0].energy_kwh, "1500.0");
  EXPECT_EQ(rows[0].volume_m3, "10.001");
}

TEST_F(SqliteStoreTest, APaymentAndItsLimitAreOneTransaction) {
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  m.setup_value = core::Decimal::parse("100").value();
  ASSERT_TRUE(store_->add_meter(m).ok());
  Payment p;
  p.serial = m.serial;
  p.time = 1000;
  p.amount = core::Decimal::parse("17.00").value();
  p.price = core::Decimal::parse("1.70").value();
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
  fixed.amount = core::Decimal::parse("34.00").value();
  EXPECT_FALSE(correct_payment(*store_, done->id, fixed, "anna", 1001).ok());
  EXPECT_FALSE(void_payment(*store_, done->id, "anna", 1001).ok());
  const auto after = store_->payments(m.serial).value();
  ASSERT_EQ(after.size(), 1u);
  EXPECT_EQ(after[0].state, PaymentState::active);
  EXPECT_EQ(store_->audit_log(m.serial).value().size(), 1u);
}

// A row the typed records cannot hold (written by hand, or by a newer version) is an error
// naming it, never a silently different value.
TEST_F(SqliteStoreTest, ARowThatIsNoRecordIsAnErrorNamingIt) {
  auto& db = store_->db();
  ASSERT_TRUE(db.exec("INSERT INTO meters(serial, key, kind, created) "
                      "VALUES('0000040', 'k', 'gas', 1)")
                  .ok());
  auto meters = store_->meters();
  ASSERT_FALSE(meters.ok());
  EXPECT_EQ(meters.error().detail, "meter 0000040 has an unknown kind \"gas\"");
  EXPECT_FALSE(store_->meter("0000040").ok());
  ASSERT_TRUE(db.exec("UPDATE meters SET kind='water', setup_value='1,5'").ok());
  EXPECT_EQ(store_->meter("0000040").error().detail,
            "meter 0000040 has a setup value \"1,5\" that is not a decimal number");
  ASSERT_TRUE(db.exec("INSERT INTO commands(serial, command, argument, state, created, expires, "
                      "next_send) VALUES('0000040', 'version', '', 'done', 1, 0, 1)")
                  .ok());
  EXPECT_EQ(store_->commands("0000040").error().detail, "command #1 has an unknown state \"done\"");
  ASSERT_TRUE(db.exec("INSERT INTO payments(serial, time, amount, price, note, state) "
                      "VALUES('0000040', 1, '5', '1', '', 'pending')")
                  .ok());
  EXPECT_EQ(store_->payments("0000040").error().detail,
            "payment #1 has an unknown state \"pending\"");
  ASSERT_TRUE(db.exec("UPDATE payments SET state='active', amount='five'").ok());
  EXPECT_EQ(store_->payment(1).error().detail, "the amount of #1 \"five\" is not a decimal number");
  ASSERT_TRUE(db.exec("INSERT INTO users(name, password_hash, role, groups, created) "
                      "VALUES('anna', 'h', 'owner', '', 1)")
                  .ok());
  EXPECT_EQ(store_->users().error().detail, "user anna has an unknown role \"owner\"");
}

// A version-7 database takes migrations 8 and 9: its meters and users keep their rows, with no
// contact yet, and the outbox is there; a notification row in no known state is an error naming
// it.
TEST(ServerStoreMigration, ContactsAndTheOutboxArriveEmpty) {
  test::TempDir dir;
  const std::string path = dir.file("server.db");
  {
    auto store = SqliteStore::open(path).value();
    auto& db = store->db();
    undo_notifications(db);
    drop_alarm_tables(db);
    ASSERT_TRUE(db.exec("INSERT INTO meters(serial, key, kind, created) VALUES('6892850', 'k', "
                        "'heat', 1)")
                    .ok());
    ASSERT_TRUE(db.exec("PRAGMA user_version=7").ok());
  }
  auto store = SqliteStore::open(path).value();
  auto m = store->meter("6892850").value();
  ASSERT_TRUE(m);
  EXPECT_EQ(m->contact_email, "");
  ASSERT_TRUE(store->set_meter_contact("6892850", {"A", "a@b.c", ""}).ok());
  EXPECT_EQ(store->meter("6892850").value()->contact_email, "a@b.c");
  ASSERT_TRUE(store->db()
                  .exec("INSERT INTO notifications(dedupe_key, channel, recipient, subject, body, "
                        "created, queued_at, state, next_attempt) VALUES('k', 'mail', 'a@b.c', "
                        "'s', 'b', 1, 1, 'lost', 1)")
                  .ok());
  auto log = store->notification_log({});
  ASSERT_FALSE(log.ok());
  EXPECT_NE(log.error().text().find("unknown state \"lost\""), std::string::npos)
      << log.error().text();
}

// A read-only store (docs/server.md, "Read-only commands"): never creates the file, refuses an
// older schema instead of migrating it, and reads a current one without writing.
TEST(ServerStoreReadOnly, NeverCreatesNorMigrates) {
  test::TempDir dir;
  const std::string path = dir.file("s/server.db");
  EXPECT_FALSE(SqliteStore::open_read_only(path).ok());
  EXPECT_FALSE(std::filesystem::exists(dir.file("s")));
  {
    auto store = SqliteStore::open(path).value();
    ASSERT_TRUE(store->db()
                    .exec("INSERT INTO meters(serial, key, kind, created) VALUES("
                          "'6892850', 'k', 'heat', 1)")
                    .ok());
  }
  EXPECT_EQ(SqliteStore::schema_version_of(path).value(), SqliteStore::latest_schema_version());
  {
    auto ro = SqliteStore::open_read_only(path);
    ASSERT_TRUE(ro.ok()) << ro.error().text();
    EXPECT_EQ((*ro)->meters().value().size(), 1u);
    EXPECT_FALSE((*ro)->remove_meter("6892850").ok());
  }
  {
    auto db = platform::sqlite::Db::open(path).value();
    ASSERT_TRUE(db.exec("PRAGMA user_version=10").ok());
  }
  auto old = SqliteStore::open_read_only(path);
  ASSERT_FALSE(old.ok());
  EXPECT_NE(old.error().text().find("schema version 10"), std::string::npos) << old.error().text();
  EXPECT_NE(old.error().text().find("meterlogger-server migrate"), std::string::npos);
  EXPECT_EQ(SqliteStore::schema_version_of(path).value(), 10);
}

}  // namespace
}  // namespace ml::server
