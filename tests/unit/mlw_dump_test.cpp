// The bounded mysqldump reader of the MeterLoggerWeb import (server/mlw_dump.hpp): what
// mysqldump writes is read, anything else is refused with the line and the reason.
#include "server/mlw_dump.hpp"

#include <gtest/gtest.h>

#include <sstream>

namespace ml::server::mlw {
namespace {

constexpr std::string_view kDump =
    "-- MariaDB dump 10.19\n"
    "/*!40101 SET NAMES utf8mb4 */;\n"
    "\n"
    "DROP TABLE IF EXISTS `meters`;\n"
    "/*!40101 SET @saved_cs_client     = @@character_set_client */;\n"
    "CREATE TABLE `meters` (\n"
    "  `id` int(11) unsigned NOT NULL AUTO_INCREMENT,\n"
    "  `serial` varchar(16) DEFAULT NULL,\n"
    "  `info` varchar(256) NOT NULL DEFAULT '',\n"
    "  `setup_value` float NOT NULL DEFAULT 0,\n"
    "  PRIMARY KEY (`id`),\n"
    "  KEY `serial_idx` (`serial`)\n"
    ") ENGINE=InnoDB AUTO_INCREMENT=421 DEFAULT CHARSET=utf8mb4;\n"
    "LOCK TABLES `meters` WRITE;\n"
    "/*!40000 ALTER TABLE `meters` DISABLE KEYS */;\n"
    "INSERT INTO `meters` VALUES (1,'9999001','Loppen 12\\'s \\\"hus\\\"\\nline 2',1234.5),"
    "(2,NULL,'it''s',1.5e-05);\n"
    "UNLOCK TABLES;\n"
    "DELIMITER ;;\n"
    "/*!50003 CREATE*/ /*!50003 TRIGGER `x` AFTER INSERT ON `accounts` FOR EACH ROW BEGIN\n"
    "  INSERT INTO command_queue VALUES (1);\n"
    "END */;;\n"
    "DELIMITER ;\n"
    "INSERT INTO `accounts` (`id`,`info`) VALUES (7,0x41420a);\n";

TEST(MlwDump, ReadsWhatMysqldumpWrites) {
  auto rows = read_all(kDump);
  ASSERT_TRUE(rows) << rows.error().text();
  ASSERT_EQ(rows->size(), 3u);
  const auto& a = (*rows)[0];
  EXPECT_EQ(a.table, "meters");
  EXPECT_EQ(a.line, 16u);
  ASSERT_EQ(a.columns->size(), 4u);
  EXPECT_EQ(a.get("serial")->text, "9999001");
  EXPECT_EQ(a.get("serial")->kind, DumpValue::Kind::string);
  EXPECT_EQ(a.get("info")->text, "Loppen 12's \"hus\"\nline 2");
  EXPECT_EQ(a.get("setup_value")->kind, DumpValue::Kind::number);
  EXPECT_EQ(a.get("setup_value")->text, "1234.5");
  EXPECT_EQ(a.get("nothing"), nullptr);
  const auto& b = (*rows)[1];
  EXPECT_TRUE(b.get("serial")->is_null());
  EXPECT_EQ(b.get("info")->text, "it's");
  EXPECT_EQ(b.get("setup_value")->text, "1.5e-05");
  const auto& c = (*rows)[2];
  EXPECT_EQ(c.table, "accounts");  // the INSERT's own column list
  EXPECT_EQ(c.get("info")->text, "AB\n");
  EXPECT_EQ(c.line, 23u);
}

// MariaDB 10.11's mysqldump: a row per line.
TEST(MlwDump, ReadsAnInsertWithARowPerLine) {
  constexpr std::string_view kRows =
      "CREATE TABLE `f` (\n  `a` float,\n  `b` varchar(9)\n) ENGINE=InnoDB;\n"
      "INSERT INTO `f` VALUES\n(0.85,'x;'),\n(56726.5,NULL),\n(1,'a\\nb');\n"
      "INSERT INTO `f` VALUES (2,'');\n";
  auto rows = read_all(kRows);
  ASSERT_TRUE(rows) << rows.error().text();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_EQ((*rows)[0].get("b")->text, "x;");
  EXPECT_EQ((*rows)[0].line, 6u);
  EXPECT_EQ((*rows)[1].line, 7u);
  EXPECT_EQ((*rows)[2].get("b")->text, "a\nb");
  EXPECT_EQ((*rows)[3].line, 9u);
  auto bad = read_all("CREATE TABLE `f` (\n  `a` float\n);\nINSERT INTO `f` VALUES\n(1),\n(x);\n");
  ASSERT_FALSE(bad);
  EXPECT_TRUE(bad.error().detail.starts_with("line 6: INSERT INTO `f`, row 2"))
      << bad.error().detail;
  auto cut = read_all("CREATE TABLE `f` (\n  `a` float\n);\nINSERT INTO `f` VALUES\n(1),\n");
  ASSERT_FALSE(cut);
  EXPECT_NE(cut.error().detail.find("ends inside an INSERT"), std::string::npos);
}

void expect_error(std::string_view text, std::string_view what, DumpLimits limits = {}) {
  auto rows = read_all(text, limits);
  ASSERT_FALSE(rows) << text;
  EXPECT_NE(rows.error().detail.find(what), std::string::npos) << rows.error().detail;
  EXPECT_TRUE(rows.error().detail.starts_with("line ")) << rows.error().detail;
}

TEST(MlwDump, RejectsBadInputNamingLineAndReason) {
  expect_error("INSERT INTO `t` VALUES (1);\n", "line 1: INSERT INTO `t` before its CREATE TABLE");
  expect_error("CREATE TABLE `t` (\n  `a` int\n) ENGINE=InnoDB;\nINSERT INTO `t` VALUES (1,2);\n",
               "line 4: INSERT INTO `t`, row 1: more values than the 1 columns");
  expect_error("CREATE TABLE `t` (\n  `a` int,\n  `b` int\n);\nINSERT INTO `t` VALUES (1);\n",
               "row 1: 1 values for 2 columns");
  expect_error("INSERT INTO `t` (`a`) VALUES ('abc);\n", "value 1: unterminated string");
  expect_error("INSERT INTO `t` (`a`) VALUES (abc);\n", "value 1: expected a value");
  expect_error("INSERT INTO `t` (`a`) VALUES (1)\n", "the input ends inside an INSERT");
  expect_error("INSERT INTO `t` (`a`) VALUES (1) (2);\n", "expected , or ; after the row");
  expect_error("INSERT INTO `t` (`a`) VALUES (1); DROP TABLE x;\n", "text after the closing ;");
  expect_error("INSERT INTO `t` (`a`) VALUES (0x123);\n", "bad 0x hex value");
  expect_error("\n\nSELECT * FROM meters;\n",
               "line 3: unexpected statement \"SELECT * FROM meters;\"");
  expect_error("CREATE TABLE `t` (\n  `a` int,\n", "ends inside CREATE TABLE `t`");
  expect_error("DELIMITER ;;\nCREATE TRIGGER x ;;\n", "ends inside a DELIMITER block");
  expect_error("LOCK TABLES `t` WRITE\n", "ends inside a statement");
}

TEST(MlwDump, EnforcesItsLimits) {
  DumpLimits small;
  small.max_line = 60;
  small.max_value = 5;
  small.max_columns = 2;
  small.max_statement = 30;
  expect_error("-- a comment that is far longer than sixty bytes, surely, with more\n",
               "line 1: line longer than 60 bytes", small);
  expect_error("INSERT INTO `t` (`a`) VALUES ('123456');\n", "longer than 5 bytes", small);
  expect_error("INSERT INTO `t` (`a`,`b`,`c`) VALUES (1,2,3);\n", "more than 2 columns", small);
  DumpLimits two_columns;
  two_columns.max_columns = 2;
  expect_error("CREATE TABLE `t` (\n  `a` int,\n  `b` int,\n  `c` int\n",
               "line 4: CREATE TABLE `t`: more than 2 columns", two_columns);
  expect_error("LOCK TABLES\n`a`,\n`b`,\n`c`,\n`d`,\n`e`,\n`f`,\n`g`,\n`h`,\n`i`,\n`j`\n`k`\n",
               "line 6: statement longer than 30 bytes", small);
}

TEST(MlwDump, AFailedReaderStaysFailed) {
  std::istringstream in("SELECT 1;\nINSERT INTO `t` (`a`) VALUES (1);\n");
  DumpReader reader(in);
  DumpRow row;
  auto first = reader.next(row);
  ASSERT_FALSE(first);
  auto second = reader.next(row);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().detail, first.error().detail);
}

TEST(MlwDump, PlainDecimal) {
  EXPECT_EQ(plain_decimal("12").value(), "12");
  EXPECT_EQ(plain_decimal("-0.5").value(), "-0.5");
  EXPECT_EQ(plain_decimal("1.5e-05").value(), "0.000015");
  EXPECT_EQ(plain_decimal("1e20").value(), "100000000000000000000");
  EXPECT_EQ(plain_decimal("2.5E+2").value(), "250");
  EXPECT_EQ(plain_decimal("-0").value(), "0");
  EXPECT_EQ(plain_decimal("007.10").value(), "7.10");
  EXPECT_FALSE(plain_decimal("abc"));
  EXPECT_FALSE(plain_decimal("1e"));
  EXPECT_FALSE(plain_decimal("1e99"));
  EXPECT_FALSE(plain_decimal(""));
}

}  // namespace
}  // namespace ml::server::mlw
