// `meterlogger-server import mlw` against a real MariaDB (Debian's mariadb-server, started here in
// a temporary folder on a unix socket and a loopback port): a MeterLoggerWeb schema as
// docs/migrating.md describes it, with its open_until trigger, and a generated fleet (meters with
// keys, groups, weeks of samples, payments, alarms, SMS contacts). The import runs both ways
// (--mysql with a user and a password file, and a mysqldump file); every kind must arrive exactly,
// each meter's open_until must be the one MeterLoggerWeb's trigger queued, a second run imports
// nothing and a run stopped at a limit continues to the same result.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <random>
#include <regex>
#include <sstream>

#include "harness.hpp"
#include "server/ledger.hpp"
#include "server/sqlite/store.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

constexpr const char* kMariadbd = "/usr/sbin/mariadbd";

// The tables the import reads, as MeterLoggerWeb defines them (FLOAT money and values), others it
// counts, and the trigger that queues open_until on each payment.
constexpr const char* kSchema = R"sql(
CREATE DATABASE nabovarme CHARACTER SET utf8mb4;
USE nabovarme;
CREATE TABLE `meter_groups` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `group` varchar(256) NOT NULL DEFAULT '', `mobile_pay_receiver` varchar(256) DEFAULT NULL,
  PRIMARY KEY (`id`)) ENGINE=InnoDB;
CREATE TABLE `meters` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `enabled` tinyint(1) DEFAULT 1,
  `type` enum('heat','water','electricity','aggregated','heat_supply','heat_sub') NOT NULL DEFAULT 'heat',
  `group` int(3) unsigned NOT NULL DEFAULT 0, `parent_serial` varchar(16) DEFAULT NULL,
  `serial` varchar(16) DEFAULT NULL, `info` varchar(256) NOT NULL DEFAULT '',
  `setup_value` float NOT NULL DEFAULT 0, `setup_hours` int(11) DEFAULT 0,
  `sw_version` varchar(256) DEFAULT NULL, `key` varchar(32) DEFAULT NULL,
  `valve_status` varchar(256) DEFAULT NULL, `valve_installed` tinyint(1) NOT NULL DEFAULT 1,
  `last_updated` int(11) DEFAULT 0, `min_amount` float NOT NULL DEFAULT 0,
  `default_price` float NOT NULL DEFAULT 1, `email_notification` varchar(256) DEFAULT NULL,
  `sms_notification` varchar(256) DEFAULT NULL, `comment` longtext DEFAULT NULL,
  PRIMARY KEY (`id`), KEY `serial_idx` (`serial`)) ENGINE=InnoDB;
CREATE TABLE `accounts` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `type` enum('payment','membership','charge') DEFAULT 'payment', `serial` varchar(16) DEFAULT NULL,
  `payment_time` int(11) DEFAULT NULL, `amount` float NOT NULL DEFAULT 0,
  `info` varchar(256) DEFAULT '', `price` float NOT NULL DEFAULT 1, `auto` tinyint(1) DEFAULT 0,
  PRIMARY KEY (`id`), UNIQUE KEY `unique_idx` (`serial`,`payment_time`,`amount`,`price`)) ENGINE=InnoDB;
CREATE TABLE `alarms` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `enabled` tinyint(1) NOT NULL DEFAULT 1, `auto_id` int(11) unsigned DEFAULT NULL,
  `serial` varchar(16) DEFAULT NULL, `condition` longtext NOT NULL,
  `repeat` int(11) NOT NULL DEFAULT 0, `alarm_clear_delay` int(11) DEFAULT 600,
  `valve_close_delay` int(11) DEFAULT 600, `leakage_delay` int(11) DEFAULT 300,
  `sms_notification` varchar(64) DEFAULT NULL, `down_message` longtext DEFAULT NULL,
  PRIMARY KEY (`id`)) ENGINE=InnoDB;
