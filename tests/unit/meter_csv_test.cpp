// The meter list of `meters import` (server/usecases/meter_csv.hpp) and the import's plan and
// transaction (meter_import.hpp): RFC 4180 quoting and what spreadsheets write, every problem
// with its line and column, the bounds, and the rules of `meters add` applied to every row, on
// a real SQLite store.
#include "server/usecases/meter_csv.hpp"

#include <gtest/gtest.h>

#include <set>

#include "server/sqlite/store.hpp"
#include "server/usecases/meter_import.hpp"
#include "sim_support.hpp"

namespace ml::server::usecase {
namespace {

constexpr const char* kKey = "ef500c9268cf749016d26d6cbfaaf7bf";
constexpr std::int64_t kNow = 1'800'000'000;

// The problems of a list that must have some, each on its own.
std::vector<std::string> problems(std::string_view text, const MeterCsvLimits& limits = {}) {
  auto csv = parse_meter_csv(text, limits);
  EXPECT_FALSE(csv.problems.empty()) << text;
  EXPECT_EQ(csv.problems.count, csv.problems.shown.size());
  return csv.problems.shown;
}

// The one problem of a list.
std::string problem(std::string_view text, const MeterCsvLimits& limits = {}) {
  auto all = problems(text, limits);
  EXPECT_EQ(all.size(), 1u) << text;
  return all.empty() ? "" : all.front();
}

// The rows of a list that must have no problem.
std::vector<MeterCsvRow> rows(std::string_view text) {
  auto csv = parse_meter_csv(text);
  EXPECT_TRUE(csv.problems.empty()) << (csv.problems.shown.empty() ? "" : csv.problems.shown[0]);
  return csv.rows;
}

TEST(MeterCsv, ReadsEveryColumnWithQuotingAsRfc4180) {
  const auto r = rows(
      "serial,kind,key,name,group,setup_value,valve\n"
      "6892850,heat,ef500c9268cf749016d26d6cbfaaf7bf,\"Loppen 12, st.\",Loppen,1234.5,on\n"
      "40,water,,\"Hans \"\"the pump\"\" Hansen\",,,off\n"
      "7000001,electricity,,\"\",\"\",,\n");
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].line, 2u);
  EXPECT_EQ(r[0].request.serial, "6892850");
  EXPECT_EQ(r[0].request.spelling, Spelling::csv_column);
  const auto& f = r[0].request.fields;
  EXPECT_EQ(f.kind, "heat");
  EXPECT_EQ(f.key, kKey);
  EXPECT_FALSE(f.generate_key) << "the import decides whether a key is made";
  EXPECT_EQ(f.name, "Loppen 12, st.");
  EXPECT_EQ(f.group, "Loppen");
  EXPECT_EQ(f.setup_value, "1234.5");
  EXPECT_EQ(f.valve, std::optional<bool>(true));
  EXPECT_EQ(r[1].request.serial, "40") << "kept as written; build_meter makes it canonical";
  EXPECT_EQ(r[1].request.fields.name, "Hans \"the pump\" Hansen");
  EXPECT_EQ(r[1].request.fields.valve, std::optional<bool>(false));
  EXPECT_TRUE(r[1].request.fields.key.empty());
  EXPECT_EQ(r[2].line, 4u);
  EXPECT_FALSE(r[2].request.fields.valve) << "empty: not given";
}

TEST(MeterCsv, ColumnsInAnyOrderAndCaseOnlyTheRequiredOnes) {
  auto csv = parse_meter_csv("Kind, SERIAL \nwater,7000001\n");
  ASSERT_TRUE(csv.problems.empty()) << csv.problems.shown[0];
  EXPECT_EQ(csv.columns, (std::vector<std::string>{"kind", "serial"}));
  EXPECT_FALSE(csv.has_column("key"));
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].request.serial, "7000001");
  EXPECT_EQ(csv.rows[0].request.fields.kind, "water");
}

TEST(MeterCsv, ByteOrderMarkCrlfBlankLinesEmptyRowsAndSpaces) {
  const auto r = rows(
      "\xEF\xBB\xBF"
      "serial,kind,name\r\n"
      "\r\n"
      "  6892850 , heat ,  \" Loppen 12 \"  \r\n"
      "   \r\n"
      ",,\r\n"
      "7000001,water,Loppen 14");  // no line end after the last line
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0].line, 3u);
  EXPECT_EQ(r[0].request.serial, "6892850");
  EXPECT_EQ(r[0].request.fields.kind, "heat");
  EXPECT_EQ(r[0].request.fields.name, " Loppen 12 ") << "inside quotes nothing is trimmed";
  EXPECT_EQ(r[1].line, 6u);
  EXPECT_EQ(r[1].request.fields.name, "Loppen 14");
  // Blank lines before the header too.
  EXPECT_EQ(rows("\n\nserial,kind\n1,heat\n").at(0).line, 4u);
}

