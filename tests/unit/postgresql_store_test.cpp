// What only the PostgreSQL backend has (the store contract tests cover the rest): a read-only
// session (a streaming replica) opens an up-to-date database without writing; a lost connection
// is storage_unavailable and the next statement outside a transaction reconnects; URLs are shown
// without their password; two connections store samples at once, and the same sample once.
#include <gtest/gtest.h>

#include <chrono>
#include <future>

#include "postgresql/test_cluster.hpp"
#include "server/postgresql/store.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

TEST(PostgresStore, AReadOnlySessionOpensAnUpToDateDatabaseAndWritesNothing) {
  test::TempDir dir;
  const std::string url = test::test_schema_url(dir.path());
  ASSERT_TRUE(PostgresStore::open(url).ok());  // creates the schema
  auto ro = PostgresStore::open(url + "%20-cdefault_transaction_read_only%3Don");
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  EXPECT_TRUE((*ro)->meters().value().empty());
  Meter m;
  m.serial = "6892850";
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  auto refused = (*ro)->add_meter(m);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message().find("read-only"), std::string::npos)
      << refused.error().message();
  // A new database in a read-only session cannot be created: the error says why.
  test::TempDir other;
  auto fresh = PostgresStore::open(test::test_schema_url(other.path()) +
                                   "%20-cdefault_transaction_read_only%3Don");
  ASSERT_FALSE(fresh.ok());
  EXPECT_NE(fresh.error().message().find("read-only"), std::string::npos);
}

TEST(PostgresStore, ALostConnectionIsUnavailableAndTheNextStatementReconnects) {
  test::TempDir dir;
  test::OwnCluster cluster(dir.file("pg"));
  auto store = PostgresStore::open(cluster.url());
  ASSERT_TRUE(store.ok()) << store.error().message();
  ASSERT_TRUE(cluster.halt());
  auto down = (*store)->meters();
  ASSERT_FALSE(down.ok());
  EXPECT_EQ(down.error().code, core::Errc::storage_unavailable) << down.error().message();
  auto still = (*store)->write_transaction([&]() -> core::Status {
    auto m = (*store)->meters();
    if (!m) return m.error();
    return core::Ok{};
  });
  ASSERT_FALSE(still.ok());
  EXPECT_EQ(still.error().code, core::Errc::storage_unavailable) << still.error().message();
  ASSERT_TRUE(cluster.resume());
  auto back = (*store)->meters();
  EXPECT_TRUE(back.ok()) << back.error().message();
  // A statement that is wrong is a failure of its own, not an outage.
  auto& c = (*store)->connection();
  auto bad = c.query("SELECT no_such_column FROM meters");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, core::Errc::storage_failure);
  EXPECT_NE(bad.error().message().find("[SQLSTATE 42703]"), std::string::npos);
}

// A meter with the test key, and a sample of it, for the tests of two connections at once.
Meter meter(const char* serial) {
  Meter m;
  m.serial = serial;
  m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
  return m;
}
SampleRecord record(const char* serial, std::int64_t time) {
  SampleRecord r;
  r.serial = serial;
  r.time = time;
  r.text = "t1=60 C&";
  r.received = time;
  return r;
}

