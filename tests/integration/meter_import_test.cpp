// `meterlogger-server meters import` through the command line, on the test's database (SQLite,
// or PostgreSQL in the PostgreSQL pass): a thousand meters from a file, all or nothing; a file
// with problems names each by line and column and changes nothing; generated keys go to a new
// file only the owner may read, never to the terminal; standard input works as a file.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>
#include <map>
#include <sstream>

#include "agent_support.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

// A meter list of `n` meters from serial 7000000 on: every fifth one water, the rest heat; the
// first `without_key` of them with an empty key, the others with the test key.
std::string meter_list(int n, int without_key) {
  std::string text = "serial,kind,key,name,group,setup_value,valve\r\n";
  for (int i = 0; i < n; ++i) {
    text += std::to_string(7'000'000 + i) + (i % 5 == 4 ? ",water," : ",heat,") +
            (i < without_key ? "" : kTestKey) + ",\"Vej " + std::to_string(i) +
            ", st. \"\"B\"\"\",Loppen,12.5," + (i % 2 ? "on" : "off") + "\r\n";
  }
  return text;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::vector<nlohmann::json> list_meters(const std::string& config) {
  return server_json_lines(config, {"meters", "list", "--json"});
}

int mode_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return -1;
  return static_cast<int>(st.st_mode & 07777);
}

