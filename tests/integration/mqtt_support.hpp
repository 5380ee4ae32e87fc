// Test support for MQTT: a real mosquitto broker on a free loopback port, a TCP proxy that can
// cut or stall connections between a client and the broker, TLS certificates made with the
// openssl command, and a helper that runs an io_context until a condition holds.
#pragma once

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness.hpp"

namespace ml::test {

inline constexpr const char* kMosquittoBin = ML_MOSQUITTO_BIN;

struct BrokerOptions {
  bool persistence = false;
  std::string password_file;  // allow_anonymous false when set
  // TLS listener when cert_file is set.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  bool require_certificate = false;  // clients must show a certificate from ca_file
};

// One mosquitto process with its configuration, log and database in `dir`. The port stays the
// same across stop() and start().
class Broker {
 public:
  Broker(const TempDir& dir, BrokerOptions options = {});
  // A configuration of the caller's own, which must listen on 127.0.0.1:port.
  Broker(const TempDir& dir, int port, const std::string& config);
  ~Broker();
  Broker(const Broker&) = delete;
  Broker& operator=(const Broker&) = delete;

  int port() const { return port_; }
  // Starts mosquitto and waits until it accepts connections; throws when it does not.
  void start();
  // SIGTERM (mosquitto saves its database when persistence is on) and wait.
  void stop();
  // SIGKILL: a crash, nothing saved.
  void kill();
  bool running() const { return process_ != nullptr; }
  std::string log() const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  std::string conf_;
  std::string log_path_;
  int port_ = 0;
  std::unique_ptr<Process> process_;
};

// Runs `io` until `done()` is true or `timeout` passes; returns done().
bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout = scaled(std::chrono::seconds(10)));
// Runs `io` for `duration`: for a test that deliberately lets time pass (not scaled).
void run_for(asio::io_context& io, std::chrono::milliseconds duration);

// A TCP proxy on 127.0.0.1 towards 127.0.0.1:target_port, run by the test's io_context.
class TcpProxy {
 public:
  TcpProxy(asio::io_context& io, int target_port);
  ~TcpProxy();
  TcpProxy(const TcpProxy&) = delete;
  TcpProxy& operator=(const TcpProxy&) = delete;

  int port() const { return port_; }
  // Closes every connection on both sides without a word: the client sees its connection end,
  // the broker sees a client vanish (and publishes its will).
  void cut();
  // While held, bytes from the broker are kept back (the client gets no acknowledgements).
  void hold_replies(bool hold);
  // While refusing, new connections are closed at once.
  void refuse(bool refuse);
  int accepted() const { return accepted_; }

  struct Session;

 private:
  void accept();

  asio::io_context& io_;
  asio::ip::tcp::acceptor acceptor_;
  int target_port_;
  int port_ = 0;
  int accepted_ = 0;
  bool refuse_ = false;
  std::shared_ptr<bool> hold_;
  std::vector<std::weak_ptr<Session>> sessions_;
};

// A CA and a server certificate for "localhost" / 127.0.0.1, made with the openssl command; the
// certificate is valid for `days` (-1: it expired yesterday).
struct TestCerts {
  std::string ca_file;
  std::string ca_key;
  std::string cert_file;
  std::string key_file;
};
TestCerts make_certs(const TempDir& dir, const std::string& prefix, int days = 2);
// A client certificate for `name` signed by the CA of `ca` (ca_file stays that CA).
TestCerts make_client_cert(const TempDir& dir, const TestCerts& ca, const std::string& name);

// Creates a mosquitto password file with one user.
std::string make_password_file(const TempDir& dir, const std::string& user,
                               const std::string& password);

}  // namespace ml::test
