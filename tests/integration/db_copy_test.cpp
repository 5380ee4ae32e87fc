// `meterlogger-server db copy --to DEST` end to end: a SQLite installation moved to PostgreSQL
// with the copy killed (SIGKILL) halfway and run again, read the same there through the command
// line, moved back to a new SQLite file; another installation's database refused; the password
// of a URL never shown. PostgresOnly: it runs in the PostgreSQL pass (tests/integration/
// CMakeLists.txt) on its cluster, or on a cluster of its own when run by hand. And `db pack`:
// old days packed, the export the same.
#include <gtest/gtest.h>

#include <csignal>
#include <fstream>
#include <memory>

#include "postgresql/test_cluster.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

constexpr std::int64_t kFirst = 1700000000;

std::string write_config(const TempDir& dir, const std::string& name, const std::string& database) {
  const std::string path = dir.file(name);
  std::ofstream(path) << "[database]\n" << database << "\n[mqtt]\nhost = \"127.0.0.1\"\n";
  return path;
}

// Two meters, `samples` samples every 5 minutes, a payment.
void seed(const std::string& path, int samples) {
  auto s = server::SqliteStore::open(path).value();
  for (const char* serial : {"6892850", "0000040"}) {
    server::Meter m;
    m.serial = serial;
    m.key_hex = "ef500c9268cf749016d26d6cbfaaf7bf";
    m.name = std::string("meter ") + serial;
    m.created = kFirst;
    ASSERT_TRUE(s->add_meter(m).ok());
  }
  std::vector<server::IngestItem> items;
  for (int i = 0; i < samples; ++i) {
    server::IngestItem item;
    item.serial = i % 2 == 0 ? "6892850" : "0000040";
    item.time = kFirst + 300LL * i;
    item.function = "sample";
    item.text = "t1=" + std::to_string(40 + i % 30) + " C&e1=" + std::to_string(1000 + i) + " kWh&";
    item.sample = core::sample::parse_sample(item.text).value();
    items.push_back(std::move(item));
    if (items.size() == 5000 || i + 1 == samples) {
      ASSERT_TRUE(server::store_items(*s, items, items.back().time + 10).ok());
      items.clear();
    }
  }
  server::Payment p;
  p.serial = "6892850";
  p.time = kFirst;
  p.amount = core::Decimal::parse("500").value();
  p.price = core::Decimal::parse("0.85").value();
  p.note = "first";
  ASSERT_TRUE(s->insert_payment(p).ok());
}