TEST(ServerMeters, ImportRegistersAThousandMetersOrNothing) {
  TempDir dir;
  const auto config = write_server_config(dir, 1883);
  const std::string file = dir.file("meters.csv");
  const std::string keys = dir.file("keys.csv");

  // Three bad rows among a thousand: each named, nothing stored, no keys file.
  std::string bad = meter_list(1000, 0);
  const std::string key_line16 = std::string("7000015,heat,") + kTestKey;
  bad.replace(bad.find(key_line16), key_line16.size(), key_line16.substr(0, key_line16.size() - 1));
  const std::string line300 = "7000298,heat,";
  bad.replace(bad.find(line300), line300.size(), "7000298,gas,");
  bad += "07000001,heat," + std::string(kTestKey) + ",,,,\r\n";
  write_file(file, bad);
  auto refused = server_cli(config, {"meters", "import", file, "--generate-keys", keys});
  EXPECT_EQ(refused.status, 1);
  EXPECT_NE(refused.err.find(file + ": line 17, column key: a key is 32 hex digits (16 bytes), got "
                                    "31 characters\n"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find(file + ": line 300, column kind must be one of heat, water, "
                                    "electricity, not \"gas\"\n"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find(file + ": line 1002, column serial: 7000001 is on line 3 too"),
            std::string::npos)
      << refused.err;
  EXPECT_NE(refused.err.find("no meter imported: 3 problems in " + file +
                             "; correct the file and run the import again (nothing was changed)"),
            std::string::npos)
      << refused.err;
  EXPECT_TRUE(list_meters(config).empty());
  EXPECT_EQ(mode_of(keys), -1) << "no keys file for an import that did not happen";

  // A dry run checks all of it and stores nothing.
  write_file(file, meter_list(1000, 100));
  auto dry = server_cli(config, {"meters", "import", file, "--generate-keys", keys, "--dry-run"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_EQ(dry.out,
            "checked 1000 meters (heat 800, water 200): all can be imported; nothing was changed "
            "(--dry-run)\n100 would get a new key (" +
                keys + " is not written)\n");
  EXPECT_TRUE(list_meters(config).empty());
  EXPECT_EQ(mode_of(keys), -1);

  // The import, under a umask that would let everyone read the keys file.
  const mode_t saved = ::umask(0);
  auto done = server_cli(config, {"meters", "import", file, "--generate-keys", keys});
  ::umask(saved);
  ASSERT_EQ(done.status, 0) << done.err;
  EXPECT_EQ(done.out.rfind("imported 1000 meters (heat 800, water 200)\nthe 100 new keys are in " +
                               keys + " (serial,key; only you may read it)",
                           0),
            0u)
      << done.out;
  EXPECT_EQ(mode_of(keys), 0600);
  const auto meters = list_meters(config);
  ASSERT_EQ(meters.size(), 1000u);
  EXPECT_EQ(meters[3]["serial"], "7000003");
  EXPECT_EQ(meters[3]["name"], "Vej 3, st. \"B\"");
  EXPECT_EQ(meters[3]["group"], "Loppen");
  EXPECT_EQ(meters[3]["setup_value"], "12.5");
  EXPECT_EQ(meters[3]["valve_installed"], true);
  EXPECT_EQ(meters[4]["kind"], "water");
  // The keys file has each made key, which the meter has and nothing printed.
  std::map<std::string, std::string> stored;  // serial -> key, of the meters with a made key
  for (const auto& row :
       rows(dir, "SELECT serial, key FROM meters WHERE key <> '" + std::string(kTestKey) + "'"))
    stored[row.at(0)] = row.at(1);
  EXPECT_EQ(stored.size(), 100u);
  std::istringstream made(read_text_file(keys));
  std::string line;
  ASSERT_TRUE(std::getline(made, line));
  EXPECT_EQ(line, "serial,key");
  int n = 0;
  for (; std::getline(made, line); ++n) {
    ASSERT_EQ(line.size(), 7u + 1 + 32) << line;
    const std::string serial = line.substr(0, 7);
    const std::string key = line.substr(8);
    EXPECT_EQ(serial, std::to_string(7'000'000 + n));
    EXPECT_EQ(stored[serial], key);
    EXPECT_EQ(done.out.find(key), std::string::npos);
    EXPECT_EQ(done.err.find(key), std::string::npos);
  }
  EXPECT_EQ(n, 100);
  EXPECT_EQ(count(dir, "SELECT count(*) FROM meters WHERE key='" + std::string(kTestKey) + "'"),
            900);
  auto audit = server_cli(config, {"audit"});
  EXPECT_NE(audit.out.find("meter.import: 1000 meters (heat 800, water 200) from " + file),
            std::string::npos)
      << audit.out;

  // Again: every meter exists already; 20 problems shown, all counted, nothing changed.
  auto again = server_cli(config, {"meters", "import", file, "--generate-keys", dir.file("k2")});
  EXPECT_EQ(again.status, 1);
  EXPECT_NE(again.err.find(file + ": line 2, column serial: meter 7000000 exists already; leave it "
                                  "out (change it with meters set)\n"),
            std::string::npos)
      << again.err;
  EXPECT_NE(again.err.find(file + ": ... and 980 more\n"), std::string::npos) << again.err;
  EXPECT_NE(again.err.find("no meter imported: 1000 problems"), std::string::npos);
  EXPECT_EQ(mode_of(dir.file("k2")), -1);
  // A keys file is never overwritten.
  auto exists = server_cli(config, {"meters", "import", file, "--generate-keys", keys});
  EXPECT_EQ(exists.status, 1);
  EXPECT_NE(exists.err.find(keys + " exists: the new keys go to a new file"), std::string::npos)
      << exists.err;
  EXPECT_EQ(list_meters(config).size(), 1000u);
}

TEST(ServerMeters, ImportReadsStandardInputAndNeverPrintsAKey) {
  TempDir dir;
  const auto config = write_server_config(dir, 1883);
  write_file(dir.file("m.csv"), "serial;kind;name\n6892850;heat;\"Loppen; 12\"\n40;water;x\n");
  auto r = run({"/bin/sh", "-c",
                server_bin() + " meters import - --config " + config + " < " + dir.file("m.csv")});
  EXPECT_EQ(r.status, 1);
  EXPECT_NE(r.err.find("standard input: line 1: no column key; give each meter's key"),
            std::string::npos)
      << r.err;
  auto printed = server_cli(config, {"meters", "import", "-", "--generate-keys", "-"});
  EXPECT_EQ(printed.status, 1);
  EXPECT_NE(printed.err.find("--generate-keys needs a file: keys are never printed"),
            std::string::npos)
      << printed.err;
  r = run({"/bin/sh", "-c",
           server_bin() + " meters import - --generate-keys " + dir.file("keys") + " --config " +
               config + " < " + dir.file("m.csv")});
  ASSERT_EQ(r.status, 0) << r.err;
  EXPECT_EQ(r.out.rfind("imported 2 meters (heat 1, water 1)\n", 0), 0u) << r.out;
  const auto meters = list_meters(config);
  ASSERT_EQ(meters.size(), 2u);
  EXPECT_EQ(meters[0]["serial"], "0000040");
  EXPECT_EQ(meters[1]["name"], "Loppen; 12");
  EXPECT_EQ(mode_of(dir.file("keys")), 0600);
  auto help = server_cli(config, {"meters", "import", "--help"});
  EXPECT_NE(help.out.find("meterlogger-server meters import meters.csv --dry-run"),
            std::string::npos)
      << help.out;
}

}  // namespace
}  // namespace ml::test
