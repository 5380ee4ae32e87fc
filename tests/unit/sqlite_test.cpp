#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <filesystem>

#include "platform/sqlite/db.hpp"

namespace ml::platform::sqlite {
namespace {

class SqliteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("mlsqlite-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "t.db").string(); }
  std::filesystem::path dir_;
};

constexpr std::array<std::string_view, 2> kMigrations = {
    "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT NOT NULL, data BLOB)",
    "ALTER TABLE t ADD COLUMN n INTEGER NOT NULL DEFAULT 0",
};

TEST_F(SqliteTest, MigratesOnceAndRoundTripsValues) {
  {
    auto db = Db::open(path());
    ASSERT_TRUE(db.ok()) << db.error().message();
    ASSERT_TRUE(db->migrate(kMigrations).ok());
    auto ins = db->prepare("INSERT INTO t(name, data, n) VALUES(?, ?, ?)");
    ASSERT_TRUE(ins.ok());
    const core::Bytes blob{0x00, 0xFF, 0x00};
    ASSERT_TRUE(ins->bind(1, "a").bind_blob(2, blob).bind(3, std::int64_t{1} << 40).run().ok());
  }
  auto db = Db::open(path());
  ASSERT_TRUE(db.ok());
  ASSERT_TRUE(db->migrate(kMigrations).ok());  // already applied: nothing to do
  auto sel = db->prepare("SELECT name, data, n FROM t");
  ASSERT_TRUE(sel.ok());
  ASSERT_TRUE(sel->step().value());
  EXPECT_EQ(sel->text(0), "a");
  EXPECT_EQ(sel->blob(1), (core::Bytes{0x00, 0xFF, 0x00}));
  EXPECT_EQ(sel->int64(2), std::int64_t{1} << 40);
  EXPECT_FALSE(sel->step().value());
}

TEST_F(SqliteTest, TransactionRollsBackWhenNotCommitted) {
  auto db = Db::open(path());
  ASSERT_TRUE(db->migrate(kMigrations).ok());
  {
    Transaction tx(*db);
    ASSERT_TRUE(tx.begun().ok());
    ASSERT_TRUE(db->exec("INSERT INTO t(name) VALUES('x')").ok());
  }
  auto count = db->prepare("SELECT count(*) FROM t");
  ASSERT_TRUE(count->step().value());
  EXPECT_EQ(count->int64(0), 0);
}

// Inside an open transaction a Transaction is a savepoint: its writes go with the outer one.
TEST_F(SqliteTest, ANestedTransactionCommitsAndRollsBackWithTheOuterOne) {
  auto db = Db::open(path());
  ASSERT_TRUE(db->migrate(kMigrations).ok());
  const auto rows = [&] {
    auto count = db->prepare("SELECT count(*) FROM t");
    EXPECT_TRUE(count->step().value());
    return count->int64(0);
  };
  {
    Transaction outer(*db);
    ASSERT_TRUE(outer.begun().ok());
    {
      Transaction inner(*db);
      ASSERT_TRUE(inner.begun().ok());
      ASSERT_TRUE(db->exec("INSERT INTO t(name) VALUES('kept only with the outer')").ok());
      ASSERT_TRUE(inner.commit().ok());
    }
    {
      Transaction inner(*db);  // not committed: only its own writes go
      ASSERT_TRUE(db->exec("INSERT INTO t(name) VALUES('rolled back')").ok());
    }
    EXPECT_EQ(rows(), 1);
  }  // the outer one is not committed: nothing stays
  EXPECT_EQ(rows(), 0);
  {
    Transaction outer(*db);
    {
      Transaction inner(*db);
      ASSERT_TRUE(db->exec("INSERT INTO t(name) VALUES('x')").ok());
      ASSERT_TRUE(inner.commit().ok());
    }
    ASSERT_TRUE(outer.commit().ok());
  }
  EXPECT_EQ(rows(), 1);
}

// A read-only open never creates the file and refuses writes; schema_version reads
// user_version without migrating.
TEST_F(SqliteTest, ReadOnlyOpenNeverCreatesAndRefusesWrites) {
  auto missing = Db::open_read_only(path());
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().text().find(path()), std::string::npos) << missing.error().text();
  EXPECT_FALSE(std::filesystem::exists(path()));
  {
    auto db = Db::open(path());
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(db->migrate(std::span(kMigrations).first(1)).ok());
    EXPECT_EQ(db->schema_version().value(), 1);
  }
  auto ro = Db::open_read_only(path());
  ASSERT_TRUE(ro.ok()) << ro.error().message();
  EXPECT_EQ(ro->schema_version().value(), 1);
  EXPECT_FALSE(ro->exec("INSERT INTO t(name) VALUES('x')").ok());
  EXPECT_FALSE(ro->migrate(kMigrations).ok());
  EXPECT_EQ(ro->schema_version().value(), 1);
}

TEST_F(SqliteTest, ErrorsNameTheDatabaseAndStatement) {
  auto db = Db::open(path());
  auto bad = db->prepare("SELECT nope FROM nowhere");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code, core::Errc::storage_failure);
  EXPECT_NE(bad.error().detail.find("t.db"), std::string::npos);
  EXPECT_NE(bad.error().detail.find("nowhere"), std::string::npos);
  const std::array<std::string_view, 1> one = {"CREATE TABLE a(x)"};
  ASSERT_TRUE(db->migrate(kMigrations).ok());
  EXPECT_FALSE(db->migrate(one).ok());  // the file is newer than the program
  EXPECT_FALSE(Db::open("/nonexistent-dir/x.db").ok());
}

// The files hold secrets: 0600 in 0700 folders whatever the umask; an older, readable file is
// made private when opened.
TEST_F(SqliteTest, FilesAreTheOwnersOnlyWhateverTheUmask) {
  auto mode = [](const std::filesystem::path& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 ? static_cast<int>(st.st_mode & 07777) : -1;
  };
  for (mode_t umask : {mode_t{0}, mode_t{022}, mode_t{0277}}) {
    const mode_t saved = ::umask(umask);
    const auto sub = dir_ / ("u" + std::to_string(umask)) / "deeper";
    ASSERT_TRUE(make_private_directories(sub.string()).ok());
    EXPECT_EQ(mode(sub.parent_path()), 0700) << umask;
    EXPECT_EQ(mode(sub), 0700) << umask;
    {
      auto db = Db::open((sub / "x.db").string()).value();
      ASSERT_TRUE(db.exec("CREATE TABLE t(a)").ok());
      EXPECT_EQ(mode(sub / "x.db"), 0600) << umask;
      EXPECT_EQ(mode(sub / "x.db-wal"), 0600) << umask;
      EXPECT_EQ(mode(sub / "x.db-shm"), 0600) << umask;
    }
    ::umask(saved);
    ::chmod((sub / "x.db").c_str(), 0644);
    ASSERT_TRUE(Db::open((sub / "x.db").string()).ok());
    EXPECT_EQ(mode(sub / "x.db"), 0600);
  }
}

}  // namespace
}  // namespace ml::platform::sqlite
