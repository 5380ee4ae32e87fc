#include "mqtt_support.hpp"

#include <unistd.h>

#include <array>
#include <asio/connect.hpp>
#include <asio/executor_work_guard.hpp>
#include <asio/write.hpp>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace ml::test {
namespace {

void must_run(const std::vector<std::string>& argv) {
  const RunResult r = run(argv);
  if (r.status != 0) {
    throw std::runtime_error(argv[0] + " failed (" + std::to_string(r.status) + "): " + r.err);
  }
}

}  // namespace

// ---- Broker ------------------------------------------------------------------------------------

Broker::Broker(const TempDir& dir, BrokerOptions options)
    : dir_(dir.path().string()),
      conf_(dir.file("mosquitto.conf")),
      log_path_(dir.file("mosquitto.log")),
      port_(free_port()) {
  std::ofstream conf(conf_);
  // As root, mosquitto would switch to the "mosquitto" user, which cannot write to our files.
  if (::geteuid() == 0) conf << "user root\n";
  conf << "listener " << port_ << " 127.0.0.1\n";
  if (!options.cert_file.empty()) {
    conf << "cafile " << options.ca_file << "\n"
         << "certfile " << options.cert_file << "\n"
         << "keyfile " << options.key_file << "\n";
    if (options.require_certificate) conf << "require_certificate true\n";
  }
  if (options.password_file.empty()) {
    conf << "allow_anonymous true\n";
  } else {
    conf << "allow_anonymous false\n"
         << "password_file " << options.password_file << "\n";
  }
  conf << "persistence " << (options.persistence ? "true" : "false") << "\n";
  if (options.persistence) conf << "persistence_location " << dir_ << "/\n";
  // The recommended MeterLogger settings (packaging/mosquitto/meterlogger.conf).
  conf << "max_queued_messages 0\n"
       << "max_queued_bytes 104857600\n"
       << "max_inflight_messages 1000\n"
       << "message_size_limit 65536\n"
       << "log_dest file " << log_path_ << "\n"
       << "log_type all\n";
  conf.close();
  start();
}

Broker::Broker(const TempDir& dir, int port, const std::string& config)
    : dir_(dir.path().string()),
      conf_(dir.file("mosquitto.conf")),
      log_path_(dir.file("mosquitto.log")),
      port_(port) {
  std::ofstream(conf_) << config;
  start();
}

Broker::~Broker() {
  if (process_) process_->stop(SIGKILL);
}

void Broker::start() {
  if (process_) return;
  process_ = std::make_unique<Process>(std::vector<std::string>{kMosquittoBin, "-c", conf_},
                                       dir_ + "/mosquitto.out");
  const auto deadline = std::chrono::steady_clock::now() + scaled(std::chrono::seconds(10));
  bool up = false;
  while (!up && process_->running() && std::chrono::steady_clock::now() < deadline) {
    up = wait_for_port(port_, std::chrono::milliseconds(50));
  }
  if (!up) {
    const std::string out = process_->log();
    process_.reset();
    throw std::runtime_error("mosquitto did not start on port " + std::to_string(port_) + ": " +
                             out + log());
  }
}

void Broker::stop() {
  if (!process_) return;
  process_->stop(SIGTERM);
  process_.reset();
}

void Broker::kill() {
  if (!process_) return;
  process_->stop(SIGKILL);
  process_.reset();
}

std::string Broker::log() const {
  return read_text_file(log_path_);
}

// ---- running the loop --------------------------------------------------------------------------

bool run_until(asio::io_context& io, const std::function<bool()>& done,
               std::chrono::milliseconds timeout) {
  auto guard = asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (io.stopped()) io.restart();
    // One handler at a time, so that `done` is looked at as soon as one may have made it true
    // (run_for would wait out its 5 ms: 25 s for a test publishing 5 000 messages).
    io.run_one_for(std::chrono::milliseconds(5));
  }
  return true;
}

void run_for(asio::io_context& io, std::chrono::milliseconds duration) {
  const auto end = std::chrono::steady_clock::now() + duration;
  run_until(
      io, [end] { return std::chrono::steady_clock::now() >= end; }, duration * 2);
}

// ---- TcpProxy ----------------------------------------------------------------------------------

using asio::ip::tcp;

struct TcpProxy::Session : std::enable_shared_from_this<Session> {
  Session(asio::io_context& io, tcp::socket c, std::shared_ptr<bool> hold_flag)
      : client(std::move(c)), server(io), hold(std::move(hold_flag)) {}

  tcp::socket client;
  tcp::socket server;
  std::shared_ptr<bool> hold;
  std::array<char, 16384> up{};
  std::array<char, 16384> down{};
  std::string held;
  bool parked = false;
  bool closed = false;

  void start(int port) {
    server.async_connect(
        tcp::endpoint(asio::ip::address_v4::loopback(), static_cast<unsigned short>(port)),
        [self = shared_from_this()](std::error_code ec) {
          if (ec) return self->close();
          self->pump_up();
          self->pump_down();
        });
  }