CREATE TABLE `samples` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `serial` varchar(12) DEFAULT NULL, `heap` int(11) unsigned DEFAULT NULL,
  `flow_temp` float DEFAULT NULL, `return_flow_temp` float DEFAULT NULL,
  `temp_diff` float DEFAULT NULL, `t3` float DEFAULT NULL, `flow` float DEFAULT NULL,
  `effect` float DEFAULT NULL, `hours` float DEFAULT NULL, `volume` float DEFAULT NULL,
  `energy` float DEFAULT NULL, `is_spike` tinyint(1) DEFAULT 0, `unix_time` int(11) DEFAULT NULL,
  PRIMARY KEY (`id`), KEY `serial_unix_time_idx` (`serial`,`unix_time`)) ENGINE=InnoDB;
CREATE TABLE `command_queue` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `serial` varchar(16) DEFAULT NULL, `function` varchar(256) DEFAULT NULL,
  `param` varchar(256) DEFAULT NULL, `unix_time` int(11) DEFAULT NULL,
  `state` enum('sent','received','timeout') DEFAULT 'sent', `has_callback` tinyint(1) DEFAULT 0,
  `timeout` int(11) DEFAULT 0, `sent_count` int(11) DEFAULT 0, PRIMARY KEY (`id`)) ENGINE=InnoDB;
CREATE TABLE `wifi_scan` (`id` int(11) unsigned NOT NULL AUTO_INCREMENT,
  `serial` varchar(16) DEFAULT NULL, `ssid` varchar(64) DEFAULT NULL, `unix_time` int(11),
  PRIMARY KEY (`id`)) ENGINE=InnoDB;
DELIMITER ;;
CREATE TRIGGER `command_queue_insert_after` AFTER INSERT ON `accounts` FOR EACH ROW
  IF (NEW.amount != 0) THEN
    INSERT INTO command_queue (`serial`, `function`, `param`, `unix_time`, `timeout`)
    VALUES (NEW.`serial`, 'open_until',
      ((SELECT IFNULL(SUM(amount / price), 0) FROM accounts
        WHERE serial = NEW.serial AND price != 0)
       + (SELECT IFNULL(setup_value, 0) FROM meters WHERE serial = NEW.serial)),
      UNIX_TIMESTAMP(NOW()), 0);
  END IF;;
DELIMITER ;
)sql";

struct Fleet {
  std::string sql;
  std::map<std::string, std::int64_t> samples;   // serial -> sample rows imported
  std::map<std::string, std::int64_t> payments;  // serial -> accounts rows
  std::int64_t sample_rows = 0;
  std::int64_t spikes = 0;
};

const std::map<std::string, std::string> kKeys{{"9100001", "00112233445566778899aabbccddeeff"},
                                               {"9100002", "0f1e2d3c4b5a69788796a5b4c3d2e1f0"},
                                               {"9100003", "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf"}};