TEST(MeterCsv, ASemicolonHeaderMakesSemicolonsTheDelimiter) {
  const auto r = rows("serial;kind;name;setup_value\n6892850;heat;\"Loppen; 12, st.\";12.5\n");
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].request.fields.name, "Loppen; 12, st.");
  EXPECT_EQ(r[0].request.fields.setup_value, "12.5");
  // A comma in the header keeps commas; a semicolon inside a quoted column name does not count.
  EXPECT_EQ(rows("serial,kind,name\n1,heat,a;b\n").at(0).request.fields.name, "a;b");
}

TEST(MeterCsv, TheHeaderMustNameKnownColumnsOnceWithTheRequiredOnes) {
  EXPECT_EQ(problem(""),
            "the file is empty: its first line names the columns (serial, kind, key, name, group, "
            "setup_value, valve; serial and kind required), each line after it is a meter");
  EXPECT_EQ(problem("\xEF\xBB\xBF\r\n\r\n").rfind("the file is empty", 0), 0u);
  EXPECT_EQ(problem("serial,kind\n\n"),
            "the file has no meters: below the header, write one line per meter (serial,kind,...)");
  EXPECT_EQ(problem("serial,kind,adress\n1,heat,x\n"),
            "line 1, column 3: \"adress\" is no column; the first line names the columns: serial, "
            "kind, key, name, group, setup_value, valve (serial and kind required, any order)");
  EXPECT_EQ(problem("serial,,kind\n").rfind("line 1, column 2: no name; ", 0), 0u);
  EXPECT_EQ(problem("serial,kind,Serial\n"),
            "line 1, column 3: column serial is named twice; name each once");
  EXPECT_EQ(problem("serial,name\n1,x\n"),
            "line 1: no column kind; the first line names the columns, e.g. serial,kind,key,name");
  // A file without a header: its first meter is taken for one, and each value is named.
  auto none = problems("6892850,heat\n");
  ASSERT_EQ(none.size(), 4u);
  EXPECT_EQ(none[0].rfind("line 1, column 1: \"6892850\" is no column; ", 0), 0u);
  EXPECT_EQ(problem("serial,\"kind\n").rfind("line 1, column 2: a quoted value does not end", 0),
            0u);
}

TEST(MeterCsv, QuotingProblemsNameTheLineAndColumn) {
  EXPECT_EQ(problem("serial,kind,name\n1,heat,\"Loppen 12\n2,heat,x\n"),
            "line 2, column name: a quoted value does not end on its line: close it with \" (a "
            "value is one line; a line break inside quotes is not allowed)");
  EXPECT_EQ(problem("serial,kind,name\n1,heat,\"Loppen\" 12\n"),
            "line 2, column name: text after the closing quote; quote the whole value and double "
            "each quote inside it (\"Loppen \"\"12\"\"\")");
  EXPECT_EQ(problem("serial,kind,name\n1,heat,Loppen \"12\"\n"),
            "line 2, column name: a quote inside a value that does not begin with one; quote the "
            "whole value and double each quote inside it (\"Loppen \"\"12\"\"\")");
  EXPECT_EQ(problem("serial,kind,name\n1,heat,Loppen 12, st.\n"),
            "line 2: 4 values, the header has 3 columns (a comma inside a value? quote the value: "
            "\"Loppen 12, st.\")");
  EXPECT_EQ(problem("serial,kind,name\n1,heat\n").rfind("line 2: 2 values, the header has 3", 0),
            0u);
  // A value beyond the columns is named by its number.
  EXPECT_EQ(problem("serial,kind\n1,heat,\"x\n").rfind("line 2, column 3: a quoted value", 0), 0u);
}

