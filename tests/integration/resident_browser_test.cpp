// The residents' side in a live system (tests/browser/residents.mjs): a real mosquitto,
// `meterlogger-server run` (its notifier sends the login code to the aiosmtpd sink of
// notify_peer.py) and `serve` on the same SQLite file, with meter 6892850 holding 400 days of
// readings and a payment. The browser invites the resident as the group's admin, logs in as the
// resident with the code from the e-mail, reads the page, sees a new payment, switches to Danish,
// chooses only the essential messages and gets the "running low" e-mail when the admin corrects
// the payment down, and has axe-core check every page. What the browser did is then read back from
// the database: the invitation audited without the address, the code hashed and used once, one
// session.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent_support.hpp"
#include "harness.hpp"
#include "mqtt_support.hpp"
#include "server/degree_days.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server_support.hpp"

namespace ml::test::resident_browser {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kSerial = "6892850";
constexpr const char* kPass = "admin-secret-1";
constexpr const char* kEmail = "anna.hansen@example.org";

// A sample of meter kSerial at `time` with `e1` kWh.
server::IngestItem reading(std::int64_t time, std::int64_t e1) {
  const std::string text = "heap=1000&t1=70.50 C&t2=40.25 C&e1=" + std::to_string(e1) + ".000 kWh&";
  server::IngestItem s;
  s.kind = server::IngestItem::Kind::sample;
  s.serial = kSerial;
  s.time = time;
  s.function = "sample";
  s.text = text;
  s.sample = core::sample::parse_sample(text).value();
  return s;
}

TEST(ResidentBrowser, InviteLoginByEmailedCodeAndThePagesInBothLanguages) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const int http_port = free_port();
  const int smtp_port = free_port();
  const std::string config = dir.file("server.toml");
  std::ofstream(config)
      << "[database]\npath = \"" << dir.file("server.db")
      << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker.port()
      << "\n[http]\nlisten = \"127.0.0.1:" << http_port << "\"\nweb_dir = \"" << ML_WEB_DIR
      << "\"\nsecond_factor = \"off\"\n"
      << "[commands]\npoll_interval = 0\n[alarms]\ninterval = 1\n"
      << "[residents]\nurl = \"http://127.0.0.1:" << http_port
      << "/resident.html\"\npayment = \"MobilePay 12 34 56 78, message {serial}\"\n"
      << "weather_correction = true\n"
      << "[notify]\nretry_initial = 1\nretry_max = 2\ninterval = 1\n"
      << "[[notify.channel]]\nname = \"mail\"\ntype = \"email\"\n"
      << "host = \"127.0.0.1\"\nport = " << smtp_port
      << "\nsecurity = \"none\"\nfrom = \"meterlogger@example.org\"\n";
  auto store = server::SqliteStore::open(dir.file("server.db")).value();
  const auto cli = [&](std::vector<std::string> args) {
    args.insert(args.begin(), ML_SERVER_BIN);
    args.insert(args.end(), {"--config", config});
    return run(args);
  };
  const auto count = [&](const std::string& sql) -> std::int64_t {
    auto q = store->db().prepare(sql);
    if (!q || !q->step().value()) return -1;
    return q->int64(0);
  };
  ASSERT_EQ(cli({"meters", "add", kSerial, "--kind", "heat", "--key", kTestKey, "--group", "Loppen",
                 "--name", "Loppen 12", "--valve", "on", "--setup-value", "10000"})
                .status,
            0);
  // 400 days of readings, 20 kWh a day: last year's months and the use table have values.
  const std::int64_t now = unix_now();
  std::vector<server::IngestItem> items;
  for (int day = 400; day >= 0; --day)
    items.push_back(reading(now - day * 86400 - 600, 10000 + (400 - day) * 20));
  // The valve reports open (the prepaid notices follow the valve's state).
  server::IngestItem status;
  status.kind = server::IngestItem::Kind::diagnostic;
  status.serial = kSerial;
  status.time = now - 300;
  status.function = "status";
  status.text = "open";
  items.push_back(status);
  ASSERT_TRUE(server::store_items(*store, items, now).ok());
  std::ofstream(dir.file("pw")) << kPass << "\n";
  ASSERT_EQ(cli({"users", "add", "anna", "--role", "admin", "--groups", "Loppen", "--password-file",
                 dir.file("pw")})
                .status,
            0);
  ASSERT_EQ(cli({"pay", kSerial, "--amount", "20000", "--price", "2"}).status, 0);
  // The same weather every day (10.5 degree days) up to yesterday: a finished month's use in
  // "last year, this weather" is last year's own.
  {
    std::ofstream days(dir.file("degree-days.csv"));
    days << "day,degree_days\n";
    for (std::int64_t day = now / 86400 - 420; day < now / 86400; ++day)
      days << server::day_text(day) << ",10.5\n";
  }
  ASSERT_EQ(cli({"degree-days", "import", dir.file("degree-days.csv")}).status, 0);

