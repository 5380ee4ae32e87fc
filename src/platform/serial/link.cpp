#include "platform/serial/link.hpp"

#include <termios.h>

#include <asio/connect.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/read.hpp>
#include <asio/serial_port.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/write.hpp>
#include <cerrno>
#include <cstring>

namespace ml::platform {
namespace {

using asio::awaitable;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto kAsTuple = asio::experimental::as_tuple(use_awaitable);

core::Error link_error(const std::string& name, const std::string& what) {
  return core::make_error(core::Errc::invalid_argument, name + ": " + what);
}

// Reads with a deadline: whichever of the read and the timer finishes first wins; the other is
// cancelled (Asio's per-operation cancellation), so no stray completion is left behind.
template <class Stream>
awaitable<core::Result<core::Bytes>> read_until(Stream& stream, Clock::time_point deadline,
                                                const std::string& name) {
  std::uint8_t buf[512];
  asio::steady_timer timer(co_await asio::this_coro::executor, deadline);
  auto result =
      co_await (stream.async_read_some(asio::buffer(buf), kAsTuple) || timer.async_wait(kAsTuple));
  if (result.index() == 1) co_return core::Bytes{};  // deadline
  auto [ec, n] = std::get<0>(result);
  if (ec) co_return link_error(name, "read failed: " + ec.message());
  co_return core::Bytes(buf, buf + n);
}

// ---- local serial port ----

class SerialLink final : public ByteLink {
 public:
  SerialLink(asio::any_io_executor ex, std::string path) : port_(ex), name_(std::move(path)) {}

  core::Status open() {
    asio::error_code ec;
    port_.open(name_, ec);  // Asio puts the port in raw mode, 8N1, receiver on
    if (ec) return link_error(name_, "cannot open: " + ec.message());
    return core::Ok{};
  }

  const std::string& name() const override { return name_; }
  const LineMode& line() const override { return mode_; }
  std::uint64_t parity_errors() const override { return parity_errors_; }

  core::Result<LineMode> set_line(const core::LineSettings& line) override {
    // Native first; if the port silently refuses 7 data bits or parity, software parity.
    if (apply(line) && readback_matches(line)) {
      mode_ = LineMode{line, line, false, false};
      return mode_;
    }
    const core::LineSettings carrier = core::software_parity_carrier(line);
    if (!(carrier == line) && apply(carrier) && readback_matches(carrier)) {
      mode_ = LineMode{line, carrier, true, false};
      return mode_;
    }
    return link_error(name_, "the port does not accept " + core::line_settings_text(line));
  }

  awaitable<core::Status> write(core::ByteView bytes) override {
    core::Bytes out(bytes.begin(), bytes.end());
    if (mode_.software_parity) {
      for (auto& b : out)
        b = core::add_parity_bit(b, mode_.requested.parity);
    }
    auto [ec, n] = co_await asio::async_write(port_, asio::buffer(out), kAsTuple);
    if (ec) co_return link_error(name_, "write failed: " + ec.message());
    co_return core::Ok{};
  }

  awaitable<core::Result<core::Bytes>> read(Clock::time_point deadline) override {
    while (true) {
      auto got = co_await read_until(port_, deadline, name_);
      if (!got || got->empty() || !mode_.software_parity) co_return got;
      core::Bytes kept;
      for (std::uint8_t b : *got) {
        if (core::parity_bit_ok(b, mode_.requested.parity)) {
          kept.push_back(static_cast<std::uint8_t>(b & 0x7F));
        } else {
          ++parity_errors_;
        }
      }
      if (!kept.empty()) co_return kept;
    }
  }

  void discard_input() override { ::tcflush(port_.native_handle(), TCIFLUSH); }

  void cancel() override {
    asio::error_code ec;
    port_.cancel(ec);
  }

 private:
  bool apply(const core::LineSettings& line) {
    using P = asio::serial_port_base;
    asio::error_code ec;
    port_.set_option(P::baud_rate(line.baud), ec);
    if (!ec) port_.set_option(P::character_size(line.data_bits), ec);
    if (!ec) {
      const auto parity = line.parity == core::Parity::none   ? P::parity::none
                          : line.parity == core::Parity::even ? P::parity::even
                                                              : P::parity::odd;
      port_.set_option(P::parity(parity), ec);
    }
    if (!ec) {
      port_.set_option(P::stop_bits(line.stop_bits == 2 ? P::stop_bits::two : P::stop_bits::one),
                       ec);
    }
    if (!ec) port_.set_option(P::flow_control(P::flow_control::none), ec);
    return !ec;
  }