// Two ingest workers each store a batch of samples of their own meters at once: the count of
// stored samples (store/metrics.hpp) is kept in a row per connection, so neither waits for the
// other's transaction, and the metric is the sum.
TEST(PostgresStore, TwoConnectionsStoreSamplesAtOnceAndTheCountIsTheirSum) {
  test::TempDir dir;
  const std::string url = test::test_schema_url(dir.path());
  auto a = PostgresStore::open(url);
  auto b = PostgresStore::open(url);
  ASSERT_TRUE(a.ok() && b.ok());
  for (const char* serial : {"0000040", "0000041"})
    ASSERT_TRUE((*a)->add_meter(meter(serial)).ok());
  // The month's partition of samples exists (creating it takes a lock on the table).
  ASSERT_TRUE((*a)->insert_samples({record("0000040", 1699999000)}).ok());
  // a's transaction stays open while b stores and commits.
  std::future<core::Status> other;
  bool waited = false;
  auto held = (*a)->write_transaction([&]() -> core::Status {
    auto stored = (*a)->insert_samples({record("0000040", 1700000000)});
    if (!stored) return stored.error();
    other = std::async(std::launch::async, [&] {
      return (*b)->write_transaction([&]() -> core::Status {
        auto s =
            (*b)->insert_samples({record("0000041", 1700000000), record("0000041", 1700000060)});
        if (!s) return s.error();
        return core::Ok{};
      });
    });
    // (When it waits, a commits, and b goes on.)
    waited = other.wait_for(std::chrono::seconds(30)) != std::future_status::ready;
    return core::Ok{};
  });
  EXPECT_FALSE(waited) << "the second connection waited for the first one's transaction";
  const auto b_done = other.get();
  EXPECT_TRUE(b_done.ok()) << b_done.error().message();
  ASSERT_TRUE(held.ok()) << held.error().message();
  EXPECT_EQ((*a)->store_metrics(0, 0).value().samples_stored, 4);
  EXPECT_EQ((*b)->store_metrics(0, 0).value().samples_stored, 4);
}

// Two workers given the same sample (a device's resend) store it once between them: the second
// one's batch waits for the first one's uncommitted row, then skips it, and reports only its
// other sample stored (the rollups and the stored count add only what it reports).
TEST(PostgresStore, TwoConnectionsGivenTheSameSampleStoreItOnce) {
  test::TempDir dir;
  const std::string url = test::test_schema_url(dir.path());
  auto a = PostgresStore::open(url);
  auto b = PostgresStore::open(url);
  auto watch = platform::postgresql::Connection::open(url);
  ASSERT_TRUE(a.ok() && b.ok() && watch.ok());
  ASSERT_TRUE((*a)->add_meter(meter("0000040")).ok());
  ASSERT_TRUE((*a)->insert_samples({record("0000040", 1699999000)}).ok());  // the partition
  std::future<core::Result<std::vector<bool>>> other;
  bool b_waited_for_a = false;
  auto held = (*a)->write_transaction([&]() -> core::Status {
    auto stored = (*a)->insert_samples({record("0000040", 1700000000)});
    if (!stored) return stored.error();
    other = std::async(std::launch::async, [&] {
      return (*b)->insert_samples({record("0000040", 1700000000), record("0000040", 1700000060)});
    });
    // a commits once b waits for its row's lock.
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!b_waited_for_a && std::chrono::steady_clock::now() < until) {
      auto waiting = watch->query(
          "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
          "query LIKE '%INSERT INTO samples%'");
      if (!waiting) return waiting.error();
      b_waited_for_a = waiting->int64(0, 0) > 0;
      if (other.wait_for(std::chrono::milliseconds(5)) == std::future_status::ready) break;
    }
    return core::Ok{};
  });
  ASSERT_TRUE(held.ok()) << held.error().message();
  EXPECT_TRUE(b_waited_for_a) << "the second connection did not wait for the first one's row";
  const auto b_stored = other.get();
  ASSERT_TRUE(b_stored.ok()) << b_stored.error().message();
  EXPECT_EQ(*b_stored, (std::vector<bool>{false, true}));
  EXPECT_EQ((*a)->samples("0000040", 1700000000, 1700000060).value().size(), 2u);
  EXPECT_EQ((*a)->store_metrics(0, 0).value().samples_stored, 3);
}

