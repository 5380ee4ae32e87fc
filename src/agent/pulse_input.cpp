#include "agent/pulse_input.hpp"

#include <gpiod.h>
#include <unistd.h>

#include <asio/local/stream_protocol.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/read_until.hpp>
#include <asio/steady_timer.hpp>
#include <asio/streambuf.hpp>
#include <cerrno>
#include <cstring>
#include <istream>

#include "agent/gpio.hpp"
#include "platform/log/log.hpp"

namespace ml::agent {
namespace {

namespace log = platform::log;

// ---- the emulator's edge socket ----

class SimPulseInput final : public PulseInput, public std::enable_shared_from_this<SimPulseInput> {
 public:
  SimPulseInput(asio::any_io_executor ex, std::string path)
      : state_(std::make_shared<State>(ex, std::move(path))) {}
  ~SimPulseInput() override { stop(); }

  core::Status start(Handler handler) override {
    state_->handler = std::move(handler);
    state_->running = true;
    connect(state_);
    return core::Ok{};
  }

  void stop() override {
    if (!state_->running) return;
    state_->running = false;
    asio::error_code ec;
    state_->socket.close(ec);
    state_->timer.cancel();
  }

  const std::string& name() const override { return state_->name; }

 private:
  struct State {
    State(asio::any_io_executor ex, std::string p)
        : path(std::move(p)), name("sim:" + path), socket(ex), timer(ex) {}
    std::string path;
    std::string name;
    asio::local::stream_protocol::socket socket;
    asio::steady_timer timer;
    asio::streambuf buffer{4096};
    Handler handler;
    bool running = false;
    bool warned = false;
  };

  static void retry(const std::shared_ptr<State>& s) {
    s->timer.expires_after(std::chrono::seconds(1));
    s->timer.async_wait([s](const asio::error_code& ec) {
      if (!ec && s->running) connect(s);
    });
  }

  static void connect(const std::shared_ptr<State>& s) {
    asio::error_code ec;
    s->socket.close(ec);
    s->socket.async_connect(asio::local::stream_protocol::endpoint(s->path),
                            [s](const asio::error_code& cec) {
                              if (!s->running) return;
                              if (cec) {
                                if (!s->warned) {
                                  log::warning("pulse input " + s->name + ": cannot connect (" +
                                               cec.message() + "), retrying every second");
                                  s->warned = true;
                                }
                                retry(s);
                                return;
                              }
                              log::info("pulse input " + s->name + ": connected");
                              s->warned = false;
                              read(s);
                            });
  }

  static void read(const std::shared_ptr<State>& s) {
    asio::async_read_until(
        s->socket, s->buffer, '\n', [s](const asio::error_code& ec, std::size_t) {
          if (!s->running) return;
          if (ec) {
            log::warning("pulse input " + s->name + ": " + ec.message() + ", reconnecting");
            retry(s);
            return;
          }
          std::istream in(&s->buffer);
          std::string line;
          std::getline(in, line);
          auto edge = core::pulse::parse_edge_line(line);
          if (edge) {
            s->handler(*edge);
          } else {
            log::warning("pulse input " + s->name + ": " + edge.error().message());
          }
          read(s);
        });
  }

  std::shared_ptr<State> state_;
};

// ---- a GPIO line through libgpiod (v1 API) ----

class GpioPulseInput final : public PulseInput {
 public:
  GpioPulseInput(asio::any_io_executor ex, std::string chip, unsigned line)
      : state_(std::make_shared<State>(ex, std::move(chip), line)) {}
  ~GpioPulseInput() override { stop(); }

  core::Status start(Handler handler) override {
    State& s = *state_;
    s.chip = gpiod_chip_open_lookup(s.chip_name.c_str());
    if (!s.chip) return fail("cannot open the GPIO chip");
    s.line = gpiod_chip_get_line(s.chip, s.offset);
    if (!s.line) return fail("no such line");
    // The S0 output is an open collector that pulls the input low during a pulse.
    if (gpiod_line_request_both_edges_events_flags(s.line, "meterlogger",
                                                   GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP) != 0) {
      return fail("cannot request edge events");
    }
    const int fd = ::dup(gpiod_line_event_get_fd(s.line));
    if (fd < 0) return fail("no event descriptor");
    s.descriptor.assign(fd);
    s.handler = std::move(handler);
    s.running = true;
    wait(state_);
    return core::Ok{};
  }

  void stop() override {
    State& s = *state_;
    s.running = false;
    asio::error_code ec;
    s.descriptor.close(ec);
    if (s.line) gpiod_line_release(s.line);
    if (s.chip) gpiod_chip_close(s.chip);
    s.line = nullptr;
    s.chip = nullptr;
  }

  const std::string& name() const override { return state_->name; }

 private:
  struct State {
    State(asio::any_io_executor ex, std::string c, unsigned o)
        : chip_name(std::move(c)),
          offset(o),
          name("gpio:" + chip_name + ":" + std::to_string(o)),
          descriptor(ex) {}
    std::string chip_name;
    unsigned offset;
    std::string name;
    gpiod_chip* chip = nullptr;
    gpiod_line* line = nullptr;
    asio::posix::stream_descriptor descriptor;
    Handler handler;
    bool running = false;
  };

  core::Error fail(const std::string& what) {
    const std::string reason = std::strerror(errno);
    stop();
    return core::make_error(core::Errc::invalid_argument,
                            state_->name + ": " + what + " (" + reason + ")");
  }

  static void wait(const std::shared_ptr<State>& s) {
    s->descriptor.async_wait(
        asio::posix::stream_descriptor::wait_read, [s](const asio::error_code& ec) {
          if (ec || !s->running) return;
          gpiod_line_event ev{};
          if (gpiod_line_event_read(s->line, &ev) == 0) {
            const std::uint64_t ns = static_cast<std::uint64_t>(ev.ts.tv_sec) * 1000000000u +
                                     static_cast<std::uint64_t>(ev.ts.tv_nsec);
            s->handler({ev.event_type == GPIOD_LINE_EVENT_FALLING_EDGE ? core::pulse::Edge::falling
                                                                       : core::pulse::Edge::rising,
                        ns});
          }
          wait(s);
        });
  }

  std::shared_ptr<State> state_;
};

}  // namespace

core::Result<std::unique_ptr<PulseInput>> make_pulse_input(asio::any_io_executor executor,
                                                           const std::string& spec) {
  if (spec.rfind("sim:", 0) == 0 && spec.size() > 4) {
    return std::unique_ptr<PulseInput>(std::make_unique<SimPulseInput>(executor, spec.substr(4)));
  }
  if (auto gpio = parse_gpio_spec(spec)) {
    return std::unique_ptr<PulseInput>(
        std::make_unique<GpioPulseInput>(executor, gpio->chip, gpio->line));
  }
  return core::make_error(core::Errc::invalid_argument,
                          "pulse input '" + spec + "': expected gpio:CHIP:LINE or sim:/path");
}

}  // namespace ml::agent