// Three meters with keys in two groups and one aggregated meter; three weeks of samples every
// 20 minutes; payments with amounts and prices a FLOAT holds exactly; alarms; contacts.
Fleet make_fleet() {
  Fleet f;
  std::ostringstream s;
  s << "INSERT INTO meter_groups VALUES (1,'Loppen','12345'),(2,'Fristaden',NULL);\n";
  s << "INSERT INTO meters (id,type,`group`,serial,info,setup_value,`key`,valve_installed,"
       "default_price,email_notification,sms_notification) VALUES "
       "(1,'heat',1,'9100001','Loppen 12',1234.5,'"
    << kKeys.at("9100001")
    << "',1,0.85,'anna@example.org','4512345678,4587654321'),"
       "(2,'heat',1,'9100002','Loppen 14 \\'B\\'',10.25,'"
    << kKeys.at("9100002")
    << "',1,1.25,NULL,'4511111111'),"
       "(3,'water',2,'9100003','Fristaden 1',0,'"
    << kKeys.at("9100003")
    << "',0,40,NULL,NULL),"
       "(4,'aggregated',2,'9100009','sum',0,NULL,0,1,NULL,NULL);\n";
  std::mt19937 rng(15);
  const char* prices[] = {"0.5", "1.25", "2", "0.625", "0"};
  int account = 0;
  for (const auto& serial : {"9100001", "9100002", "9100003"}) {
    for (int i = 0; i < 12; ++i) {
      // Quarters of a krone (a FLOAT holds them exactly); every fifth a charge (negative).
      const int quarters = static_cast<int>(rng() % 8000);
      const bool charge = i % 5 == 4;
      ++account;
      s << "INSERT INTO accounts (id,type,serial,payment_time,amount,info,price) VALUES ("
        << account << ",'" << (charge ? "charge" : "payment") << "','" << serial << "',"
        << 1700000000 + account * 1000 << ',' << (charge ? "-" : "") << quarters / 4 << '.'
        << (quarters % 4) * 25 << ",'gen " << account << "'," << prices[rng() % 5] << ");\n";
      ++f.payments[serial];
    }
  }
  s << "INSERT INTO accounts (id,serial,payment_time,amount,price) VALUES (" << account + 1
    << ",'9199999',1700000000,100,1);\n";  // no such meter
  s << "INSERT INTO alarms (id,serial,`condition`,`repeat`) VALUES "
       "(1,'9100001','$offline > 3600',0),(2,'9100002','$offline > 3600',0),"
       "(3,'9100003','$flow > 500',3600),(4,'9100001','$closed && $kwh_remaining > 0',0),"
       "(5,'9100002','$valve_status eq \\'close\\'',0);\n";
  int id = 0;
  const int start = 1699999200;
  for (int step = 0; step < 21 * 72; ++step) {
    s << "INSERT INTO samples (id,serial,heap,flow_temp,return_flow_temp,temp_diff,t3,flow,"
         "effect,hours,volume,energy,is_spike,unix_time) VALUES ";
    int m = 0;
    for (const auto& serial : {"9100001", "9100002", "9100003"}) {
      const bool spike = serial[6] == '2' && step % 500 == 7;
      s << (m++ ? "," : "") << '(' << ++id << ",'" << serial << "'," << 20000 + step % 100 << ','
        << 55 + step % 20 << ".25," << 35 + step % 10 << ".5," << 20 << ".75,NULL," << step % 300
        << ",1.5," << 1000 + step / 3 << ',' << 100 + step / 10 << ".125," << 5000 + step << ".5,"
        << (spike ? 1 : 0) << ',' << start + step * 1200 << ')';
      ++f.sample_rows;
      if (spike) {
        ++f.spikes;
      } else {
        ++f.samples[serial];
      }
    }
    s << ";\n";
  }
  s << "INSERT INTO wifi_scan (serial,ssid,unix_time) VALUES "
       "('9100001','x',1),('9100001','y',2);\n";
  f.sql = s.str();
  return f;
}

class MariaDb {
 public:
  explicit MariaDb(const TempDir& dir) {
    socket_ = dir.file("mysqld.sock");
    port_ = free_port();
    auto init = run({"/usr/bin/mariadb-install-db", "--no-defaults", "--user=root",
                     "--datadir=" + dir.file("data"), "--auth-root-authentication-method=normal",
                     "--skip-test-db"},
                    scaled(120s));
    EXPECT_EQ(init.status, 0) << init.out << init.err;
    server_ = std::make_unique<Process>(
        std::vector<std::string>{
            kMariadbd, "--no-defaults", "--user=root", "--datadir=" + dir.file("data"),
            "--socket=" + socket_, "--port=" + std::to_string(port_), "--bind-address=127.0.0.1",
            "--pid-file=" + dir.file("mysqld.pid"), "--skip-log-bin",
            "--innodb-buffer-pool-size=64M", "--innodb-log-file-size=16M", "--skip-name-resolve"},
        dir.file("mariadbd.log"));
    EXPECT_TRUE(wait_for_port(port_, scaled(60s))) << server_->log();
    EXPECT_TRUE(wait_for_path(socket_, scaled(30s)));
  }
  ~MariaDb() {
    if (server_) server_->stop(15, scaled(30s));
  }
  // Runs SQL from a file through the mariadb client as root.
  RunResult source(const std::string& path) {
    return run({"/usr/bin/mariadb", "--no-defaults", "--socket=" + socket_, "-uroot", "-e",
                "source " + path},
               scaled(300s));
  }
  RunResult sql(const std::string& text) {
    return run({"/usr/bin/mariadb", "--no-defaults", "--socket=" + socket_, "-uroot", "--batch",
                "--skip-column-names", "-e", text});
  }
  const std::string& socket() const { return socket_; }
  int port() const { return port_; }

