#include "meter/session.hpp"

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>

namespace ml::meter {

core::Result<platform::LineMode> Session::set_line(const core::LineSettings& line) {
  auto mode = link_.set_line(line);
  if (mode && trace_) {
    std::string text = "line " + core::line_settings_text(line);
    if (mode->software_parity) text += " (software parity)";
    if (mode->by_server) text += " (set by the serial server)";
    trace_->note(text);
  }
  return mode;
}

asio::awaitable<core::Status> Session::send(core::ByteView bytes) {
  ++stats_.requests;
  stats_.bytes_sent += bytes.size();
  if (trace_) trace_->sent(bytes);
  const auto start = Clock::now();
  auto status = co_await link_.write(bytes);
  const auto wire =
      std::chrono::microseconds(core::wire_time_us(link_.line().applied, bytes.size()));
  sent_done_ = std::max(start + wire, Clock::now());
  co_return status;
}

asio::awaitable<core::Result<core::Bytes>> Session::receive(Clock::time_point deadline) {
  const std::uint64_t parity_before = link_.parity_errors();
  auto got = co_await link_.read(deadline);
  stats_.parity_errors += link_.parity_errors() - parity_before;
  if (got && !got->empty()) {
    stats_.bytes_received += got->size();
    if (trace_) trace_->received(*got);
  }
  co_return got;
}

asio::awaitable<void> Session::sleep_until(Clock::time_point t) {
  asio::steady_timer timer(co_await asio::this_coro::executor, t);
  co_await timer.async_wait(asio::use_awaitable);
}

milliseconds Session::gap_timeout() const {
  const auto twenty_chars = std::chrono::duration_cast<milliseconds>(
      std::chrono::microseconds(core::wire_time_us(link_.line().applied, 20)));
  return std::max(milliseconds(100), twenty_chars);
}

core::Error read_failure(core::Errc code, const std::string& what, int tries,
                         const std::string& link, const std::string& detail) {
  return core::make_error(code, what + " after " + std::to_string(tries) +
                                    (tries == 1 ? " try" : " tries") + " on " + link + ": " +
                                    detail);
}

}  // namespace ml::meter