// `db pack` through the command line: every old day of both meters packed, what `export` prints
// unchanged, a second run with nothing left to pack, and packing turned off refused.
TEST(DbPack, PacksEveryOldDayAndTheExportPrintsTheSame) {
  TempDir dir;
  const std::string sqlite = dir.file("server.db");
  seed(sqlite, 2000);  // 2023-11-14 to 2023-11-21, every 5 minutes
  const std::string config = write_config(dir, "pack.toml", "path = \"" + sqlite + "\"");
  auto help = server_cli(config, {"db", "pack", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Examples:"), std::string::npos) << help.out;

  auto before = server_cli(config, {"export", "6892850"});
  ASSERT_EQ(before.status, 0) << before.err;
  EXPECT_GT(before.out.size(), 1000u);
  auto packed = server_cli(config, {"db", "pack"});
  ASSERT_EQ(packed.status, 0) << packed.err;
  // 2000 samples over 7 days and 23 hours: 8 UTC days of each of the two meters.
  EXPECT_NE(packed.out.find("packed 2000 samples into 16 days of 2 meters ("), std::string::npos)
      << packed.out;
  auto after = server_cli(config, {"export", "6892850"});
  ASSERT_EQ(after.status, 0) << after.err;
  EXPECT_EQ(after.out, before.out);
  {
    auto s = server::SqliteStore::open_read_only(sqlite).value();
    EXPECT_TRUE(s->unpacked_samples("6892850", {0, INT64_MAX}, true).value().empty());
  }
  auto again = server_cli(config, {"db", "pack", "--after-days", "2"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("packed 0 samples into 0 days of 0 meters"), std::string::npos)
      << again.out;

  const std::string off =
      write_config(dir, "off.toml", "path = \"" + sqlite + "\"\npack_after_days = 0");
  auto refused = server_cli(off, {"db", "pack"});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("packing is off"), std::string::npos) << refused.err;
  EXPECT_NE(server_cli(config, {"db", "pack", "--after-days", "1"}).status, 0)
      << "a day is packed 2 or more days after it ended";
}

TEST(PostgresOnly, DbCopyMovesAnInstallationToPostgresqlAndBackGoingOnAfterKill9) {
  TempDir dir;
  const std::string sqlite = dir.file("server.db");
  seed(sqlite, 40000);
  const std::string config = write_config(dir, "sqlite.toml", "path = \"" + sqlite + "\"");
  // The PostgreSQL pass's cluster, or one of the test's own when run by hand. It trusts its
  // user: the password is not needed, only never to be shown.
  std::unique_ptr<OwnCluster> own;
  if (!on_postgresql()) own = std::make_unique<OwnCluster>(dir.file("pg-cluster"));
  const std::string url =
      (own ? own->url() : test_schema_url(dir.file("pg"))) + "&password=hunter2secret";

  auto help = server_cli(config, {"db", "copy", "--help"});
  EXPECT_EQ(help.status, 0);
  EXPECT_NE(help.out.find("Stop `run` and `serve` first"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("Examples:"), std::string::npos);

  {
    Process copy(
        {server_bin(), "db", "copy", "--to", url, "--chunk-rows", "50", "--config", config},
        dir.file("copy-1.out"), dir.file("copy-1.err"));
    ASSERT_TRUE(wait_until(
        [&] {
          return read_text_file(dir.file("copy-1.err")).find("samples: ") != std::string::npos;
        },
        scaled(std::chrono::seconds(60)), std::chrono::milliseconds(2)))
        << read_text_file(dir.file("copy-1.err"));
    EXPECT_EQ(copy.stop(SIGKILL), 128 + SIGKILL) << "killed halfway through samples";
  }
  auto c = platform::postgresql::Connection::open(url).value();
  const std::int64_t halfway = c.query("SELECT count(*) FROM samples").value().int64(0, 0);
  EXPECT_GT(halfway, 0);
  EXPECT_LT(halfway, 40000);

  auto resumed = server_cli(config, {"db", "copy", "--to", url});
  ASSERT_EQ(resumed.status, 0) << resumed.out << resumed.err;
  EXPECT_NE(resumed.out.find("samples"), std::string::npos) << resumed.out;
  EXPECT_EQ(resumed.out.find("MISMATCH"), std::string::npos) << resumed.out;
  EXPECT_NE(resumed.out.find(std::to_string(40000 - halfway) + " rows copied"), std::string::npos)
      << "the second run copied what the first had not: " << resumed.out;
  for (const auto* text : {&resumed.out, &resumed.err, &help.out}) {
    EXPECT_EQ(text->find("hunter2secret"), std::string::npos) << *text;
  }
  EXPECT_NE(resumed.err.find("password=***"), std::string::npos) << resumed.err;
  EXPECT_EQ(c.query("SELECT count(*) FROM samples").value().int64(0, 0), 40000);

  // The PostgreSQL installation reads the same through the command line.
  const std::string pg_config = write_config(dir, "pg.toml", "url = \"" + url + "\"");
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"export", "6892850", "--format", "json"},
        std::vector<std::string>{"export", "0000040"}, std::vector<std::string>{"meters", "list"},
        std::vector<std::string>{"payments", "list", "6892850"}}) {
    auto a = server_cli(config, args);
    auto b = server_cli(pg_config, args);
    ASSERT_EQ(a.status, 0) << a.err;
    EXPECT_EQ(b.status, 0) << b.err;
    EXPECT_TRUE(a.out == b.out) << args[0] << " " << args[1];
  }

  // And back to a new SQLite file.
  const std::string back = dir.file("back/server.db");
  auto returned = server_cli(pg_config, {"db", "copy", "--to", back});
  ASSERT_EQ(returned.status, 0) << returned.out << returned.err;
  EXPECT_NE(returned.out.find("rows copied"), std::string::npos) << returned.out;
  EXPECT_EQ(returned.out.find("MISMATCH"), std::string::npos) << returned.out;
  const std::string back_config = write_config(dir, "back.toml", "path = \"" + back + "\"");
  EXPECT_TRUE(server_cli(back_config, {"export", "6892850"}).out ==
              server_cli(config, {"export", "6892850"}).out);

  // Another installation's database is refused, naming what is in the way, and left alone.
  const std::string other = dir.file("other.db");
  const std::string other_config = write_config(dir, "other.toml", "path = \"" + other + "\"");
  ASSERT_EQ(
      server_cli(other_config, {"meters", "add", "1234567", "--kind", "heat", "--generate-key"})
          .status,
      0);
  auto refused = server_cli(config, {"db", "copy", "--to", other});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("holds other data"), std::string::npos) << refused.err;
  EXPECT_NE(refused.err.find("meters"), std::string::npos) << refused.err;
  const auto others = server_cli(other_config, {"meters", "list"}).out;
  EXPECT_NE(others.find("1234567"), std::string::npos) << others;
  EXPECT_EQ(others.find("6892850"), std::string::npos) << others;
}

}  // namespace
}  // namespace ml::test
