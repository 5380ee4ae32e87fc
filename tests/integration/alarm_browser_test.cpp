// The alarm lifecycle through the dashboard (tests/browser/alarms.mjs) in a live system: a real
// mosquitto, `meterlogger-server run` (an alarm round every second, an SMTP channel to the
// aiosmtpd sink and a webhook channel to the receiver of notify_peer.py) and `serve` on the same
// SQLite file. The browser gives the operator an e-mail address and writes the rule; the alarm
// is raised and notified (the e-mail and the webhook arrive), acknowledged with a note in the
// browser, and cleared after this test publishes a fresh sealed sample over MQTT. What the
// browser did is then read back from the database and the peers' files; a viewer then reads the
// alarms without admin controls.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent_support.hpp"
#include "harness.hpp"
#include "mqtt_support.hpp"
#include "platform/crypto/random.hpp"
#include "platform/sqlite/db.hpp"
#include "server/sqlite/store.hpp"
#include "server/store_ingest.hpp"
#include "server_support.hpp"

namespace ml::test::alarm_browser {
namespace {

using namespace std::chrono_literals;
using json = nlohmann::json;

constexpr const char* kSerial = "6892850";
constexpr const char* kRootPass = "admin-secret-1";
constexpr const char* kSecret = "0123456789abcdef-webhook";

std::int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const std::string kSampleText =
    "heap=1000&t1=70.50 C&t2=40.25 C&tdif=30.25 K&flow1=100 l/h&effect1=3.5 kW&hr=1200 h&"
    "v1=321.50 m3&e1=12345.678 kWh&";

std::unique_ptr<Process> start_peer(const TempDir& dir, const std::string& mode, int port) {
  auto p =
      std::make_unique<Process>(std::vector<std::string>{ML_SYSTEM_PYTHON, ML_NOTIFY_PEER, mode,
                                                         std::to_string(port), dir.path().string()},
                                dir.file(mode + "-peer.log"));
  EXPECT_TRUE(wait_for_port(port)) << p->log();
  return p;
}

// The records a peer wrote: mail-0, mail-1, ... (or http-).
std::vector<json> received(const TempDir& dir, const std::string& prefix) {
  std::vector<json> out;
  for (int i = 0;; ++i) {
    const std::string text = read_text_file(dir.file(prefix + std::to_string(i)));
    if (text.empty()) return out;
    out.push_back(json::parse(text));
  }
}

TEST(ServerDashboardBrowser, AlarmLifecycle) {
  TempDir dir;
  Broker broker(dir);
  broker.start();
  const int http_port = free_port();
  const int smtp_port = free_port();
  const int hook_port = free_port();
  const std::string config = dir.file("server.toml");
  std::ofstream(config) << "log_level = \"debug\"\n[database]\npath = \"" << dir.file("server.db")
                        << "\"\n[mqtt]\nhost = \"127.0.0.1\"\nport = " << broker.port()
                        << "\n[http]\nlisten = \"127.0.0.1:" << http_port << "\"\nweb_dir = \""
                        << ML_WEB_DIR << "\"\nsecond_factor = \"off\"\n"  // tested elsewhere
                        << "[commands]\npoll_interval = 0\n"
                        << "[alarms]\ninterval = 1\n"
                        << "[notify]\nretry_initial = 1\nretry_max = 2\ninterval = 1\n"
                        << "[[notify.channel]]\nname = \"mail\"\ntype = \"email\"\n"
                        << "host = \"127.0.0.1\"\nport = " << smtp_port
                        << "\nsecurity = \"none\"\nfrom = \"meterlogger@example.org\"\n"
                        << "[[notify.channel]]\nname = \"hook\"\ntype = \"webhook\"\n"
                        << "url = \"http://127.0.0.1:" << hook_port << "/hook\"\nsecret = \""
                        << kSecret << "\"\n";
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
  // The meter, its newest sample 10 minutes old; an admin of every group and Loppen's operator.
  ASSERT_EQ(cli({"meters", "add", kSerial, "--kind", "heat", "--key", kTestKey, "--group", "Loppen",
                 "--name", "Loppen 12"})
                .status,
            0);
  server::IngestItem sample;
  sample.kind = server::IngestItem::Kind::sample;
  sample.serial = kSerial;
  sample.time = now_s() - 600;
  sample.function = "sample";
  sample.text = kSampleText;
  sample.sample = core::sample::parse_sample(kSampleText).value();
  ASSERT_TRUE(server::store_items(*store, {sample}, now_s()).ok());
  for (const auto& [name, groups] : {std::pair<std::string, std::string>{"root", "*"},
                                     std::pair<std::string, std::string>{"anna", "Loppen"}}) {
    std::ofstream(dir.file("pw-" + name)) << kRootPass << "\n";
    auto r = cli({"users", "add", name, "--role", "admin", "--groups", groups, "--password-file",
                  dir.file("pw-" + name)});
    ASSERT_EQ(r.status, 0) << r.err;
  }
  {
    auto r =
        cli({"users", "add", "bo", "--role", "viewer", "--password-file", dir.file("pw-root")});
    ASSERT_EQ(r.status, 0) << r.err;
  }

  auto smtp = start_peer(dir, "smtp", smtp_port);
  auto hook = start_peer(dir, "http", hook_port);
  Process run_server({ML_SERVER_BIN, "--config", config, "run"}, dir.file("run.log"));
  ASSERT_TRUE(wait_for_log(run_server, "ingest: connected")) << run_server.log();
  Process serve({ML_SERVER_BIN, "--config", config, "serve"}, dir.file("serve.log"));
  ASSERT_TRUE(wait_for_log(serve, kServeListening)) << serve.log();
  asio::io_context io;
  TestServer pub(io, broker.port(), kTestKey, "publisher");
  ASSERT_TRUE(run_until(io, [&] { return pub.connected(); }));

  const std::string shots = ML_SCREENSHOT_DIR "/dashboard";
  const std::string url = "http://127.0.0.1:" + std::to_string(http_port) + "/";
  Process browser({ML_NODE_BIN, std::string(ML_BROWSER_DIR) + "/alarms.mjs", url, "root", kRootPass,
                   "anna", kSerial, shots, "bo", kRootPass},
                  dir.file("browser.out"), dir.file("browser.err"));
  // Once the browser has acknowledged the alarm, the meter reports again: the condition is over.
  const bool acked = wait_until(
      [&] {
        return count("SELECT COUNT(*) FROM alarm_transitions WHERE to_status='acknowledged'") > 0 ||
               !browser.running();
      },
      scaled(180s), 200ms);
  ASSERT_TRUE(acked) << read_text_file(dir.file("browser.err")) << run_server.log();
  const std::int64_t fresh = now_s();
  const std::string topic = "/sample/v2/" + std::string(kSerial) + "/" + std::to_string(fresh);
  const auto keys = core::envelope::derive_keys_from_hex(kTestKey).value();
  pub.publish_raw(
      topic,
      platform::seal_random(keys, topic, kSampleText, core::envelope::Padding::pkcs7).value());
  const auto status = browser.wait(scaled(240s));
  const std::string out = read_text_file(dir.file("browser.out"));
  ASSERT_TRUE(status.has_value()) << "the browser test did not end\n" << out;
  ASSERT_EQ(*status, 0) << out << read_text_file(dir.file("browser.err")) << run_server.log()
                        << serve.log();
  const auto seen = json::parse(out);
  EXPECT_TRUE(seen["ok"].get<bool>());
  EXPECT_EQ(seen["canonical"], "age > 2 min");
  EXPECT_EQ(seen["viewerChecked"], true) << out;
  EXPECT_EQ(count("SELECT time FROM samples WHERE serial='" + std::string(kSerial) +
                  "' ORDER BY time DESC LIMIT 1"),
            fresh)
      << "the published sample was ingested";

  // The e-mail went to the operator the browser gave an address, the webhook to the receiver.
  ASSERT_TRUE(wait_for_path(dir.file("mail-0"))) << run_server.log();
  const auto mails = received(dir, "mail-");
  EXPECT_EQ(mails.at(0)["to"], json::array({"anna@example.org"}));
  EXPECT_NE(mails.at(0)["data"].get<std::string>().find(kSerial), std::string::npos);
  ASSERT_TRUE(wait_for_path(dir.file("http-0"))) << run_server.log();
  const auto hooks = received(dir, "http-");
  const auto body = json::parse(hooks.at(0)["body"].get<std::string>());
  EXPECT_EQ(body["serial"], kSerial);
  EXPECT_NE(hooks.at(0)["headers"]["X-MeterLogger-Signature"].get<std::string>().find("sha256="),
            std::string::npos);

  // The lifecycle the browser showed is the database's, and each change is audited once.
  const std::string episode = seen["episode"];
  for (const char* to : {"raised", "notified", "cleared"}) {
    EXPECT_EQ(count("SELECT COUNT(*) FROM alarm_transitions WHERE episode=" + episode +
                    " AND to_status='" + to + "' AND actor=''"),
              1)
        << to << " by the engine";
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM alarm_transitions WHERE episode=" + episode +
                  " AND actor='root' AND note LIKE 'snoozed until %'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alarm_transitions WHERE episode=" + episode +
                  " AND to_status='acknowledged' AND actor='root' AND note='plumber called'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM alarm_rules"), 2) << "the template and the written rule";
  for (const char* action : {"alarm.ack", "alarm.snooze", "user.contact"}) {
    EXPECT_EQ(count(std::string("SELECT COUNT(*) FROM admin_audit WHERE actor='root' AND "
                                "action='") +
                    action + "'"),
              1)
        << action;
  }
  EXPECT_EQ(count("SELECT COUNT(*) FROM admin_audit WHERE actor='root' AND action='rule.add'"), 2);
  EXPECT_EQ(count("SELECT COUNT(*) FROM admin_audit WHERE actor='root' AND action='rule.edit'"), 1);
  EXPECT_EQ(count("SELECT repeat_s FROM alarm_rules WHERE name='stale'"), 7200);
  EXPECT_EQ(count("SELECT COUNT(*) FROM users WHERE name='anna' AND email='anna@example.org' AND "
                  "phone='+4512345678'"),
            1);
  EXPECT_EQ(count("SELECT COUNT(*) FROM meters WHERE contact_email='kunde@example.org'"), 1);
  for (const char* shot : {"rules", "alarms", "meter-alarms", "notifications"}) {
    for (const char* size : {"", "-phone"}) {
      const std::string file = shots + "/" + shot + size + ".png";
      EXPECT_GT(std::filesystem::file_size(file), 10000u) << file;
    }
  }
  EXPECT_EQ(serve.stop(), 0) << serve.log();
  EXPECT_EQ(run_server.stop(), 0) << run_server.log();
}

}  // namespace
}  // namespace ml::test::alarm_browser
