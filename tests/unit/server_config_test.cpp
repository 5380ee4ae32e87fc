// The server's configuration file: defaults, the packaged example, errors naming the key.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "server/config.hpp"
#include "sim_support.hpp"

namespace ml::server {
namespace {

constexpr std::string_view kMinimalServer = R"([database]
path = "/var/lib/meterlogger/server.db"       # SQLite
[mqtt]
host = "127.0.0.1"
port = 1883
[http]
listen = "127.0.0.1:8080"
)";

TEST(ServerConfig, MinimalFileWorksAsIs) {
  auto c = parse_server_config(kMinimalServer, "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->database.path, "/var/lib/meterlogger/server.db");
  EXPECT_EQ(c->mqtt.port, 1883);
  EXPECT_EQ(c->mqtt.client_id, "meterlogger-server");
  EXPECT_EQ(c->http.host, "127.0.0.1");
  EXPECT_EQ(c->http.port, 8080);
  EXPECT_EQ(c->ingest.max_future_s, 600);
}

TEST(ServerConfig, APostgresqlUrlChoosesThatBackendAndItsPasswordIsNeverShown) {
  const std::string rest(kMinimalServer.substr(kMinimalServer.find("[mqtt]")));
  auto pg = parse_server_config(
      "[database]\nurl = \"postgresql://ml@db.example:5432/meterlogger\"\n" + rest, "s.toml");
  ASSERT_TRUE(pg.ok()) << pg.error().message();
  EXPECT_EQ(pg->database.url, "postgresql://ml@db.example:5432/meterlogger");
  EXPECT_EQ(pg->database.name(), "postgresql://ml@db.example:5432/meterlogger");
  auto secret = parse_server_config(
      "[database]\nurl = \"postgres://ml:s3cret@db/m?password=s3cret\"\n" + rest, "s.toml");
  ASSERT_TRUE(secret.ok()) << secret.error().message();
  EXPECT_EQ(secret->database.name(), "postgres://ml:***@db/m?password=***");

  auto both = parse_server_config(
      "[database]\npath = \"x.db\"\nurl = \"postgresql://db/m\"\n" + rest, "s.toml");
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message().find("either path (SQLite) or url (PostgreSQL)"),
            std::string::npos)
      << both.error().message();
  auto mysql = parse_server_config("[database]\nurl = \"mysql://u:pw@db/m\"\n" + rest, "s.toml");
  ASSERT_FALSE(mysql.ok());
  EXPECT_NE(mysql.error().message().find("database.url"), std::string::npos);
  EXPECT_NE(mysql.error().message().find("mysql://u:***@db/m"), std::string::npos)
      << mysql.error().message();
  EXPECT_EQ(mysql.error().message().find("pw"), std::string::npos);
}

TEST(ServerConfig, DaysArePackedAWeekAfterByDefaultAndNeverSoonerThanTwoDays) {
  EXPECT_EQ(parse_server_config(kMinimalServer, "s.toml").value().database.pack_after_days, 7);
  const std::string rest(kMinimalServer.substr(kMinimalServer.find("[mqtt]")));
  auto with = [&](const std::string& days) {
    return parse_server_config(
        "[database]\npath = \"x.db\"\npack_after_days = " + days + "\n" + rest, "s.toml");
  };
  EXPECT_EQ(with("0").value().database.pack_after_days, 0);
  EXPECT_EQ(with("30").value().database.pack_after_days, 30);
  auto soon = with("1");
  ASSERT_FALSE(soon.ok());
  EXPECT_NE(soon.error().message().find("database.pack_after_days: must be 0 (never pack) or 2 or "
                                        "more"),
            std::string::npos)
      << soon.error().message();
}

TEST(ServerConfig, MetricsAreOnWithoutATokenByDefault) {
  auto c = parse_server_config(kMinimalServer, "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_TRUE(c->http.metrics);
  EXPECT_EQ(c->http.metrics_token, "");
  std::string text(kMinimalServer);
  auto set =
      parse_server_config(text + "metrics = false\nmetrics_token = \"t0k3n-abc\"\n", "s.toml");
  ASSERT_TRUE(set.ok()) << set.error().message();
  EXPECT_FALSE(set->http.metrics);
  EXPECT_EQ(set->http.metrics_token, "t0k3n-abc");
  auto spaced = parse_server_config(text + "metrics_token = \"a b\"\n", "s.toml");
  ASSERT_FALSE(spaced.ok());
  EXPECT_NE(spaced.error().message().find("http.metrics_token"), std::string::npos)
      << spaced.error().message();
  EXPECT_EQ(spaced.error().message().find("a b"), std::string::npos) << "the token is not shown";
}

TEST(ServerConfig, AnInlinePasswordInAFileEveryoneReadsIsAWarning) {
  test::TempDir dir;
  const std::string path = dir.file("server.toml");
  std::string text(kMinimalServer);
  text.insert(text.find("port = 1883") + 12, "username = \"server\"\npassword = \"s3cret\"\n");
  std::ofstream(path, std::ios::trunc) << text;
  ::chmod(path.c_str(), 0644);
  auto c = load_server_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_EQ(c->warnings.size(), 1u);
  EXPECT_NE(c->warnings[0].find("readable by everyone"), std::string::npos) << c->warnings[0];
  EXPECT_EQ(c->warnings[0].find("s3cret"), std::string::npos) << "never the secret itself";
  ::chmod(path.c_str(), 0600);
  EXPECT_TRUE(load_server_config(path).value().warnings.empty());
}

TEST(ServerConfig, ThePackagedExampleIsValid) {
  const std::string path = std::string(ML_TEST_DATA_DIR) + "/../../packaging/server.toml";
  auto c = load_server_config(path);
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->commands.poll_interval_s, 600);
  EXPECT_EQ(c->ingest.min_time, 1420070400);
  EXPECT_EQ(c->alarms.interval_s, 60);
  EXPECT_EQ(c->gaps.max_requests, 1000);
}

TEST(ServerConfig, ErrorsNameTheKeyAndTheProblem) {
  const std::pair<std::string, std::string> bad[] = {
      {"[mqtt]\nhost=\"h\"\n", "database: required"},
      {"[database]\npath=\"x.db\"\n", "mqtt: required"},
      {"[database]\npath=\"x.db\"\n[mqtt]\nport=0\n", "mqtt.port: must be between 1 and 65535"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[mqtt.tls]\n", "mqtt.tls.ca_file: required for TLS"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[http]\nlisten=\"8080\"\n", "http.listen: must be"},
      {"[database]\npath=\"x.db\"\n[mqtt]\nhots=\"h\"\n", "mqtt.hots: unknown setting"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[ingest]\nbatch_max=0\n", "ingest.batch_max"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[commands]\nretry_initial=60\nretry_max=10\n",
       "commands.retry_max: must not be below"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[alarms]\ninterval=-1\n", "alarms.interval"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[alarms]\nevery=5\n", "alarms.every: unknown"},
      {"[database]\npath=\"x.db\"\n[mqtt]\n[gaps]\nmax_requests=0\n", "gaps.max_requests"},
      {"[database\n", "s.toml:1:"},
  };
  for (const auto& [text, message] : bad) {
    auto r = parse_server_config(text, "s.toml");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.error().detail.rfind(message, 0), 0u) << r.error().detail;
  }
}

