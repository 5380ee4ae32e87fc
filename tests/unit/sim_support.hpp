// Test support for the emulators: a temporary directory, an emulator running on its own thread
// (the test talks to it only through the pseudo-terminal and the control socket, like a real
// client), and a small serial client on the pseudo-terminal's slave side with plain termios calls
// and software parity for EN 61107.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <termios.h>
#include <unistd.h>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>

#include "core/bytes.hpp"
#include "core/kmp/receiver.hpp"
#include "core/serial_line.hpp"
#include "sim/control.hpp"
#include "sim/kmp_emulator.hpp"

namespace ml::test {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/mlsim-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Runs an emulator's event loop on a thread. Emulator: KmpEmulator, Mc66Emulator, PulseEmulator.
template <class Emulator>
class Running {
 public:
  template <class Options>
  Running(Options options, const std::string& control_path) {
    emulator_ = std::make_unique<Emulator>(io_, std::move(options));
    auto s = emulator_->start();
    if (!s) throw std::runtime_error("emulator start: " + s.error().message());
    auto server = sim::ControlServer::open(
        io_, control_path, [this](const nlohmann::json& r) { return emulator_->control(r); },
        [this] { io_.stop(); });
    if (!server) throw std::runtime_error("control: " + server.error().message());
    control_ = std::move(server).value();
    thread_ = std::thread([this] { io_.run(); });
    control_path_ = control_path;
  }
  ~Running() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
    control_.reset();
    emulator_.reset();
  }
  // True once the event loop has returned (after "quit").
  bool stopped() const { return io_.stopped(); }

  sim::ControlClient client() const {
    auto c = sim::ControlClient::connect(control_path_);
    if (!c) throw std::runtime_error(c.error().message());
    return std::move(c).value();
  }
  nlohmann::json request(const nlohmann::json& r) const {
    auto c = client();
    auto answer = c.request(r);
    if (!answer) throw std::runtime_error(answer.error().message());
    return *answer;
  }
  nlohmann::json state() const { return request({{"cmd", "state"}}); }
  nlohmann::json last_reply() const { return request({{"cmd", "last_reply"}})["reply"]; }

  // Waits until pred(state) is true (the emulator works on its own thread).
  bool wait_state(const std::function<bool(const nlohmann::json&)>& pred,
                  std::chrono::milliseconds timeout = 2000ms) const {
    const auto deadline = Clock::now() + timeout;
    while (Clock::now() < deadline) {
      if (pred(state())) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  asio::io_context io_;
  std::unique_ptr<Emulator> emulator_;
  std::unique_ptr<sim::ControlServer> control_;
  std::thread thread_;
  std::string control_path_;
};

inline std::uint64_t counter(const nlohmann::json& state, const std::string& group,
                             const std::string& key) {
  const auto& g = state["counters"][group];
  return g.contains(key) ? g[key].get<std::uint64_t>() : 0;
}

// The program side of the pseudo-terminal, with termios set as a client would.
class SerialClient {
 public:
  explicit SerialClient(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd_ < 0) throw std::runtime_error("cannot open " + path);
  }
  ~SerialClient() {
    if (fd_ >= 0) ::close(fd_);
  }
  SerialClient(const SerialClient&) = delete;
  SerialClient& operator=(const SerialClient&) = delete;

  // 8 data bits, no parity (a pseudo-terminal cannot do more), the baud rate and stop bits.
  void set_line(std::uint32_t baud, int stop_bits) {
    termios t{};
    ::tcgetattr(fd_, &t);
    ::cfmakeraw(&t);
    t.c_cflag |= CLOCAL | CREAD;
    t.c_cflag &= ~static_cast<tcflag_t>(CSTOPB);
    if (stop_bits == 2) t.c_cflag |= CSTOPB;
    speed_t s = B1200;
    switch (baud) {
      case 300:
        s = B300;
        break;
      case 1200:
        s = B1200;
        break;
      case 2400:
        s = B2400;
        break;
      case 9600:
        s = B9600;
        break;
      default:
        throw std::runtime_error("baud not handled in the test client");
    }
    ::cfsetispeed(&t, s);
    ::cfsetospeed(&t, s);
    if (::tcsetattr(fd_, TCSANOW, &t) != 0) throw std::runtime_error("tcsetattr failed");
  }

  void write(core::ByteView bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t n = ::write(fd_, bytes.data() + done, bytes.size() - done);
      if (n < 0) throw std::runtime_error("write failed");
      done += static_cast<std::size_t>(n);
    }
  }
  void write(std::string_view s) { write(core::as_bytes(s)); }

