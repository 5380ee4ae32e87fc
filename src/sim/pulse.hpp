// The S0 pulse meter emulator: `meterlogger sim pulse`. An S0 output pulls the input LOW for the
// length of a pulse (about 100 ms): the falling edge starts a pulse, the rising edge ends it
// (docs/emulators.md, "S0 pulse meter"). The emulator publishes every edge on a Unix stream socket,
// one text line each:
//
//   falling <ns>\n      rising <ns>\n
//
// where <ns> is CLOCK_MONOTONIC in nanoseconds at the edge (the same clock as
// std::chrono::steady_clock on Linux). Any number of clients may connect; each gets the edges from
// when it connected. Contact bounce adds short extra edges after a main edge; the line always
// settles at the main edge's level.
#pragma once

#include <asio/io_context.hpp>
#include <asio/local/stream_protocol.hpp>
#include <asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <list>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "sim/control.hpp"
#include "sim/serial_emulator.hpp"

namespace ml::sim {

enum class Level : std::uint8_t { falling, rising };

struct EdgeEvent {
  Level edge = Level::falling;
  std::int64_t ns = 0;  // CLOCK_MONOTONIC
  bool main = true;     // false for a bounce edge
  bool operator==(const EdgeEvent&) const = default;
};

// "falling 123\n".
std::string edge_line(const EdgeEvent& e);
// Parses one line (with or without the newline). Bounded: at most 40 characters, ns >= 0.
core::Result<EdgeEvent> parse_edge_line(std::string_view line);

struct PulseShape {
  double width_ms = 100;
  double jitter_ms = 0;      // width uniformly in [width - jitter, width + jitter]
  std::uint32_t bounce = 0;  // extra glitches after each main edge, about 1 ms each
  std::uint64_t seed = 1;
};

// The edges of pulse number `index` (from 1) whose falling edge is at start_ns, for pulses
// period_ns apart: main falling edge, its bounces, main rising edge, its bounces. The width is
// kept within the period so that the pulse and its bounces end before the next one starts.
std::vector<EdgeEvent> pulse_edges(const PulseShape& shape, std::uint64_t index,
                                   std::int64_t start_ns, std::int64_t period_ns);

inline constexpr std::uint32_t kMaxBounce = 20;
inline constexpr double kMaxPulseRate = 50;  // pulses per second

struct PulseOptions {
  std::string link;               // Unix stream socket the pulse input driver connects to
  std::optional<double> power_w;  // with imp_per_kwh ...
  std::uint32_t imp_per_kwh = 1000;
  std::optional<double> rate;  // ... or pulses per second directly
  PulseShape shape;
  std::uint64_t start_energy_wh = 0;
  Logger log;
  bool verbose = false;
};

// Pulses per second for a power and a meter constant.
double pulse_rate(double power_w, std::uint32_t imp_per_kwh);
// Empty when the options make sense, else why not.
std::string pulse_options_problem(const PulseOptions& o);

class PulseEmulator {
 public:
  PulseEmulator(asio::io_context& io, PulseOptions options);
  ~PulseEmulator();
  PulseEmulator(const PulseEmulator&) = delete;
  PulseEmulator& operator=(const PulseEmulator&) = delete;

  // Listens on the link socket and starts pulsing.
  core::Status start();
  ControlReply control(const nlohmann::json& request);
  nlohmann::json state_json() const;
  const std::string& link_path() const { return opts_.link; }

  std::uint64_t pulses() const { return pulses_; }

 private:
  struct Client {
    explicit Client(asio::local::stream_protocol::socket s) : socket(std::move(s)) {}
    asio::local::stream_protocol::socket socket;
    std::deque<std::string> queue;
    bool writing = false;
    bool dead = false;
  };

  void accept();
  void broadcast(const std::string& line);
  void write_next(const std::shared_ptr<Client>& c);
  void reschedule(std::int64_t from_ns);
  void arm();
  void on_edge();
  double rate() const;
  ControlReply set_command(const nlohmann::json& j);

  asio::io_context& io_;
  PulseOptions opts_;
  asio::local::stream_protocol::acceptor acceptor_;
  asio::steady_timer timer_;
  std::list<std::shared_ptr<Client>> clients_;
  std::deque<EdgeEvent> pending_;  // edges of the pulse in progress
  std::int64_t base_ns_ = 0;       // pulses are at base + k x period
  std::uint64_t next_k_ = 1;
  std::int64_t period_ns_ = 0;
  std::uint64_t index_ = 0;           // pulses generated
  std::uint64_t pulses_ = 0;          // completed (main rising edges)
  std::uint64_t pulses_started_ = 0;  // main falling edges
  std::uint64_t edges_ = 0;           // lines published
  bool listening_ = false;
  std::shared_ptr<bool> alive_;
};

// CLOCK_MONOTONIC now, in ns.
std::int64_t monotonic_ns();

}  // namespace ml::sim