  Process smtp(
      {ML_SYSTEM_PYTHON, ML_NOTIFY_PEER, "smtp", std::to_string(smtp_port), dir.path().string()},
      dir.file("smtp-peer.log"));
  ASSERT_TRUE(wait_for_port(smtp_port)) << smtp.log();
  Process run_server({ML_SERVER_BIN, "--config", config, "run"}, dir.file("run.log"));
  ASSERT_TRUE(wait_for_log(run_server, "ingest: connected")) << run_server.log();
  Process serve({ML_SERVER_BIN, "--config", config, "serve"}, dir.file("serve.log"));
  ASSERT_TRUE(wait_for_log(serve, kServeListening)) << serve.log();

  const std::string shots = ML_SCREENSHOT_DIR "/residents";
  const std::string url = "http://127.0.0.1:" + std::to_string(http_port) + "/";
  const auto browser = run({ML_NODE_BIN, std::string(ML_BROWSER_DIR) + "/residents.mjs", url,
                            "anna", kPass, kSerial, kEmail, dir.path().string(), shots},
                           scaled(240s));
  ASSERT_EQ(browser.status, 0) << browser.out << browser.err << run_server.log() << serve.log();
  const auto seen = json::parse(browser.out);
  EXPECT_TRUE(seen["ok"].get<bool>());
  EXPECT_NE(seen["badInvite"].get<std::string>().find("e-mail"), std::string::npos) << seen.dump();
  // 20000 kr at 2 kr/kWh: 10000 kWh paid on top of the setup value of 10000 kWh, 8000 kWh used
  // since: 2000 kWh left, worth 4000 kr; the browser's payment of 200 kr adds 100 kWh.
  EXPECT_EQ(seen["credit"], "2000.0");
  EXPECT_EQ(seen["money"], "4000.00");
  EXPECT_EQ(seen["creditAfter"], "2100.0");
  // Corrected to 15880 kr: 7940 + 100 kWh paid, 40 kWh left, 2 days at 20 kWh a day.
  EXPECT_EQ(seen["creditLow"], "40.0");
  EXPECT_EQ(seen["lowMail"]["subject"], "Running low: Loppen 12 (meter 6892850)");
  EXPECT_EQ(count("SELECT COUNT(*) FROM residents WHERE notices='essential' AND low_days=7"), 1);
  // Only the essential ones: no receipt of the corrected payment went to the resident.
  EXPECT_EQ(count("SELECT COUNT(*) FROM notifications WHERE recipient='" + std::string(kEmail) +
                  "' AND subject LIKE 'Payment received%' AND created > (SELECT MAX(time) FROM "
                  "admin_audit WHERE action='payment.correct')"),
            0);
  EXPECT_EQ(seen["payText"], std::string("MobilePay 12 34 56 78, message ") + kSerial);
  EXPECT_EQ(seen["payments"], 1);
  EXPECT_EQ(seen["paymentsAfter"], 2);
  EXPECT_EQ(seen["mailSubject"], "Your login code");
  EXPECT_FALSE(seen["useRows"].empty());
  // Last month (newest first: the second row): period, use, last year, last year in this
  // weather, median; the same weather both years, so the last two are the same.
  ASSERT_GE(seen["useCells"].size(), 2u) << seen.dump();
  const auto& last_month = seen["useCells"][1];
  ASSERT_EQ(last_month.size(), 5u) << seen.dump();
  EXPECT_NE(last_month[2], "—");
  EXPECT_EQ(last_month[3], last_month[2]) << seen.dump();
  EXPECT_TRUE(seen["weatherNote"].get<bool>());
  EXPECT_EQ(seen["exported"]["email"], kEmail);
  EXPECT_EQ(seen["exported"]["days"], 401) << "a reading a day for 401 days";
  EXPECT_GT(std::filesystem::file_size(shots + "/poster.png"), 10000u);
  EXPECT_FALSE(seen["yearRows"].empty());

  // The database: one resident, invited by anna and audited without the address; its two codes
  // (typed, then the link) each used once and kept only as hashes; its password a hash; no
  // session left (each login ended at a logout).
  EXPECT_EQ(count("SELECT COUNT(*) FROM residents WHERE email='" + std::string(kEmail) + "'"), 1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM admin_audit WHERE action='resident.invite' AND "
                  "actor='anna' AND detail NOT LIKE '%example.org%'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM resident_codes WHERE used=1"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM residents WHERE password_hash LIKE '$argon2id$%'"), 1);
  EXPECT_NE(seen["linkAgain"].get<std::string>().find("brugt"), std::string::npos) << seen.dump();
  EXPECT_EQ(count("SELECT COUNT(*) FROM resident_sessions"), 0) << "logged out";
  for (const char* shot : {"meter-residents", "resident-login", "resident-meter",
                           "resident-meter-da", "resident-login-da"}) {
    for (const char* size : {"", "-phone"}) {
      const std::string file = shots + "/" + shot + size + ".png";
      EXPECT_GT(std::filesystem::file_size(file), 10000u) << file;
    }
  }
}

}  // namespace
}  // namespace ml::test::resident_browser
