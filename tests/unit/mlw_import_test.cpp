// The import from MeterLoggerWeb (server/mlw_import.hpp) over every store backend: each kind
// arrives exactly, the ledger gives MeterLoggerWeb's open_until, a second run imports nothing, a
// run stopped at a limit continues, bad rows are skipped and reported without touching the others,
// and the alarm conditions translate (or say why not).
#include "server/mlw_import.hpp"

#include <cmath>
#include <random>
#include <sstream>

#include "server/ledger.hpp"
#include "store_contract.hpp"

namespace ml::server::test_store {
namespace {

using mlw::ImportReport;

constexpr const char* kKey1 = "00112233445566778899aabbccddeeff";
constexpr const char* kKey2 = "ffeeddccbbaa99887766554433221100";

// A small MeterLoggerWeb database as mysqldump writes it (tables by name).
std::string fleet_dump() {
  std::ostringstream d;
  d << "-- MariaDB dump 10.19\n/*!40101 SET NAMES utf8mb4 */;\n"
       "CREATE TABLE `accounts` (\n  `id` int(11),\n  `type` enum('payment'),\n"
       "  `serial` varchar(16),\n  `payment_time` int(11),\n  `amount` float,\n"
       "  `info` varchar(256),\n  `price` float,\n  `auto` tinyint(1),\n  PRIMARY KEY (`id`)\n"
       ") ENGINE=InnoDB;\n"
       "INSERT INTO `accounts` VALUES (1,'payment','9999001',1700000000,500,'first',0.85,0),"
       "(2,'membership','9999001',1700000100,300,'',0,0),"
       "(3,'charge','9999001',1700000200,-20,'fee',1.25,0),"
       "(4,'payment','9999002',1700000300,17,NULL,1.7,0),"
       "(5,'payment','9999009',1700000400,100,'',1,0),"
       "(6,'payment','9999003',1700000500,100,'',1,0);\n"
       "CREATE TABLE `alarms` (\n  `id` int(11),\n  `enabled` tinyint(1),\n"
       "  `serial` varchar(16),\n  `condition` longtext,\n  `repeat` int(11),\n"
       "  `alarm_clear_delay` int(11),\n  `valve_close_delay` int(11),\n"
       "  `leakage_delay` int(11),\n  `sms_notification` varchar(64)\n) ENGINE=InnoDB;\n"
       "INSERT INTO `alarms` VALUES (1,1,'9999001','$offline > 3600',0,600,600,300,NULL),"
       "(2,1,'9999002','$offline > 3600',0,600,600,300,NULL),"
       "(3,1,'9999001','$flow > 100 && $closed',7200,900,1200,300,'4512345678'),"
       "(4,1,'9999001','$valve_status eq \\'close\\'',0,600,600,300,NULL);\n"
       "CREATE TABLE `command_queue` (\n  `id` int(11)\n) ENGINE=InnoDB;\n"
       "INSERT INTO `command_queue` VALUES (1),(2);\n"
       "CREATE TABLE `meter_groups` (\n  `id` int(11),\n  `group` varchar(256),\n"
       "  `mobile_pay_receiver` varchar(256)\n) ENGINE=InnoDB;\n"
       "INSERT INTO `meter_groups` VALUES (1,'Loppen',NULL),(2,'',NULL);\n"
       "CREATE TABLE `meters` (\n  `id` int(11),\n  `type` enum('heat'),\n  `group` int(3),\n"
       "  `serial` varchar(16),\n  `info` varchar(256),\n  `setup_value` float,\n"
       "  `key` varchar(32),\n  `valve_installed` tinyint(1),\n  `default_price` float,\n"
       "  `email_notification` varchar(256),\n  `sms_notification` varchar(256)\n"
       ") ENGINE=InnoDB;\n"
       "INSERT INTO `meters` VALUES (1,'heat',1,'9999001','Loppen 12',1234.5,'"
    << kKey1
    << "',1,0.85,'a@example.org','4512345678, 4587654321'),"
       "(2,'water',1,'9999002','Loppen 14',0,'"
    << kKey2
    << "',0,1.7,NULL,NULL),"
       "(3,'aggregated',1,'9999003','sum',0,NULL,0,1,NULL,NULL),"
       "(4,'heat',1,'9999004','no key',0,'',1,1,NULL,NULL);\n"
       "CREATE TABLE `samples` (\n  `id` int(11),\n  `serial` varchar(12),\n"
       "  `heap` int(11),\n  `flow_temp` float,\n  `return_flow_temp` float,\n"
       "  `temp_diff` float,\n  `t3` float,\n  `flow` float,\n  `effect` float,\n"
       "  `hours` float,\n  `volume` float,\n  `energy` float,\n  `is_spike` tinyint(1),\n"
       "  `unix_time` int(11)\n) ENGINE=InnoDB;\n";
  // Three days of hourly samples for two meters, one spike, one for an unknown meter, one
  // without a time.
  int id = 0;
  for (int h = 0; h < 72; ++h) {
    d << "INSERT INTO `samples` VALUES ";
    for (int m = 1; m <= 2; ++m) {
      if (m == 2) d << ',';
      d << '(' << ++id << ",'999900" << m << "',20000," << 60 + h % 5 << ".5,40.25,20.25,NULL,"
        << 100 + h << ",1.5,1000," << 10 + h << ".125," << 1000 + h * 2 << ".5,"
        << (h == 5 && m == 1 ? 1 : 0) << ',' << 1700000000 + h * 3600 << ')';
    }
    d << ";\n";
  }
  d << "INSERT INTO `samples` VALUES (" << id + 1
    << ",'9999009',1,1,1,1,1,1,1,1,1,1,0,1700000000),(" << id + 2
    << ",'9999001',1,1,1,1,1,1,1,1,1,1,0,NULL);\n";
  d << "CREATE TABLE `wifi_scan` (\n  `id` int(11)\n) ENGINE=InnoDB;\n"
       "INSERT INTO `wifi_scan` VALUES (1);\n";
  return d.str();
}

class MlwImport : public StoreContract {
 protected:
  ImportReport run(const std::string& dump, std::int64_t limit = 0, std::size_t batch = 10) {
    std::istringstream in(dump);
    mlw::DumpReader reader(in);
    mlw::ImportOptions options;
    options.now = 1800000000;
    options.batch = batch;
    options.sample_limit = limit;
    auto report = mlw::import_dump(*store_, reader, options);
    EXPECT_TRUE(report.ok()) << report.error().text();
    return report.ok() ? *report : ImportReport{};
  }
  static std::int64_t imported(const ImportReport& r, const std::string& kind) {
    auto it = r.kinds.find(kind);
    return it == r.kinds.end() ? 0 : it->second.imported;
  }
  static std::int64_t rejected(const ImportReport& r, const std::string& kind) {
    auto it = r.kinds.find(kind);
    if (it == r.kinds.end()) return 0;
    std::int64_t n = 0;
    for (const auto& [reason, count] : it->second.rejected)
      n += count;
    return n;
  }
};

TEST_P(MlwImport, EveryKindArrivesExactly) {
  const auto report = run(fleet_dump());
  const std::string text = mlw::format_report(report);
  EXPECT_EQ(imported(report, "groups"), 1) << text;
  EXPECT_EQ(rejected(report, "groups"), 1) << text;  // the group without a name
  EXPECT_EQ(imported(report, "meters"), 2) << text;
  EXPECT_EQ(rejected(report, "meters"), 2) << text;  // aggregated, no key
  EXPECT_EQ(imported(report, "default prices"), 2) << text;
  EXPECT_EQ(imported(report, "contacts"), 1) << text;
  EXPECT_EQ(rejected(report, "contacts"), 1) << text;   // the second phone number
  EXPECT_EQ(imported(report, "residents"), 2) << text;  // each number logs in, as it did
  for (const char* phone : {"4512345678", "4587654321"}) {
    const auto r = store_->resident_by_address(phone).value();
    ASSERT_TRUE(r) << phone;
    EXPECT_EQ(r->serials, std::vector<std::string>{"9999001"});
    EXPECT_EQ(r->invited_by, "import mlw");
  }
  EXPECT_EQ(imported(report, "payments"), 4) << text;
  EXPECT_EQ(rejected(report, "payments"), 2) << text;     // no such meter, meter not imported
  EXPECT_EQ(imported(report, "alarm rules"), 2) << text;  // $offline on both meters of Loppen
  EXPECT_EQ(rejected(report, "alarm rules"), 2) << text;  // one meter only, $valve_status
  EXPECT_EQ(imported(report, "samples"), 143) << text;
  EXPECT_EQ(rejected(report, "samples"), 3) << text;  // spike, unknown meter, no time
  EXPECT_EQ(report.tables_not_read.at("command_queue"), 2);
  EXPECT_EQ(report.tables_not_read.at("wifi_scan"), 1);
  EXPECT_NE(text.find("marked as a spike"), std::string::npos) << text;
  EXPECT_EQ(text.find(kKey1), std::string::npos) << "a key is never shown";

  const Meter m = store_->meter("9999001").value().value();
  EXPECT_EQ(m.key_hex, kKey1);
  EXPECT_EQ(m.name, "Loppen 12");
  EXPECT_EQ(m.group, "Loppen");
  EXPECT_EQ(m.setup_value.to_string(), "1234.5");
  EXPECT_TRUE(m.valve_installed);
  EXPECT_EQ(m.contact_phone, "4512345678");
  EXPECT_EQ(m.contact_email, "a@example.org");
  EXPECT_EQ(m.last_sample_time, 1700000000 + 71 * 3600);
  const Meter w = store_->meter("9999002").value().value();
  EXPECT_EQ(w.kind, core::meter::Kind::water);
  EXPECT_FALSE(w.valve_installed);
  EXPECT_EQ(store_->default_price("9999001").value()->to_string(), "0.85");

  const auto pays = store_->payments("9999001").value();
  ASSERT_EQ(pays.size(), 3u);
  EXPECT_EQ(pays[0].amount.to_string(), "500");
  EXPECT_EQ(pays[0].price.to_string(), "0.85");
  EXPECT_EQ(pays[0].note, "mlw payment: first");
  EXPECT_EQ(pays[2].amount.to_string(), "-20");
  EXPECT_EQ(store_->audit_log("9999001").value().at(0).actor, "import mlw");
  // 500/0.85 - 20/1.25 + 1234.5 = 588.235294118 - 16 + 1234.5
  EXPECT_EQ(open_until_limit(m, pays).value().to_string(), "1806.735");
  const double theirs =
      mlw::mlw_open_until({{"500", "0.85"}, {"300", "0"}, {"-20", "1.25"}}, "1234.5");
  EXPECT_NEAR(std::strtod(open_until_limit(m, pays).value().to_string().c_str(), nullptr), theirs,
              1e-3);

  const auto s = store_->samples("9999001", 1700000000, 1700000000).value().at(0);
  EXPECT_EQ(s.values.at("t1"), "60.5");
  EXPECT_EQ(s.values.at("e1"), "1000.5");
  EXPECT_EQ(s.units.at("flow1"), "l/h");
  EXPECT_EQ(s.values.count("t3"), 0u);  // NULL: not sent
  const auto days = store_->rollups("9999001", Period::day, 0, INT64_MAX).value();
  std::int64_t counted = 0;
  for (const auto& r : days)
    counted += r.samples;
  EXPECT_EQ(counted, 71);  // 72 less the spike
  EXPECT_EQ(store_->rollups("9999002", Period::hour, 0, INT64_MAX).value().size(), 72u);

  const auto rules = store_->alarm_rules().value();
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0].group, "Loppen");
  EXPECT_EQ(rules[0].text, "age > 3600 s");
}