  bool readback_matches(const core::LineSettings& line) {
    termios t{};
    if (::tcgetattr(port_.native_handle(), &t) != 0) return false;
    const bool seven = (t.c_cflag & CSIZE) == CS7;
    const bool parenb = (t.c_cflag & PARENB) != 0;
    const bool odd = (t.c_cflag & PARODD) != 0;
    const bool two = (t.c_cflag & CSTOPB) != 0;
    asio::serial_port_base::baud_rate baud;
    asio::error_code ec;
    port_.get_option(baud, ec);
    if (ec || baud.value() != line.baud) return false;
    if ((line.data_bits == 7) != seven) return false;
    if ((line.parity != core::Parity::none) != parenb) return false;
    if (parenb && (line.parity == core::Parity::odd) != odd) return false;
    return (line.stop_bits == 2) == two;
  }

  asio::serial_port port_;
  std::string name_;
  LineMode mode_;
  std::uint64_t parity_errors_ = 0;
};

// ---- TCP to a serial server ----

class TcpLink final : public ByteLink {
 public:
  TcpLink(asio::any_io_executor ex, std::string name) : socket_(ex), name_(std::move(name)) {}

  awaitable<core::Status> connect(const std::string& host, const std::string& port) {
    asio::ip::tcp::resolver resolver(socket_.get_executor());
    auto [rec, endpoints] = co_await resolver.async_resolve(host, port, kAsTuple);
    if (rec) co_return link_error(name_, "cannot resolve: " + rec.message());
    auto [cec, ep] = co_await asio::async_connect(socket_, endpoints, kAsTuple);
    if (cec) co_return link_error(name_, "cannot connect: " + cec.message());
    socket_.set_option(asio::ip::tcp::no_delay(true));
    co_return core::Ok{};
  }

  const std::string& name() const override { return name_; }
  const LineMode& line() const override { return mode_; }
  std::uint64_t parity_errors() const override { return 0; }

  core::Result<LineMode> set_line(const core::LineSettings& line) override {
    if (configured_ && !(line == mode_.requested)) {
      return link_error(name_, "a TCP link cannot change the serial settings (from " +
                                   core::line_settings_text(mode_.requested) + " to " +
                                   core::line_settings_text(line) +
                                   "); this protocol needs a local serial port");
    }
    configured_ = true;
    mode_ = LineMode{line, line, false, true};
    return mode_;
  }

  awaitable<core::Status> write(core::ByteView bytes) override {
    auto [ec, n] =
        co_await asio::async_write(socket_, asio::buffer(bytes.data(), bytes.size()), kAsTuple);
    if (ec) co_return link_error(name_, "write failed: " + ec.message());
    co_return core::Ok{};
  }

  awaitable<core::Result<core::Bytes>> read(Clock::time_point deadline) override {
    return read_until(socket_, deadline, name_);
  }

  void cancel() override {
    asio::error_code ec;
    socket_.cancel(ec);
  }

  void discard_input() override {
    asio::error_code ec;
    std::uint8_t buf[512];
    while (socket_.available(ec) > 0 && !ec)
      socket_.read_some(asio::buffer(buf), ec);
  }

 private:
  asio::ip::tcp::socket socket_;
  std::string name_;
  LineMode mode_;
  bool configured_ = false;
};

}  // namespace

awaitable<core::Result<std::unique_ptr<ByteLink>>> open_link(std::string spec) {
  auto ex = co_await asio::this_coro::executor;
  constexpr std::string_view kTcp = "tcp://";
  if (spec.rfind(kTcp, 0) == 0) {
    const std::string rest = spec.substr(kTcp.size());
    const std::size_t colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0 || colon + 1 == rest.size()) {
      co_return link_error(spec, "expected tcp://HOST:PORT");
    }
    std::string host = rest.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
      host = host.substr(1, host.size() - 2);  // [::1]
    }
    auto link = std::make_unique<TcpLink>(ex, spec);
    auto s = co_await link->connect(host, rest.substr(colon + 1));
    if (!s) co_return s.error();
    co_return std::unique_ptr<ByteLink>(std::move(link));
  }
  if (spec.empty()) co_return link_error("(empty)", "no serial port given");
  auto link = std::make_unique<SerialLink>(ex, spec);
  if (auto s = link->open(); !s) co_return s.error();
  co_return std::unique_ptr<ByteLink>(std::move(link));
}

}  // namespace ml::platform
