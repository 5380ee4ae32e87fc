// Trusting the transport less (docs/security.md, docs/mqtt.md "TLS"): the server's broker
// connections over TLS with client certificates, against a real mosquitto and certificates made
// by the test with openssl; a wrong CA, an expired certificate and a certificate for another name
// are refused with the reason.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <sstream>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
#include "platform/mqtt/client.hpp"
#include "server/broker_control.hpp"
#include "server_support.hpp"

namespace ml::test {
namespace {

using namespace std::chrono_literals;

// [mqtt.tls] with the CA and, when it has one, the client certificate of `certs`.
std::string tls_table(const TestCerts& certs, bool client_certificate) {
  std::string t = "[mqtt.tls]\nca_file = \"" + certs.ca_file + "\"\n";
  if (client_certificate) {
    t += "cert_file = \"" + certs.cert_file + "\"\nkey_file = \"" + certs.key_file + "\"\n";
  }
  return t;
}

// A line of `check`'s report that starts with `level` and holds `part`.
bool has_line(const std::string& out, const std::string& level, const std::string& part) {
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(level, 0) == 0 && line.find(part) != std::string::npos) return true;
  return false;
}

// The start of a mosquitto.conf: as root, mosquitto stays root (the test's files are ours).
std::string conf_start(bool anonymous = true) {
  return std::string(::geteuid() == 0 ? "user root\n" : "") + "allow_anonymous " +
         (anonymous ? "true" : "false") + "\n";
}

// mosquitto.conf lines for a TLS listener with `certs`.
std::string tls_listener(int port, const std::string& address, const TestCerts& certs) {
  return "listener " + std::to_string(port) + " " + address + "\ncafile " + certs.ca_file +
         "\ncertfile " + certs.cert_file + "\nkeyfile " + certs.key_file + "\n";
}

TEST(ServerTls, IngestCommandsAndCheckRunOverTlsWithClientCertificates) {
  TempDir dir;
  const TestCerts broker_certs = make_certs(dir, "broker");
  BrokerOptions bo;
  bo.ca_file = broker_certs.ca_file;
  bo.cert_file = broker_certs.cert_file;
  bo.key_file = broker_certs.key_file;
  bo.require_certificate = true;
  Broker broker(dir, bo);
  const auto config = write_server_config(
      dir, broker.port(),
      tls_table(make_client_cert(dir, broker_certs, "meterlogger-server"), true));
  add_test_meter(config);
  auto server = start_server(dir, config);
  Emulator meter(dir, "kmp", {"--serial", "6892850", "--freeze", "--start-energy", "12345"});
  auto agent = start_agent(
      dir, write_agent_config(dir, broker.port(), {serial_meter("kmp", meter.link(), 60)},
                              tls_table(make_client_cert(dir, broker_certs, "gateway"), true)));
  EXPECT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples WHERE serial = '6892850'", 1))
      << server->log() << agent->log();
  // The command sender's connection (libmosquitto) goes over TLS as well.
  auto version = server_cli(config, {"send", "6892850", "version", "--wait", "--timeout",
                                     std::to_string(scaled(30s).count() / 1000)});
  EXPECT_EQ(version.status, 0) << version.err << server->log();
  EXPECT_EQ(version.out.find("linux"), 0u) << version.out;
  auto check = server_cli(config, {"check"});
  EXPECT_TRUE(has_line(check.out, "ok",
                       "connected to 127.0.0.1:" + std::to_string(broker.port()) + " over TLS"))
      << check.out;
  // The broker requires a client certificate: the same CA without one is turned away.
  const auto anonymous = write_server_config(dir, broker.port(), tls_table(broker_certs, false));
  auto refused = server_cli(anonymous, {"check"});
  EXPECT_TRUE(has_line(refused.out, "error", "127.0.0.1:" + std::to_string(broker.port())))
      << refused.out;
}

// One broker with two TLS listeners, 127.0.0.1 (named in its certificate) and 127.0.0.2 (not),
// and one whose certificate expired yesterday.
TEST(ServerTls, AWrongCaAnExpiredCertificateAndAnotherNameAreRefusedWithTheReason) {
  TempDir dir;
  const TestCerts good = make_certs(dir, "good");
  const TestCerts stranger = make_certs(dir, "stranger");
  const TestCerts expired = make_certs(dir, "expired", -1);
  TempDir good_dir;
  const int port = free_port();
  const int other_port = free_port();
  Broker broker(good_dir, port,
                conf_start() + tls_listener(port, "127.0.0.1", good) +
                    tls_listener(other_port, "127.0.0.2", good));
  TempDir expired_dir;
  const int expired_port = free_port();
  Broker old_broker(expired_dir, expired_port,
                    conf_start() + tls_listener(expired_port, "127.0.0.1", expired));

  struct Case {
    std::string name, host;
    int port;
    const TestCerts& ca;
    std::string reason;
  };
  const Case cases[] = {
      {"a wrong CA", "127.0.0.1", port, stranger, "does not chain to the CA given"},
      {"an expired certificate", "127.0.0.1", expired_port, expired, "certificate has expired"},
      {"another name", "127.0.0.2", other_port, good,
       "the broker's certificate does not name 127.0.0.2"},
  };
  for (const Case& c : cases) {
    TempDir case_dir;
    std::string config = write_server_config(case_dir, c.port, tls_table(c.ca, false));
    {  // the host of the case
      std::ifstream in(config);
      std::stringstream text;
      text << in.rdbuf();
      std::string s = text.str();
      s.replace(s.find("host = \"127.0.0.1\""), 18, "host = \"" + c.host + "\"");
      std::ofstream(config) << s;
    }
    auto check = server_cli(config, {"check"});
    EXPECT_EQ(check.status, 1) << c.name;
    const std::string failed =
        "TLS handshake with " + c.host + ":" + std::to_string(c.port) + " failed: ";
    EXPECT_TRUE(has_line(check.out, "error", failed)) << c.name << "\n" << check.out;
    EXPECT_TRUE(has_line(check.out, "error", c.reason)) << c.name << "\n" << check.out;
    // `run` says the same in its log, and keeps trying.
    ASSERT_EQ(server_cli(config, {"migrate"}).status, 0);
    auto server = start_server(case_dir, config, "TLS handshake with");
    EXPECT_TRUE(wait_for_log(*server, c.reason)) << c.name << "\n" << server->log();
  }
  // The good CA on the named listener is accepted.
  TempDir ok_dir;
  auto ok = server_cli(write_server_config(ok_dir, port, tls_table(good, false)), {"check"});
  EXPECT_TRUE(has_line(ok.out, "ok", "over TLS")) << ok.out;
}

// ---- per-device logins (mosquitto's dynamic security plugin) -----------------------------------

// One MQTT connection as a device (or the server) makes it, and what it saw.
struct Client {
  Client(asio::io_context& io, int port, const std::string& user, const std::string& password,
         const std::string& client_id)
      : client(io.get_executor(), [&] {
          platform::MqttOptions o;
          o.port = port;
          o.client_id = client_id;
          o.clean_session = true;
          if (!user.empty()) o.username = user;
          if (!password.empty()) o.password = password;
          o.backoff.initial = std::chrono::milliseconds(200);
          o.backoff.max = std::chrono::milliseconds(400);
          return o;
        }()) {
    client.on_connected([this](bool) { ++connects; });
    client.on_disconnected(
        [this](const platform::MqttDisconnect& d) { downs.push_back(d.reason); });
    client.on_message([this](const platform::MqttMessage& m) { topics.push_back(m.topic); });
  }
  bool saw(const std::string& topic) const {
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  }
  platform::MqttClient client;
  int connects = 0;
  std::vector<std::string> downs;
  std::vector<std::string> topics;
};

// The password `meters add --broker-login` / `meters login` printed.
std::string printed_password(const std::string& out) {
  const auto at = out.find("password ");
  if (at == std::string::npos) return "";
  return out.substr(at + 9, out.find('\n', at) - at - 9);
}

TEST(BrokerLogins, ADeviceIsConfinedToItsOwnTopicsAndARemovedMeterCannotConnect) {
  TempDir dir;
  const std::string dynsec = dir.file("dynamic-security.json");
  auto init = run({ML_MOSQUITTO_CTRL, "dynsec", "init", dynsec, "server", "s3cret"});
  ASSERT_EQ(init.status, 0) << init.out << init.err;
  const int port = free_port();
  Broker broker(dir, port,
                conf_start(false) + "per_listener_settings false\nlistener " +
                    std::to_string(port) + " 127.0.0.1\nplugin " + ML_DYNSEC_PLUGIN +
                    "\nplugin_opt_config_file " + dynsec + "\nlog_dest file " +
                    dir.file("mosquitto.log") + "\n");
  const std::string password_file = dir.file("mqtt.pw");
  std::ofstream(password_file) << "s3cret\n";
  ::chmod(password_file.c_str(), 0600);
  const std::string legacy_file = dir.file("esp8266.pw");
  std::ofstream(legacy_file) << "chah5Kai\n";
  const auto config = write_server_config(
      dir, port, "",
      "username = \"server\"\npassword_file = \"" + password_file + "\"\nlogins = \"dynsec\"\n");

  // `check` sees the plugin but not yet the server's role.
  auto before = server_cli(config, {"check"});
  EXPECT_TRUE(has_line(before.out, "error",
                       "does not have the role meterlogger-server: run "
                       "`meterlogger-server broker setup`"))
      << before.out;
  // Once per broker; again changes nothing.
  auto setup = server_cli(config, {"broker", "setup", "--legacy-password-file", legacy_file});
  ASSERT_EQ(setup.status, 0) << setup.out << setup.err;
  EXPECT_NE(setup.out.find("role meterlogger-server: created"), std::string::npos) << setup.out;
  EXPECT_NE(setup.out.find("login server: given role meterlogger-server"), std::string::npos);
  auto again = server_cli(config, {"broker", "setup"});
  ASSERT_EQ(again.status, 0) << again.err;
  EXPECT_NE(again.out.find("role meterlogger-server: exists"), std::string::npos) << again.out;
  EXPECT_NE(again.out.find("login server: has role"), std::string::npos) << again.out;
  EXPECT_EQ(again.out.find("new ACLs"), std::string::npos) << again.out;
  {
    // A role made by an older version lacks a newer reply function's subscription: setup adds it.
    server::ServerMqttConfig mqtt;
    mqtt.port = port;
    mqtt.username = "server";
    mqtt.password = "s3cret";
    // (Changing a role disconnects its logins, this one too: the answer may not come.)
    (void)server::broker_control(mqtt,
                                 {{{"command", "removeRoleACL"},
                                   {"rolename", "meterlogger-server"},
                                   {"acltype", "subscribePattern"},
                                   {"topic", "/resend/v2/#"}}},
                                 scaled(2s));
    auto upgraded = server_cli(config, {"broker", "setup"});
    ASSERT_EQ(upgraded.status, 0) << upgraded.err;
    EXPECT_NE(upgraded.out.find("role meterlogger-server: 1 new ACLs"), std::string::npos)
        << upgraded.out;
  }

  std::map<std::string, std::string> passwords;
  for (const std::string serial : {"1111111", "2222222"}) {
    auto add = server_cli(
        config, {"meters", "add", serial, "--kind", "heat", "--key", kTestKey, "--broker-login"});
    ASSERT_EQ(add.status, 0) << add.err;
    passwords[serial] = printed_password(add.out);
    ASSERT_EQ(passwords[serial].size(), 32u) << add.out;
  }
  auto checked = server_cli(config, {"check"});
  EXPECT_TRUE(has_line(checked.out, "ok", "has the role meterlogger-server; 2 device logins"))
      << checked.out;
  // The server's `run` logs in with its role: ingest subscribes to every device topic.
  auto server = start_server(dir, config);

  asio::io_context io;
  Client observer(io, port, "server", "s3cret", "observer");  // the server's login
  ASSERT_TRUE(observer.client.subscribe("/+/v2/#", 1).ok());
  ASSERT_TRUE(observer.client.start().ok());
  Client device(io, port, "1111111", passwords["1111111"], "1111111");
  ASSERT_TRUE(device.client.subscribe("/config/v2/1111111/#", 1).ok());
  ASSERT_TRUE(device.client.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return observer.connects == 1 && device.connects == 1; }))
      << broker.log();

  // Another device's commands: the broker refuses the subscription.
  ASSERT_TRUE(device.client.subscribe("/config/v2/2222222/#", 1).ok());
  ASSERT_TRUE(run_until(io, [&] {
    return device.client.stats().last_error.find("refused") != std::string::npos;
  })) << device.client.stats().last_error;
  EXPECT_NE(device.client.stats().last_error.find("/config/v2/2222222/#"), std::string::npos);
  // Publishing under another serial, or a command (even to itself), goes nowhere; its own sample
  // arrives, after them on the same connection.
  const core::Bytes payload{1, 2, 3};
  ASSERT_TRUE(device.client.publish("/sample/v2/2222222/1700000000", payload, 1, false).ok());
  ASSERT_TRUE(device.client.publish("/config/v2/1111111/1700000000/open", payload, 1, false).ok());
  ASSERT_TRUE(device.client.publish("/sample/v2/1111111/1700000000", payload, 1, false).ok());
  ASSERT_TRUE(run_until(io, [&] { return observer.saw("/sample/v2/1111111/1700000000"); }));
  EXPECT_FALSE(observer.saw("/sample/v2/2222222/1700000000"));
  EXPECT_FALSE(observer.saw("/config/v2/1111111/1700000000/open"));
  // The server's login may send commands; the device gets its own.
  ASSERT_TRUE(
      observer.client.publish("/config/v2/1111111/1700000001/ping", payload, 1, false).ok());
  EXPECT_TRUE(run_until(io, [&] { return device.saw("/config/v2/1111111/1700000001/ping"); }));
  // The agent logs in as its meter ([meter.broker]) and its samples are stored.
  const std::string meter_pw = dir.file("2222222.pw");
  std::ofstream(meter_pw) << passwords["2222222"] << "\n";
  ::chmod(meter_pw.c_str(), 0600);
  Emulator meter(dir, "kmp", {"--serial", "2222222", "--freeze", "--start-energy", "100"});
  AgentMeter am = serial_meter("kmp", meter.link(), 60);
  am.extra = "[meter.broker]\npassword_file = \"" + meter_pw + "\"\n";
  auto agent = start_agent(dir, write_agent_config(dir, port, {am}));
  EXPECT_TRUE(wait_count(dir, "SELECT COUNT(*) FROM samples WHERE serial = '2222222'", 1))
      << agent->log() << server->log();
  // Its login with another client id is refused.
  Client other_id(io, port, "1111111", passwords["1111111"], "not-the-serial");
  ASSERT_TRUE(other_id.client.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return !other_id.downs.empty(); }));
  EXPECT_NE(other_id.downs[0].find("not authorised"), std::string::npos) << other_id.downs[0];
  other_id.client.stop();

  // Removing the meter removes its login: the device is disconnected and cannot come back.
  auto removed = server_cli(config, {"meters", "remove", "1111111"});
  ASSERT_EQ(removed.status, 0) << removed.err;
  EXPECT_NE(removed.out.find("removed its broker login"), std::string::npos) << removed.out;
  ASSERT_TRUE(run_until(io, [&] {
    for (const auto& d : device.downs)
      if (d.find("not authorised") != std::string::npos) return true;
    return false;
  })) << ::testing::PrintToString(device.downs);
  EXPECT_EQ(device.connects, 1);
  device.client.stop();

  // A login whose meter is not registered (made behind the registry's back) is found by sync.
  server::ServerMqttConfig mqtt;
  mqtt.port = port;
  mqtt.username = "server";
  mqtt.password = "s3cret";
  auto stray = server::create_device_login(mqtt, "3333333", scaled(10s));
  ASSERT_TRUE(stray.ok()) << stray.error().message();
  auto dry = server_cli(config, {"broker", "sync", "--dry-run"});
  ASSERT_EQ(dry.status, 0) << dry.err;
  EXPECT_NE(dry.out.find("would remove the login of 3333333"), std::string::npos) << dry.out;
  EXPECT_EQ(dry.out.find("2222222"), std::string::npos) << dry.out;
  auto sync = server_cli(config, {"broker", "sync"});
  EXPECT_NE(sync.out.find("removed the login of 3333333"), std::string::npos) << sync.out;
  Client gone(io, port, "3333333", *stray, "3333333");
  ASSERT_TRUE(gone.client.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return !gone.downs.empty(); }));
  EXPECT_NE(gone.downs[0].find("not authorised"), std::string::npos) << gone.downs[0];
  gone.client.stop();
  // `run` does the same at start (and every 5 minutes).
  auto stray_again = server::create_device_login(mqtt, "4444444", scaled(10s));
  ASSERT_TRUE(stray_again.ok()) << stray_again.error().message();
  server->stop();
  server = start_server(dir, config);
  EXPECT_TRUE(wait_for_log(*server, "broker logins: removed the login of 4444444"))
      << server->log();
  observer.client.stop();
  EXPECT_EQ(server->log().find("refused"), std::string::npos) << server->log();
}