  void pump_up() {
    client.async_read_some(asio::buffer(up),
                           [self = shared_from_this()](std::error_code ec, std::size_t n) {
                             if (ec) return self->close();
                             asio::async_write(self->server, asio::buffer(self->up, n),
                                               [self](std::error_code ec2, std::size_t) {
                                                 if (ec2) return self->close();
                                                 self->pump_up();
                                               });
                           });
  }

  void pump_down() {
    server.async_read_some(asio::buffer(down),
                           [self = shared_from_this()](std::error_code ec, std::size_t n) {
                             if (ec) return self->close();
                             self->held.append(self->down.data(), n);
                             if (*self->hold) {
                               self->parked = true;
                               return;
                             }
                             self->flush();
                           });
  }

  void flush() {
    auto data = std::make_shared<std::string>(std::move(held));
    held.clear();
    asio::async_write(client, asio::buffer(*data),
                      [self = shared_from_this(), data](std::error_code ec, std::size_t) {
                        if (ec) return self->close();
                        self->pump_down();
                      });
  }

  void release() {
    if (!parked || closed) return;
    parked = false;
    flush();
  }

  void close() {
    if (closed) return;
    closed = true;
    std::error_code ec;
    client.shutdown(tcp::socket::shutdown_both, ec);
    server.shutdown(tcp::socket::shutdown_both, ec);
    client.close(ec);
    server.close(ec);
  }
};

TcpProxy::TcpProxy(asio::io_context& io, int target_port)
    : io_(io),
      acceptor_(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0)),
      target_port_(target_port),
      hold_(std::make_shared<bool>(false)) {
  port_ = acceptor_.local_endpoint().port();
  accept();
}

TcpProxy::~TcpProxy() {
  std::error_code ec;
  acceptor_.close(ec);
  cut();
}

void TcpProxy::accept() {
  acceptor_.async_accept([this](std::error_code ec, tcp::socket socket) {
    if (ec) return;  // closed
    ++accepted_;
    if (refuse_) {
      std::error_code ignored;
      socket.close(ignored);
    } else {
      auto session = std::make_shared<Session>(io_, std::move(socket), hold_);
      sessions_.push_back(session);
      session->start(target_port_);
    }
    accept();
  });
}

void TcpProxy::cut() {
  for (auto& weak : sessions_) {
    if (auto s = weak.lock()) s->close();
  }
  sessions_.clear();
}

void TcpProxy::hold_replies(bool hold) {
  *hold_ = hold;
  if (hold) return;
  for (auto& weak : sessions_) {
    if (auto s = weak.lock()) s->release();
  }
}

void TcpProxy::refuse(bool refuse) {
  refuse_ = refuse;
}

// ---- certificates and passwords ----------------------------------------------------------------

TestCerts make_certs(const TempDir& dir, const std::string& prefix, int days) {
  TestCerts certs;
  certs.ca_key = dir.file(prefix + "-ca.key");
  const std::string& ca_key = certs.ca_key;
  certs.ca_file = dir.file(prefix + "-ca.crt");
  certs.key_file = dir.file(prefix + "-server.key");
  certs.cert_file = dir.file(prefix + "-server.crt");
  const std::string csr = dir.file(prefix + "-server.csr");
  const std::string ext = dir.file(prefix + "-server.ext");
  must_run({"openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-keyout",
            ca_key,
            "-out",
            certs.ca_file,
            "-days",
            "2",
            "-subj",
            "/CN=" + prefix + " test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign"});
  must_run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", certs.key_file, "-out", csr, "-subj", "/CN=localhost"});
  {
    std::ofstream out(ext);
    out << "subjectAltName=DNS:localhost,IP:127.0.0.1\n"
        << "basicConstraints=CA:FALSE\n"
        << "extendedKeyUsage=serverAuth\n";
  }
  must_run({"openssl", "x509", "-req", "-in", csr, "-CA", certs.ca_file, "-CAkey", ca_key,
            "-CAcreateserial", "-out", certs.cert_file, "-days", std::to_string(days), "-extfile",
            ext});
  return certs;
}

TestCerts make_client_cert(const TempDir& dir, const TestCerts& ca, const std::string& name) {
  TestCerts certs = ca;
  certs.key_file = dir.file(name + "-client.key");
  certs.cert_file = dir.file(name + "-client.crt");
  const std::string csr = dir.file(name + "-client.csr");
  const std::string ext = dir.file(name + "-client.ext");
  must_run({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", certs.key_file, "-out", csr, "-subj", "/CN=" + name});
  std::ofstream(ext) << "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n";
  must_run({"openssl", "x509", "-req", "-in", csr, "-CA", ca.ca_file, "-CAkey", ca.ca_key,
            "-CAcreateserial", "-out", certs.cert_file, "-days", "2", "-extfile", ext});
  return certs;
}

std::string make_password_file(const TempDir& dir, const std::string& user,
                               const std::string& password) {
  const std::string path = dir.file("passwords");
  must_run({"mosquitto_passwd", "-b", "-c", path, user, password});
  return path;
}

}  // namespace ml::test
