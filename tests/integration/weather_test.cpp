// `meterlogger-server degree-days` through the command line, on the test's database (SQLite, or
// PostgreSQL in the PostgreSQL pass): a file with a bad line is refused naming the line and stores
// nothing; a good one is stored, listed back exactly, and a day imported again takes the new
// value; the import is audited.
#include <gtest/gtest.h>

#include <fstream>

#include "server_support.hpp"

namespace ml::test {
namespace {

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

TEST(ServerWeather, DegreeDaysAreImportedAllOrNothingAndListedBack) {
  TempDir dir;
  const auto config = write_server_config(dir, 1883);
  const std::string file = dir.file("graddage.csv");

  write_file(file, "dato;graddage\r\n2026-01-01;18,4\r\n2026-01-02;17\r\n2026-01-32;3\r\n");
  auto refused = server_cli(config, {"degree-days", "import", file});
  EXPECT_NE(refused.status, 0);
  EXPECT_NE(refused.err.find("line 4: '2026-01-32' is not a date"), std::string::npos)
      << refused.err;
  auto empty =
      server_cli(config, {"degree-days", "list", "--from", "2026-01-01", "--to", "2026-01-31"});
  ASSERT_EQ(empty.status, 0) << empty.err;
  EXPECT_NE(empty.out.find("no degree days from 2026-01-01 to 2026-01-31"), std::string::npos)
      << empty.out;

  write_file(file, "dato;graddage\r\n2026-01-01;18,4\r\n2026-01-02;17\r\n2026-01-03;0,125\r\n");
  auto stored = server_cli(config, {"degree-days", "import", file});
  ASSERT_EQ(stored.status, 0) << stored.err;
  EXPECT_EQ(stored.out, "3 days of degree days from 2026-01-01 to 2026-01-03 stored\n");
  write_file(file, "2026-01-02,16.5\n");
  ASSERT_EQ(server_cli(config, {"degree-days", "import", file}).status, 0);
  auto list =
      server_cli(config, {"degree-days", "list", "--from", "2026-01-01", "--to", "2026-01-31"});
  ASSERT_EQ(list.status, 0) << list.err;
  EXPECT_EQ(list.out, "day,degree_days\n2026-01-01,18.4\n2026-01-02,16.5\n2026-01-03,0.125\n");

  auto audit = server_cli(config, {"audit"});
  ASSERT_EQ(audit.status, 0) << audit.err;
  EXPECT_NE(audit.out.find("degree_days.import"), std::string::npos) << audit.out;
  EXPECT_NE(audit.out.find("3 days from 2026-01-01 to 2026-01-03"), std::string::npos) << audit.out;
}

}  // namespace
}  // namespace ml::test