TEST(MeterCsv, ValueProblemsNameTheLineAndColumn) {
  EXPECT_EQ(problem("serial,kind\n,heat\n"),
            "line 2, column serial: empty; every meter has its serial");
  EXPECT_EQ(problem("serial,kind\n70/1,heat\n"),
            "line 2, column serial: serial '70/1': character '/' at position 2 is not one of "
            "A-Z, a-z, 0-9, '_', '-'");
  EXPECT_EQ(problem("serial,kind\n1,\n"),
            "line 2, column kind: empty; write one of heat, water, electricity");
  EXPECT_EQ(problem("serial,kind,valve\n1,heat,yes\n"),
            "line 2, column valve: \"yes\"; write on or off (empty is off)");
  EXPECT_EQ(problem("serial,kind,name\n1,heat," + std::string(201, 'x') + "\n"),
            "line 2, column name: 201 bytes, at most 200");
  EXPECT_EQ(problem("serial,kind,group\n1,heat," + std::string(101, 'x') + "\n"),
            "line 2, column group: 101 bytes, at most 100");
  EXPECT_EQ(
      problem("serial,kind,name\n1,heat,Hj\xF8rring\n"),
      "line 2, column name: not UTF-8 (0xf8 at byte 3); save the file as UTF-8 (\"CSV UTF-8\" "
      "in a spreadsheet)");
  EXPECT_EQ(problem("serial,kind,name\n1,heat,a\tb\n"),
            "line 2, column name: a control character (0x09) at byte 2; a value is one line of "
            "printable text");
  EXPECT_EQ(problem("serial,kind,name\n1,heat,a\rb\n").rfind("line 2, column name: a control", 0),
            0u);
  // UTF-8 is read whole: æøå, a euro sign, an emoji; overlong forms and surrogates are not.
  EXPECT_EQ(rows("serial,kind,name\n1,heat,Hj\xC3\xB8rring \xE2\x82\xAC \xF0\x9F\x94\xA5\n")
                .at(0)
                .request.fields.name,
            "Hj\xC3\xB8rring \xE2\x82\xAC \xF0\x9F\x94\xA5");
  for (const char* bad : {"\xC0\xAF", "\xE0\x80\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xC3"}) {
    EXPECT_NE(problem(std::string("serial,kind,name\n1,heat,") + bad + "\n").find("not UTF-8"),
              std::string::npos)
        << bad;
  }
}

TEST(MeterCsv, EveryBadLineIsReportedAndTheRestRead) {
  auto csv = parse_meter_csv(
      "serial,kind,valve\n"
      "1,heat,on\n"
      ",heat,on\n"
      "3,heat,maybe\n"
      "4,water,off\n");
  ASSERT_EQ(csv.problems.count, 2u);
  EXPECT_EQ(csv.problems.shown[0].rfind("line 3, column serial", 0), 0u);
  EXPECT_EQ(csv.problems.shown[1].rfind("line 4, column valve", 0), 0u);
  ASSERT_EQ(csv.rows.size(), 2u) << "a row with a problem is left out";
  EXPECT_EQ(csv.rows[1].line, 5u);
  // Two problems in one row: both.
  EXPECT_EQ(problems("serial,kind,valve\n,heat,x\n").size(), 2u);
}

TEST(MeterCsv, ProblemsAreKeptInFullUpToTheLimitAndAllCounted) {
  std::string text = "serial,kind\n";
  for (int i = 0; i < 25; ++i)
    text += "x/" + std::to_string(i) + ",heat\n";
  auto csv = parse_meter_csv(text);
  EXPECT_EQ(csv.problems.count, 25u);
  ASSERT_EQ(csv.problems.shown.size(), 20u);
  EXPECT_EQ(csv.problems.shown.back().rfind("line 21, ", 0), 0u);
  MeterCsvLimits three;
  three.max_problems = 3;
  EXPECT_EQ(parse_meter_csv(text, three).problems.shown.size(), 3u);
}