 private:
  std::string socket_;
  int port_ = 0;
  std::unique_ptr<Process> server_;
};

std::string config_for(const TempDir& dir, const std::string& db) {
  const std::string path = dir.file(db + ".toml");
  std::ofstream(path) << "[database]\npath = \"" << dir.file(db + ".db")
                      << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = 1883\n";
  return path;
}

RunResult import(const std::string& config, std::vector<std::string> args) {
  args.insert(args.begin(), {ML_SERVER_BIN, "import", "mlw"});
  args.insert(args.end(), {"--config", config});
  return run(args, scaled(300s));
}

// The report's counts of one kind: imported, skipped, not imported.
std::array<std::int64_t, 3> counts(const std::string& report, const std::string& kind) {
  std::smatch m;
  const std::regex line("(^|\n)" + kind + " +([0-9]+) +([0-9]+) +([0-9]+)\n");
  if (!std::regex_search(report, m, line)) {
    ADD_FAILURE() << "no line for " << kind << " in\n" << report;
    return {-1, -1, -1};
  }
  return {std::stoll(m[2]), std::stoll(m[3]), std::stoll(m[4])};
}

// What MeterLoggerWeb's trigger queued last for each meter.
std::map<std::string, std::string> trigger_limits(MariaDb& db) {
  auto r = db.sql(
      "SELECT c.serial, c.param FROM nabovarme.command_queue c WHERE c.id = (SELECT MAX(id) FROM "
      "nabovarme.command_queue d WHERE d.serial = c.serial)");
  EXPECT_EQ(r.status, 0) << r.err;
  std::map<std::string, std::string> out;
  std::istringstream in(r.out);
  std::string serial, param;
  while (in >> serial >> param)
    out[serial] = param;
  return out;
}

// Checks that the database holds the fleet exactly.
void expect_fleet(const std::string& db_path, const Fleet& fleet,
                  const std::map<std::string, std::string>& limits) {
  auto store = server::SqliteStore::open(db_path);
  ASSERT_TRUE(store.ok()) << store.error().text();
  auto& s = **store;
  for (const auto& [serial, key] : kKeys) {
    auto m = s.meter(serial).value();
    ASSERT_TRUE(m.has_value()) << serial;
    EXPECT_EQ(m->key_hex, key);
    std::int64_t n = 0;
    const auto days = s.rollups(serial, server::Period::day, 0, INT64_MAX).value();
    for (const auto& r : days)
      n += r.samples;
    EXPECT_EQ(n, fleet.samples.at(serial)) << serial;
    EXPECT_EQ(s.samples(serial, 0, INT64_MAX).value().size(),
              static_cast<std::size_t>(fleet.samples.at(serial)));
    const auto pays = s.payments(serial).value();
    EXPECT_EQ(static_cast<std::int64_t>(pays.size()), fleet.payments.at(serial)) << serial;
    // The limit MeterLoggerWeb's trigger queued for the last payment: the amounts and prices
    // are exact in a FLOAT, so only its double division differs, far below our 1 Wh rounding.
    const auto ours = server::open_until_limit(*m, pays).value().to_string();
    ASSERT_TRUE(limits.contains(serial)) << serial;
    EXPECT_NEAR(std::stod(ours), std::stod(limits.at(serial)), 0.0005 + 1e-9)
        << serial << ": ours " << ours << ", MeterLoggerWeb " << limits.at(serial);
  }
  const auto m1 = s.meter("9100001").value().value();
  EXPECT_EQ(m1.group, "Loppen");
  EXPECT_EQ(m1.name, "Loppen 12");
  EXPECT_EQ(m1.setup_value.to_string(), "1234.5");
  EXPECT_EQ(m1.contact_phone, "4512345678");
  EXPECT_EQ(m1.contact_email, "anna@example.org");
  EXPECT_EQ(s.meter("9100002").value()->name, "Loppen 14 'B'");
  EXPECT_EQ(s.meter("9100003").value()->kind, core::meter::Kind::water);
  EXPECT_FALSE(s.meter("9100009").value().has_value());
  EXPECT_EQ(s.default_price("9100001").value()->to_string(), "0.85");
  EXPECT_EQ(s.default_price("9100003").value()->to_string(), "40");
  const auto first = s.samples("9100001", 1699999200, 1699999200).value().at(0);
  EXPECT_EQ(first.values.at("t1"), "55.25");
  EXPECT_EQ(first.values.at("v1"), "100.125");
  EXPECT_EQ(first.values.at("e1"), "5000.5");
  EXPECT_EQ(first.energy_kwh, "5000.5");
  // $offline on both meters of Loppen, $flow on Fristaden's one meter.
  std::map<std::string, server::AlarmRule> rules;
  const auto all = s.alarm_rules().value();
  for (const auto& r : all)
    rules[r.group] = r;
  ASSERT_EQ(rules.size(), 2u);
  EXPECT_EQ(rules["Loppen"].text, "age > 3600 s");
  EXPECT_EQ(rules["Fristaden"].text, "median(flow1, 5) > 500 l/h");
  EXPECT_EQ(rules["Fristaden"].repeat_s, 3600);
}

