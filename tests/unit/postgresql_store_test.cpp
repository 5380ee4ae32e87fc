// What only the PostgreSQL backend has (the store contract tests cover the rest): a read-only
// session (a streaming replica) opens an up-to-date database without writing; a lost connection
// is storage_unavailable and the next statement outside a transaction reconnects; URLs are shown
// without their password.
#include <gtest/gtest.h>

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