TEST(MeterCsv, TheBoundsAreProblemsThatSaySplitTheFile) {
  MeterCsvLimits small;
  small.max_bytes = 64;
  small.max_line = 20;
  small.max_rows = 3;
  EXPECT_EQ(problem(std::string(65, 'x'), small),
            "the file is larger than 64 bytes, the most a meter list may have; split it into "
            "several files (each with the header)");
  EXPECT_EQ(problem(std::string(64, '\n'), small).rfind("the file is empty", 0), 0u);
  EXPECT_EQ(problem("serial,kind,name\n1,heat,0123456789abcde\n", small),
            "line 2: 22 bytes, more than the 20 a line may have");
  EXPECT_EQ(problem("serial,kind,name,group,key\n", small),
            "line 1: 26 bytes, more than the 20 a line may have");
  EXPECT_EQ(problem("serial,kind\n1,heat\n2,heat\n3,heat\n4,heat\n5,heat\n", small),
            "line 5: more than 3 meters in one file; split it into files of at most 3 (each with "
            "the header)");
  EXPECT_EQ(rows("serial,kind\n1,heat\n\n2,heat\n,\n3,heat\n").size(), 3u);
  // Bad lines count as meters: a file of a million bad lines stops at the limit.
  std::string bad = "serial,kind\n";
  for (int i = 0; i < 10; ++i)
    bad += "\"\n";
  auto csv = parse_meter_csv(bad, small);
  EXPECT_EQ(csv.problems.count, 4u);
  EXPECT_EQ(csv.problems.shown.back().rfind("line 5: more than 3 meters", 0), 0u);
  // The defaults: 64 MiB, 4096 bytes a line, 200 000 meters.
  const MeterCsvLimits defaults;
  EXPECT_EQ(defaults.max_bytes, std::size_t{64} << 20);
  EXPECT_EQ(defaults.max_line, 4096u);
  EXPECT_EQ(defaults.max_rows, 200'000u);
  EXPECT_EQ(defaults.max_problems, 20u);
  EXPECT_EQ(problem(std::string(defaults.max_bytes + 1, '\n')),
            "the file is larger than 64 MiB, the most a meter list may have; split it into "
            "several files (each with the header)");
}

// ---- the plan and the import, on a real store ----

class MeterImport : public ::testing::Test {
 protected:
  void SetUp() override { store_ = SqliteStore::open(dir_.file("server.db")).value(); }

  MeterImportPlan plan(std::string_view text, bool generate = false) {
    auto p = plan_meter_import(*store_, parse_meter_csv(text), {generate, kNow});
    EXPECT_TRUE(p.ok());
    return std::move(p).value();
  }
  // The one problem of a plan.
  std::string plan_problem(std::string_view text, bool generate = false) {
    auto p = plan(text, generate);
    EXPECT_EQ(p.problems.count, 1u) << text;
    EXPECT_TRUE(p.meters.empty()) << "nothing of a file with problems";
    return p.problems.shown.empty() ? "" : p.problems.shown.front();
  }
  void add(const std::string& serial) {
    MeterFields f;
    f.key = kKey;
    ASSERT_TRUE(add_meter(*store_, build_meter({serial, f, Spelling::option}, kNow).value()).ok());
  }

  test::TempDir dir_;
  std::unique_ptr<SqliteStore> store_;
};

TEST_F(MeterImport, EveryRowGoesThroughTheRulesOfMetersAdd) {
  const std::string head = "serial,kind,key,setup_value\n";
  EXPECT_EQ(plan_problem(head + "1,heat,ef500c9268cf749016d26d6cbfaaf7b,\n"),
            "line 2, column key: a key is 32 hex digits (16 bytes), got 31 characters");
  EXPECT_EQ(plan_problem(head + "1,heat,ef500c9268cf749016d26d6cbfaaf7bx,\n")
                .rfind("line 2, column key: ", 0),
            0u);
  EXPECT_EQ(plan_problem(head + "1,gas," + kKey + ",\n"),
            "line 2, column kind must be one of heat, water, electricity, not \"gas\"");
  EXPECT_EQ(plan_problem(head + "1,heat," + kKey + ",1,5\n"),
            "line 2: 5 values, the header has 4 columns (a comma inside a value? quote the value: "
            "\"Loppen 12, st.\")");
  EXPECT_EQ(plan_problem(head + "1,heat," + kKey + ",-3\n"),
            "line 2, column setup_value must be a non-negative decimal (kWh), not \"-3\"");
}

TEST_F(MeterImport, AKeyIsGivenOrMadeOnlyWhenAsked) {
  EXPECT_EQ(plan_problem("serial,kind,key\n1,heat,\n"),
            "line 2, column key: empty; give the meter's key (32 hex digits), or have keys made "
            "(meters import --generate-keys FILE)");
  EXPECT_EQ(plan_problem("serial,kind\n1,heat\n2,heat\n"),
            "line 1: no column key; give each meter's key (32 hex digits) in a column key, or have "
            "keys made (meters import --generate-keys FILE)");
  auto p = plan("serial,kind,key\n1,heat,\n2,water," + std::string(kKey) + "\n3,heat,\n", true);
  ASSERT_TRUE(p.problems.empty()) << p.problems.shown[0];
  ASSERT_EQ(p.meters.size(), 3u);
  EXPECT_EQ(p.meters[0].generated_key.size(), 32u);
  EXPECT_EQ(p.meters[0].meter.key_hex, p.meters[0].generated_key);
  EXPECT_TRUE(p.meters[1].generated_key.empty()) << "a given key is kept and not shown";
  EXPECT_EQ(p.meters[1].meter.key_hex, kKey);
  EXPECT_NE(p.meters[0].generated_key, p.meters[2].generated_key);
  // Without a key column at all, every meter gets one.
  auto all = plan("serial,kind\n1,heat\n2,heat\n", true);
  ASSERT_EQ(all.meters.size(), 2u);
  EXPECT_FALSE(all.meters[1].generated_key.empty());
}

TEST_F(MeterImport, ASerialTwiceOrRegisteredAlreadyIsAProblemComparedAsANumber) {
  add("6892850");
  const std::string key = kKey;
  auto p = plan("serial,kind,key\n40," + std::string("heat,") + key + "\n6892850,heat," + key +
                "\n0000040,water," + key + "\n41,heat," + key + "\n");
  ASSERT_EQ(p.problems.count, 2u);
  EXPECT_EQ(p.problems.shown[0],
            "line 3, column serial: meter 6892850 exists already; leave it out (change it with "
            "meters set)");
  EXPECT_EQ(p.problems.shown[1],
            "line 4, column serial: 0000040 is on line 2 too (serials compare as numbers)");
  EXPECT_TRUE(p.meters.empty());
  EXPECT_EQ(store_->meters().value().size(), 1u) << "planning stores nothing";
}

TEST_F(MeterImport, TheProblemsOfTheFileAndTheRowsAreOneList) {
  auto p = plan("serial,kind,key,valve\n1,heat,abc,\n2,heat," + std::string(kKey) + ",x\n");
  ASSERT_EQ(p.problems.count, 2u);
  EXPECT_EQ(p.problems.shown[0].rfind("line 3, column valve", 0), 0u) << "the reader's first";
  EXPECT_EQ(p.problems.shown[1].rfind("line 2, column key", 0), 0u);
}

TEST_F(MeterImport, AllMetersAndOneAuditEntryInOneTransaction) {
  std::string text = "serial,kind,key,name,group,setup_value,valve\n";
  for (int i = 0; i < 1000; ++i) {
    text += std::to_string(7'000'000 + i) + (i % 5 == 4 ? ",water," : ",heat,") + kKey + ",\"Vej " +
            std::to_string(i) + ", st.\",Loppen,12.5," + (i % 2 ? "on" : "off") + "\n";
  }
  auto p = plan(text);
  ASSERT_TRUE(p.problems.empty()) << p.problems.shown[0];
  ASSERT_EQ(p.meters.size(), 1000u);
  EXPECT_EQ(kind_counts(p.meters), "heat 800, water 200");
  ASSERT_TRUE(import_meters(*store_, p.meters, {"anna", "cli"}, "meters.csv", kNow).ok());
  const auto stored = store_->meters().value();
  ASSERT_EQ(stored.size(), 1000u);
  const auto m = store_->meter("7000003").value().value();
  EXPECT_EQ(m.name, "Vej 3, st.");
  EXPECT_EQ(m.group, "Loppen");
  EXPECT_EQ(m.setup_value.to_string(), "12.5");
  EXPECT_TRUE(m.valve_installed);
  EXPECT_EQ(m.created, kNow);
  const auto audit = store_->admin_audit("", 10).value();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].action, "meter.import");
  EXPECT_EQ(audit[0].actor, "anna");
  EXPECT_EQ(audit[0].remote, "cli");
  EXPECT_EQ(audit[0].serial, "");
  EXPECT_EQ(audit[0].detail, "1000 meters (heat 800, water 200) from meters.csv");
  EXPECT_EQ(audit[0].detail.find(kKey), std::string::npos);
}

TEST_F(MeterImport, AMeterAddedMeanwhileStopsTheWholeImport) {
  auto p = plan("serial,kind\n1,heat\n2,heat\n3,heat\n", true);
  ASSERT_EQ(p.meters.size(), 3u);
  add("3");  // after the plan, before the import
  auto done = import_meters(*store_, p.meters, {"anna", "cli"}, "meters.csv", kNow);
  ASSERT_FALSE(done.ok());
  EXPECT_EQ(done.error().code, core::Errc::invalid_argument);
  EXPECT_EQ(done.error().detail, "meter 0000003 exists already");
  EXPECT_EQ(store_->meters().value().size(), 1u) << "none of the import";
  EXPECT_TRUE(store_->admin_audit("", 10).value().empty());
}

TEST(MeterImportCounts, KindsInTheTablesOrderWithoutZeros) {
  EXPECT_EQ(kind_counts({}), "none");
  std::vector<NewMeter> m(3);
  m[0].meter.kind = core::meter::Kind::electricity;
  m[1].meter.kind = core::meter::Kind::heat;
  m[2].meter.kind = core::meter::Kind::electricity;
  EXPECT_EQ(kind_counts(m), "heat 1, electricity 2");
}

}  // namespace
}  // namespace ml::server::usecase