// A month's partition made ahead (`run` does it a week before, outside any batch) is found
// without a lock: a batch storing the month's first samples holds none that another connection's
// batch of that month would wait for. (Without it, the first batch creates the partition and the
// other waits until that batch commits.)
TEST(PostgresStore, AMonthPreparedAheadIsStoredIntoAtOnceByTwoConnections) {
  test::TempDir dir;
  const std::string url = test::test_schema_url(dir.path());
  auto a = PostgresStore::open(url);
  auto b = PostgresStore::open(url);
  auto ahead = PostgresStore::open(url);
  ASSERT_TRUE(a.ok() && b.ok() && ahead.ok());
  for (const char* serial : {"0000040", "0000041"})
    ASSERT_TRUE((*a)->add_meter(meter(serial)).ok());
  const std::int64_t month = 1801267200;  // 2027-01-30: its month and the next, made ahead
  ASSERT_TRUE((*ahead)->prepare_for_samples(month, month + 7 * 86400).ok());
  const std::int64_t next_month = month + 3 * 86400;  // February
  std::future<core::Status> other;
  bool waited = false;
  auto held = (*a)->write_transaction([&]() -> core::Status {
    auto stored = (*a)->insert_samples({record("0000040", next_month)});
    if (!stored) return stored.error();
    other = std::async(std::launch::async, [&] {
      return (*b)->write_transaction([&]() -> core::Status {
        auto s = (*b)->insert_samples({record("0000041", next_month)});
        if (!s) return s.error();
        return core::Ok{};
      });
    });
    // (When it waits, a commits, and b goes on.)
    waited = other.wait_for(std::chrono::seconds(30)) != std::future_status::ready;
    return core::Ok{};
  });
  EXPECT_FALSE(waited) << "the second connection waited for the first one's transaction";
  const auto b_done = other.get();
  EXPECT_TRUE(b_done.ok()) << b_done.error().message();
  ASSERT_TRUE(held.ok()) << held.error().message();
  EXPECT_EQ((*a)->samples("0000041", next_month, next_month).value().size(), 1u);
  EXPECT_EQ((*b)->samples("0000040", next_month, next_month).value().size(), 1u);
  // Made again: nothing to do, nothing changes.
  EXPECT_TRUE((*ahead)->prepare_for_samples(month, month + 7 * 86400).ok());
}

// A batch goes to PostgreSQL as array literals (postgresql/rows.hpp): quotes, backslashes,
// braces, commas and the word NULL in a text come back as they were, beside empty and long texts.
TEST(PostgresStore, TextsWithArraySyntaxComeBackAsTheyWere) {
  test::TempDir dir;
  auto store = PostgresStore::open(test::test_schema_url(dir.path()));
  ASSERT_TRUE(store.ok()) << store.error().message();
  ASSERT_TRUE((*store)->add_meter(meter("0000040")).ok());
  const std::vector<std::string> texts = {R"(a"b)", R"(back\slash\)", R"({1,2},"x")",        "NULL",
                                          "",       "\\\\\"\"",       std::string(3000, '"')};
  std::vector<SampleRecord> records;
  for (std::size_t i = 0; i < texts.size(); ++i) {
    records.push_back(record("0000040", 1700000000 + static_cast<std::int64_t>(i) * 60));
    records.back().text = texts[i];
  }
  auto stored = (*store)->insert_samples(records);
  ASSERT_TRUE(stored.ok()) << stored.error().message();
  EXPECT_EQ(std::count(stored->begin(), stored->end(), true), static_cast<long>(texts.size()));
  SampleRange range;
  range.from = 1700000000;
  range.to = 1700000000 + 3600;
  auto rows = (*store)->unpacked_samples("0000040", range, false);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i)
    EXPECT_EQ((*rows)[i].text, texts[i]) << i;
}

TEST(PostgresStore, UrlsAreShownWithoutTheirPassword) {
  using platform::postgresql::without_password;
  EXPECT_EQ(without_password("postgresql://ml:s3cret@db:5432/m"), "postgresql://ml:***@db:5432/m");
  EXPECT_EQ(without_password("postgresql://ml@db/m?password=s3cret&sslmode=require"),
            "postgresql://ml@db/m?password=***&sslmode=require");
  EXPECT_EQ(without_password("postgresql:///m?host=/tmp"), "postgresql:///m?host=/tmp");
  auto refused = PostgresStore::open("postgresql://ml:s3cret@127.0.0.1:1/m?connect_timeout=2");
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().message().find("s3cret"), std::string::npos)
      << refused.error().message();
  EXPECT_NE(refused.error().message().find("ml:***@127.0.0.1"), std::string::npos);
}

}  // namespace
}  // namespace ml::server