TEST_P(MlwImport, ASecondRunImportsNothing) {
  const std::string dump = fleet_dump();
  run(dump);
  const auto again = run(dump);
  const std::string text = mlw::format_report(again);
  for (const auto& [kind, c] : again.kinds)
    EXPECT_EQ(c.imported, 0) << kind << "\n" << text;
  EXPECT_EQ(again.kinds.at("samples").skipped, 146) << text;
  EXPECT_EQ(again.kinds.at("payments").skipped, 6) << text;
  EXPECT_EQ(again.kinds.at("meters").skipped, 2) << text;
  EXPECT_EQ(again.kinds.at("residents").skipped, 2) << text;
  EXPECT_EQ(store_->payments("9999001").value().size(), 3u);
  EXPECT_EQ(store_->alarm_rules().value().size(), 1u);
}

TEST_P(MlwImport, AStoppedRunContinues) {
  const std::string dump = fleet_dump();
  const auto first = run(dump, 50, 7);
  EXPECT_TRUE(first.stopped_at_limit);
  EXPECT_GE(imported(first, "samples"), 50);
  EXPECT_LT(imported(first, "samples"), 143);
  const auto second = run(dump, 0, 7);
  EXPECT_FALSE(second.stopped_at_limit);
  EXPECT_EQ(imported(first, "samples") + imported(second, "samples"), 143);
  EXPECT_EQ(imported(second, "payments"), 0);
  std::int64_t total = 0;
  const auto hours = store_->rollups("9999001", Period::hour, 0, INT64_MAX).value();
  for (const auto& r : hours)
    total += r.samples;
  EXPECT_EQ(total, 71);
}

