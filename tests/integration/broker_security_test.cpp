// Trusting the transport less (docs/security.md, docs/mqtt.md "TLS"): the server's broker
// connections over TLS with client certificates, against a real mosquitto and certificates made
// by the test with openssl; a wrong CA, an expired certificate and a certificate for another name
// are refused with the reason.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "agent_support.hpp"
#include "emulator.hpp"
#include "mqtt_support.hpp"
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
std::string conf_start() {
  return ::geteuid() == 0 ? "user root\nallow_anonymous true\n" : "allow_anonymous true\n";
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
    auto server = start_server(case_dir, config, "ingest: TLS handshake with");
    EXPECT_TRUE(wait_for_log(*server, c.reason)) << c.name << "\n" << server->log();
  }
  // The good CA on the named listener is accepted.
  TempDir ok_dir;
  auto ok = server_cli(write_server_config(ok_dir, port, tls_table(good, false)), {"check"});
  EXPECT_TRUE(has_line(ok.out, "ok", "over TLS")) << ok.out;
}

}  // namespace
}  // namespace ml::test