// `whole`: the report of a whole dump, which names the tables not imported (--mysql reads only
// the tables it imports).
void expect_first_report(const std::string& out, const Fleet& fleet, bool whole) {
  EXPECT_EQ(counts(out, "meters"), (std::array<std::int64_t, 3>{3, 0, 1}));
  EXPECT_EQ(counts(out, "groups"), (std::array<std::int64_t, 3>{2, 0, 0}));
  EXPECT_EQ(counts(out, "payments"), (std::array<std::int64_t, 3>{36, 0, 1}));
  EXPECT_EQ(counts(out, "alarm rules"), (std::array<std::int64_t, 3>{3, 0, 2}));
  EXPECT_EQ(counts(out, "contacts"), (std::array<std::int64_t, 3>{2, 0, 1}));
  EXPECT_EQ(counts(out, "default prices"), (std::array<std::int64_t, 3>{3, 0, 0}));
  EXPECT_EQ(counts(out, "samples"),
            (std::array<std::int64_t, 3>{fleet.sample_rows - fleet.spikes, 0, fleet.spikes}));
  if (whole) {
    EXPECT_NE(out.find("wifi_scan (2 rows)"), std::string::npos) << out;
    EXPECT_NE(out.find("command_queue"), std::string::npos) << out;
  }
  EXPECT_NE(out.find("$valve_status"), std::string::npos) << out;
}