TEST_P(MlwImport, BadInputStopsWithTheLineAndKeepsWhatWasCommitted) {
  std::string dump = fleet_dump();
  dump += "INSERT INTO `samples` VALUES (9999,'9999001',1,1,1,1,1,1,1,1,1,1,0,1 2);\n";
  std::istringstream in(dump);
  mlw::DumpReader reader(in);
  mlw::ImportOptions options;
  options.now = 1800000000;
  auto report = mlw::import_dump(*store_, reader, options);
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().detail.find("line "), std::string::npos) << report.error().detail;
  EXPECT_TRUE(store_->meter("9999001").value().has_value());
  // The rows before the bad line are kept and not imported again.
  auto again = run(fleet_dump());
  EXPECT_EQ(imported(again, "payments"), 0);
}

TEST_P(MlwImport, SamplesOutOfOrderAreRefused) {
  std::string dump = fleet_dump();
  dump += "INSERT INTO `samples` VALUES (3,'9999001',1,1,1,1,1,1,1,1,1,1,0,1700000000);\n";
  std::istringstream in(dump);
  mlw::DumpReader reader(in);
  auto report = mlw::import_dump(*store_, reader, mlw::ImportOptions{});
  ASSERT_FALSE(report);
  EXPECT_NE(report.error().detail.find("--order-by-primary"), std::string::npos);
}