// ---- the broker's own account ($SYS) ---------------------------------------------------------

// A broker with a small queue drops messages for the server while it is away; `run` hears it on
// $SYS, warns with what to change, and keeps the count for GET /metrics.
TEST(BrokerWatch, ABrokerDroppingMessagesIsWarnedOf) {
  TempDir dir;
  const int port = free_port();
  Broker broker(dir, port,
                conf_start() + "listener " + std::to_string(port) +
                    " 127.0.0.1\nsys_interval 1\nmax_queued_messages 5\nlog_dest file " +
                    dir.file("mosquitto.log") + "\n");
  const auto config = write_server_config(dir, port);
  add_test_meter(config);
  auto server = start_server(dir, config);  // the broker keeps its session from now on
  server->stop();
  asio::io_context io;
  Client device(io, port, "", "", "6892850");
  ASSERT_TRUE(device.client.start().ok());
  ASSERT_TRUE(run_until(io, [&] { return device.connects == 1; }));
  int acked = 0;
  const core::Bytes payload{1, 2, 3};
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(device.client
                    .publish("/sample/v2/6892850/" + std::to_string(1700000000 + i), payload, 1,
                             false, [&](bool ok) { acked += ok ? 1 : 0; })
                    .ok());
  }
  ASSERT_TRUE(run_until(io, [&] { return acked == 20; }));
  device.client.stop();
  server = start_server(dir, config);
  EXPECT_TRUE(wait_for_log(*server, "broker: mosquitto dropped 15 messages")) << server->log();
  EXPECT_TRUE(wait_count(dir, "SELECT value FROM counters WHERE name = 'broker_dropped'", 15));
}

}  // namespace
}  // namespace ml::test