TEST(MlwImport, FromMariaDbBothWaysExactlyOnceAndResumable) {
  TempDir dir;
  MariaDb db(dir);
  const Fleet fleet = make_fleet();
  std::ofstream(dir.file("schema.sql")) << kSchema;
  std::ofstream(dir.file("fleet.sql")) << "USE nabovarme;\n" << fleet.sql;
  auto loaded = db.source(dir.file("schema.sql"));
  ASSERT_EQ(loaded.status, 0) << loaded.err;
  ASSERT_EQ(loaded.err, "");
  loaded = db.source(dir.file("fleet.sql"));
  ASSERT_EQ(loaded.status, 0) << loaded.err;
  ASSERT_EQ(loaded.err, "");
  const auto limits = trigger_limits(db);
  ASSERT_EQ(limits.size(), 4u);  // and one for the payment of a serial that is no meter
  auto user = db.sql(
      "CREATE USER 'import'@'127.0.0.1' IDENTIFIED BY 'p\"a ss'; GRANT SELECT, SHOW VIEW, "
      "LOCK TABLES ON nabovarme.* TO 'import'@'127.0.0.1';");
  ASSERT_EQ(user.status, 0) << user.err;
  const std::string password = dir.file("password");
  std::ofstream(password) << "p\"a ss\n";

  // --mysql over TCP with a user and a password file.
  const std::string a = config_for(dir, "a");
  auto first = import(a, {"--mysql", "127.0.0.1:" + std::to_string(db.port()) + "/nabovarme",
                          "--user", "import", "--password-file", password});
  ASSERT_EQ(first.status, 0) << first.out << first.err;
  expect_first_report(first.out, fleet, false);
  EXPECT_EQ(first.out.find("p\"a ss"), std::string::npos);
  EXPECT_EQ(first.out.find(kKeys.at("9100001")), std::string::npos);
  expect_fleet(dir.file("a.db"), fleet, limits);

  // A second run imports nothing.
  auto second = import(a, {"--mysql", "socket=" + db.socket() + "/nabovarme", "--user", "root"});
  ASSERT_EQ(second.status, 0) << second.out << second.err;
  for (const auto kind :
       {"meters", "groups", "payments", "alarm rules", "contacts", "default prices", "samples"}) {
    EXPECT_EQ(counts(second.out, kind)[0], 0) << kind << "\n" << second.out;
  }
  expect_fleet(dir.file("a.db"), fleet, limits);

  // A mysqldump file as an operator makes it (tables by name, triggers, locks, comments).
  auto dumped = run({"/usr/bin/mysqldump", "--no-defaults", "--socket=" + db.socket(), "-uroot",
                     "--single-transaction", "nabovarme"},
                    scaled(120s));
  ASSERT_EQ(dumped.status, 0) << dumped.err;
  std::ofstream(dir.file("nabovarme.sql")) << dumped.out;
  const std::string b = config_for(dir, "b");
  auto from_file = import(b, {"--dump", dir.file("nabovarme.sql")});
  ASSERT_EQ(from_file.status, 0) << from_file.out << from_file.err;
  expect_first_report(from_file.out, fleet, true);
  expect_fleet(dir.file("b.db"), fleet, limits);

  // Stopped at a limit, then continued: the same result, nothing twice.
  const std::string c = config_for(dir, "c");
  const std::string where = "socket=" + db.socket() + "/nabovarme";
  auto part = import(c, {"--mysql", where, "--user", "root", "--limit-samples", "1000"});
  ASSERT_EQ(part.status, 0) << part.out << part.err;
  EXPECT_NE(part.out.find("stopped at the sample limit"), std::string::npos) << part.out;
  const auto imported_first = counts(part.out, "samples")[0];
  EXPECT_GE(imported_first, 1000);
  EXPECT_LT(imported_first, fleet.sample_rows - fleet.spikes);
  auto rest = import(c, {"--mysql", where, "--user", "root"});
  ASSERT_EQ(rest.status, 0) << rest.out << rest.err;
  EXPECT_EQ(imported_first + counts(rest.out, "samples")[0], fleet.sample_rows - fleet.spikes)
      << rest.out;
  EXPECT_EQ(counts(rest.out, "payments")[0], 0);
  expect_fleet(dir.file("c.db"), fleet, limits);

  // An interrupted file import (the file cut mid-line) stops with the line, keeps what it
  // committed and continues from the whole file.
  const std::string d = config_for(dir, "d");
  const auto cut = dumped.out.find("INSERT INTO `samples`");
  ASSERT_NE(cut, std::string::npos);
  std::ofstream(dir.file("cut.sql")) << dumped.out.substr(0, cut + 20000);
  auto broken = import(d, {"--dump", dir.file("cut.sql")});
  EXPECT_NE(broken.status, 0);
  EXPECT_NE(broken.err.find("line "), std::string::npos) << broken.err;
  auto whole = import(d, {"--dump", dir.file("nabovarme.sql")});
  ASSERT_EQ(whole.status, 0) << whole.out << whole.err;
  expect_fleet(dir.file("d.db"), fleet, limits);
}

}  // namespace
}  // namespace ml::test