// [mqtt.tls]: the agent's keys, paths from the file's folder; [homeassistant] on the same broker
// (no host of its own) uses it too, unless it has a [homeassistant.tls] of its own.
TEST(ServerConfig, MqttTlsIsReadAndTheSameBrokersHomeAssistantUsesIt) {
  const std::string tls =
      "[mqtt.tls]\nca_file = \"ca.pem\"\ncert_file = \"/etc/s.crt\"\n"
      "key_file = \"s.key\"\n";
  auto c = parse_server_config(
      std::string(kMinimalServer) + tls + "[homeassistant]\nenabled = true\ngroups = [\"a\"]\n",
      "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  ASSERT_TRUE(c->mqtt.tls);
  EXPECT_EQ(c->mqtt.tls->ca_file, "/etc/meterlogger/ca.pem");
  EXPECT_EQ(c->mqtt.tls->cert_file, "/etc/s.crt");
  EXPECT_EQ(c->mqtt.tls->key_file, "/etc/meterlogger/s.key");
  ASSERT_TRUE(c->homeassistant.tls);
  EXPECT_EQ(c->homeassistant.tls->ca_file, "/etc/meterlogger/ca.pem");
  auto own = parse_server_config(std::string(kMinimalServer) + tls +
                                     "[homeassistant]\ngroups = [\"a\"]\n"
                                     "[homeassistant.tls]\nca_file = \"/etc/ha-ca.pem\"\n",
                                 "/etc/meterlogger/server.toml");
  ASSERT_TRUE(own.ok()) << own.error().message();
  EXPECT_EQ(own->homeassistant.tls->ca_file, "/etc/ha-ca.pem");
  EXPECT_TRUE(own->homeassistant.tls->cert_file.empty());
  auto other = parse_server_config(std::string(kMinimalServer) + tls +
                                       "[homeassistant]\nhost = \"ha.local\"\ngroups = [\"a\"]\n",
                                   "/etc/meterlogger/server.toml");
  ASSERT_TRUE(other.ok()) << other.error().message();
  EXPECT_FALSE(other->homeassistant.tls);  // another broker: plain unless it says otherwise
}

TEST(ServerConfig, HomeAssistantIsOffByDefaultAndUsesTheServersBrokerWithoutHost) {
  auto c = parse_server_config(kMinimalServer, "/etc/meterlogger/server.toml");
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_FALSE(c->homeassistant.enabled);
  std::string text(kMinimalServer);
  text.insert(text.find("port = 1883") + 12, "username = \"server\"\npassword = \"s3cret\"\n");
  auto same = parse_server_config(text + "[homeassistant]\nenabled = true\ngroups = [\"a\"]\n",
                                  "/etc/meterlogger/server.toml");
  ASSERT_TRUE(same.ok()) << same.error().message();
  const HomeAssistantConfig& h = same->homeassistant;
  EXPECT_TRUE(h.enabled);
  EXPECT_EQ(h.host, "127.0.0.1");
  EXPECT_EQ(h.port, 1883);
  EXPECT_EQ(h.username, "server");
  EXPECT_EQ(h.password, "s3cret");
  EXPECT_EQ(h.prefix, "homeassistant");
  EXPECT_EQ(h.base_topic, "meterlogger/{serial}");
  EXPECT_EQ(h.groups, std::vector<std::string>{"a"});
  EXPECT_EQ(h.refresh_s, 60);
  EXPECT_EQ(h.queue_max, 1000);
  EXPECT_FALSE(h.heat_as_gas);
  EXPECT_FALSE(h.tls);
}

TEST(ServerConfig, AHomeAssistantPasswordFileReplacesTheServersAndAnInlineOneIsAWarning) {
  test::TempDir dir;
  const std::string pw = dir.file("ha-password");
  std::ofstream(pw) << "ha-s3cret\n";
  ::chmod(pw.c_str(), 0600);
  std::string text(kMinimalServer);
  text.insert(text.find("port = 1883") + 12, "username = \"server\"\npassword = \"s3cret\"\n");
  auto c = parse_server_config(text + "[homeassistant]\npassword_file = \"" + pw + "\"\n",
                               dir.file("server.toml"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  EXPECT_EQ(c->homeassistant.password, "ha-s3cret");
  EXPECT_FALSE(c->homeassistant.password_inline);

  const std::string path = dir.file("server.toml");
  std::ofstream(path, std::ios::trunc)
      << kMinimalServer << "[homeassistant]\nhost = \"ha\"\npassword = \"inl1ne\"\n";
  ::chmod(path.c_str(), 0644);
  auto loaded = load_server_config(path);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  ASSERT_EQ(loaded->warnings.size(), 1u);
  EXPECT_NE(loaded->warnings[0].find("homeassistant.password"), std::string::npos);
  EXPECT_EQ(loaded->warnings[0].find("inl1ne"), std::string::npos) << "the password is not shown";
}

TEST(ServerConfig, HomeAssistantSettingsAndTheirErrors) {
  test::TempDir dir;
  const std::string pw = dir.file("ha-password");
  std::ofstream(pw) << "ha-s3cret\n";
  ::chmod(pw.c_str(), 0600);
  const std::string base = std::string(kMinimalServer) + "[homeassistant]\n";
  auto c = parse_server_config(
      base +
          "enabled = true\nhost = \"ha.local\"\nport = 8883\nusername = \"ml\"\n"
          "password_file = \"" +
          pw +
          "\"\nprefix = \"ha\"\nbase_topic = \"ml/{serial}\"\nheat_as_gas = true\n"
          "groups = [\"a\", \"b\"]\nrefresh = 5\nqueue_max = 50\n[homeassistant.tls]\n"
          "ca_file = \"ca.pem\"\n",
      dir.file("server.toml"));
  ASSERT_TRUE(c.ok()) << c.error().message();
  const HomeAssistantConfig& h = c->homeassistant;
  EXPECT_EQ(h.host, "ha.local");
  EXPECT_EQ(h.port, 8883);
  EXPECT_EQ(h.username, "ml");
  EXPECT_EQ(h.password, "ha-s3cret");
  EXPECT_EQ(h.prefix, "ha");
  EXPECT_EQ(h.base_topic, "ml/{serial}");
  EXPECT_TRUE(h.heat_as_gas);
  EXPECT_EQ(h.groups, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(h.refresh_s, 5);
  EXPECT_EQ(h.queue_max, 50);
  ASSERT_TRUE(h.tls);
  EXPECT_EQ(h.tls->ca_file, dir.file("ca.pem"));

  const std::vector<std::pair<std::string, std::string>> bad = {
      {"enabled = true\n", "homeassistant.groups"},
      {"groups = [\"\"]\n", "homeassistant.groups"},
      {"base_topic = \"meterlogger/all\"\n", "homeassistant.base_topic"},
      {"base_topic = \"a/#/{serial}\"\n", "homeassistant.base_topic"},
      {"prefix = \"\"\n", "homeassistant.prefix"},
      {"port = 0\n", "homeassistant.port"},
      {"refresh = 0\n", "homeassistant.refresh"},
      {"queue_max = 1\n", "homeassistant.queue_max"},
      {"groupz = [\"a\"]\n", "groupz"},
      {"[homeassistant.tls]\ncert_file = \"c.pem\"\n", "homeassistant.tls.ca_file"},
  };
  for (const auto& [line, key] : bad) {
    auto e = parse_server_config(base + line, "s.toml");
    ASSERT_FALSE(e.ok()) << line;
    EXPECT_NE(e.error().message().find(key), std::string::npos) << e.error().message();
  }
}

}  // namespace
}  // namespace ml::server