  void discard_input() { ::tcflush(fd_, TCIFLUSH); }

  // Reads until complete(bytes) is true or the timeout passes.
  core::Bytes read_until(const std::function<bool(const core::Bytes&)>& complete,
                         std::chrono::milliseconds timeout) {
    core::Bytes out;
    const auto deadline = Clock::now() + timeout;
    while (!complete(out)) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
      if (left <= 0) break;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      std::uint8_t buf[512];
      const ssize_t n = ::read(fd_, buf, sizeof buf);
      if (n > 0) out.insert(out.end(), buf, buf + n);
    }
    return out;
  }
  // Everything that arrives within `duration`.
  core::Bytes read_for(std::chrono::milliseconds duration) {
    return read_until([](const core::Bytes&) { return false; }, duration);
  }

 private:
  int fd_ = -1;
};

// 7-bit text with the even-parity bit in bit 7 (software parity).
inline core::Bytes with_parity(std::string_view text) {
  core::Bytes out;
  for (char c : text)
    out.push_back(core::add_parity_bit(static_cast<std::uint8_t>(c), core::Parity::even));
  return out;
}

// Strips and checks software parity; sets *errors to the number of bytes with a wrong bit.
inline core::Bytes strip_parity(const core::Bytes& in, std::size_t* errors = nullptr) {
  core::Bytes out;
  std::size_t bad = 0;
  for (std::uint8_t b : in) {
    if (!core::parity_bit_ok(b, core::Parity::even)) ++bad;
    out.push_back(static_cast<std::uint8_t>(b & 0x7F));
  }
  if (errors) *errors = bad;
  return out;
}

using core::Bytes;

inline constexpr std::int64_t kSimStart = 1'736'920'800'000;  // 2025-01-15T06:00:00Z

// A frozen MULTICAL 601 with known totals, sending `speedup` times faster than 1200 baud.
inline sim::KmpEmulatorOptions kmp_test_options(const TempDir& dir, unsigned speedup = 20) {
  sim::KmpEmulatorOptions o;
  o.common.link = dir.file("tty");
  o.common.seed = 5;
  o.common.start_ms = kSimStart;
  o.common.frozen = true;
  o.common.energy_mwh = 12'345'678'901;
  o.common.volume_ml = 321'501'056;
  o.common.operating_ds = 8760ULL * 36000;
  o.common.pace_speedup = speedup;
  o.meter = sim::KmpMeterConfig{sim::KmpModel::mc601, 6892850, std::nullopt, 6892850};
  o.latency = std::chrono::milliseconds(5);
  return o;
}

struct KmpReply {
  std::optional<core::kmp::Frame> frame;
  std::optional<core::Error> error;
  bool ack = false;
  Bytes raw;
};

// Sends a request and collects the reply the way a reader does (echo skipped, CRC checked).
inline KmpReply kmp_exchange(SerialClient& c, const Bytes& request,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(1500)) {
  core::kmp::Receiver rx(core::kmp::Direction::reply);
  rx.expect_echo(request);
  KmpReply r;
  std::size_t fed = 0;
  c.write(request);
  r.raw = c.read_until(
      [&](const Bytes& got) {
        for (; fed < got.size(); ++fed) {
          auto ev = rx.feed(got[fed]);
          if (!ev) continue;
          if (!ev->ok()) {
            if (ev->error().code == core::Errc::kmp_garbage) continue;
            r.error = ev->error();
            ++fed;
            return true;
          }
          if (ev->value().kind == core::kmp::Received::Kind::ack) {
            r.ack = true;
          } else {
            r.frame = ev->value().frame;
          }
          ++fed;
          return true;
        }
        return false;
      },
      timeout);
  return r;
}

}  // namespace ml::test