ML_STORE_CONTRACT(MlwImport);

TEST(MlwTranslate, ConditionsTheRuleLanguageCanSay) {
  EXPECT_EQ(mlw::translate_condition("$offline > 3600", 600, 300).value(), "age > 3600 s");
  EXPECT_EQ(mlw::translate_condition("$flow_temp < 50 || $temp_diff<5", 600, 300).value(),
            "median(t1, 5) < 50 C or median(tdif, 5) < 5 C");
  EXPECT_EQ(mlw::translate_condition("$closed && !($kwh_remaining <= 0)", 900, 300).value(),
            "valve == closed for 900 s and not credit_kwh <= 0 kWh");
  EXPECT_EQ(mlw::translate_condition("$leakage", 600, 300).value(),
            "flow1 > 0 m3/h for 300 s and valve == closed");
  EXPECT_EQ(mlw::translate_condition("$energy_day > 100", 600, 300).value(),
            "delta(e1, 24 h) > 100 kWh");
}

TEST(MlwTranslate, SaysWhyNot) {
  auto a = mlw::translate_condition("$valve_status eq 'close'", 600, 300);
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().detail.find("$valve_status"), std::string::npos) << a.error().detail;
  EXPECT_FALSE(mlw::translate_condition("$flow * 2 > 3", 600, 300));
  EXPECT_FALSE(mlw::translate_condition("$closed == 1", 600, 300));
  EXPECT_FALSE(mlw::translate_condition("", 600, 300));
  EXPECT_FALSE(mlw::translate_condition("$offline > ", 600, 300));
}

// MeterLoggerWeb keeps amounts, prices and setup values as FLOAT and its trigger sums amount /
// price in double precision; the import takes the decimals the dump shows and the ledger adds
// them up exactly. For generated accounts both limits agree to within what single precision
// can hold, and always to the whole kWh the device compares unless the exact value lies within
// that distance of a whole number.
TEST(MlwOpenUntil, TheLedgerGivesMeterLoggerWebsLimit) {
  std::mt19937 rng(15);
  const char* prices[] = {"0.85", "1.2", "1.7", "0", "2.15", "0.5", "1.25"};
  for (int meter = 0; meter < 200; ++meter) {
    Meter m;
    m.serial = "9999001";
    const std::string setup = std::to_string(rng() % 50000) + "." + std::to_string(rng() % 10);
    m.setup_value = core::Decimal::parse(setup).value();
    std::vector<Payment> ledger;
    std::vector<mlw::MlwAccount> accounts;
    double bound = std::fabs(std::strtod(setup.c_str(), nullptr)) * 1.2e-7 + 1e-3;
    const int n = static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      std::string amount =
          std::to_string(static_cast<int>(rng() % 5000)) + "." + std::to_string(rng() % 100);
      if (rng() % 10 == 0) amount = "-" + amount;
      const std::string price = prices[rng() % 7];
      accounts.push_back({amount, price});
      Payment p;
      p.amount = core::Decimal::parse(amount).value();
      p.price = core::Decimal::parse(price).value();
      ledger.push_back(p);
      const double a = std::strtod(amount.c_str(), nullptr);
      const double q = std::strtod(price.c_str(), nullptr);
      if (q != 0) bound += std::fabs(a / q) * 2.4e-7;
    }
    const double theirs = mlw::mlw_open_until(accounts, setup);
    const double ours =
        std::strtod(open_until_limit(m, ledger).value().to_string().c_str(), nullptr);
    EXPECT_NEAR(ours, theirs, bound) << "meter " << meter;
    if (std::fabs(ours - std::round(ours)) > bound) {
      EXPECT_EQ(std::floor(ours), std::floor(theirs)) << "meter " << meter;
    }
  }
}

}  // namespace
}  // namespace ml::server::test_store
