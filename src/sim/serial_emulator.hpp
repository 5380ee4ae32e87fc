// What the KMP and the EN 61107 emulators share: a pseudo-terminal the client opens like a serial
// port, a model of the receive line (when each request byte would have arrived), the paced
// transmitter, the installation with its simulated clock, faults, counters, the last reply, and
// the control commands state / last_reply / set / faults / quit. One Asio event loop; nothing here
// is touched from another thread.
#pragma once

#include <array>
#include <asio/io_context.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/serial_line.hpp"
#include "sim/control.hpp"
#include "sim/faults.hpp"
#include "sim/installation.hpp"
#include "sim/kmp_meter.hpp"
#include "sim/line_check.hpp"
#include "sim/pty.hpp"
#include "sim/sim_clock.hpp"
#include "sim/transmitter.hpp"

namespace ml::sim {

// One line per state change, fault or rejected request (empty function: quiet).
using Logger = std::function<void(const std::string& line)>;

struct CommonOptions {
  std::string link;  // path of the symlink to the pseudo-terminal's slave
  std::uint64_t seed = 1;
  std::int64_t start_ms = 0;  // simulated start time, Unix ms
  double time_scale = 1;
  bool frozen = false;
  std::uint64_t energy_mwh = 0;    // starting energy, 1e-6 kWh
  std::uint64_t volume_ml = 0;     // starting volume, 1e-6 m3
  std::uint64_t operating_ds = 0;  // starting operating time, 0.1 s
  // Seasons of the installation, per mille (0: off; sim/installation.hpp).
  std::int32_t seasonal_amplitude_pm = 0;
  FaultConfig faults;
  unsigned pace_speedup = 1;  // > 1 sends faster than the baud rate (tests only)
  Logger log;
  bool verbose = false;  // also log every request and reply
};

struct Counters {
  std::uint64_t bytes_received = 0;
  std::uint64_t requests = 0;  // requests recognised at the right line settings
  std::uint64_t replies = 0;   // replies sent (garbage excluded)
  std::uint64_t rejected = 0;
  std::map<std::string, std::uint64_t> rejected_by_reason;
  std::map<std::string, std::uint64_t> faults;  // drop, corrupt, bad_check, noise, late, ...
  std::uint64_t parity_errors = 0;              // EN 61107 bytes with a wrong parity bit
};

struct Rejection {
  Reject reason;
  std::string detail;
  std::int64_t sim_ms;
};

class SerialEmulator {
 public:
  virtual ~SerialEmulator();
  SerialEmulator(const SerialEmulator&) = delete;
  SerialEmulator& operator=(const SerialEmulator&) = delete;

  // Opens the pseudo-terminal (and its symlink) and starts serving.
  core::Status start();

  // One control command (see control.hpp and docs/emulators.md).
  ControlReply control(const nlohmann::json& request);

  const std::string& slave_path() const;
  const std::string& link_path() const;
  const Counters& counters() const { return counters_; }
  nlohmann::json state_json();
  const nlohmann::json& last_reply() const { return last_reply_; }

 protected:
  SerialEmulator(asio::io_context& io, CommonOptions options, std::string kind);

  // Bytes as the client wrote them, with the modelled wire timing: byte i reached the meter at
  // arrival(i); `line` is what the client had set when they were read.
  struct Chunk {
    core::ByteView bytes;
    WallClock::time_point start;
    std::chrono::nanoseconds char_time;
    std::optional<core::LineSettings> line;
    WallClock::time_point arrival(std::size_t i) const {
      return start + char_time * static_cast<std::int64_t>(i + 1);
    }
  };
  virtual void on_chunk(const Chunk& chunk) = 0;
  // Protocol fields for the state command.
  virtual void add_state(nlohmann::json& j, const HeatState& s) = 0;

  // The installation advanced to now.
  HeatState heat_state();
  std::optional<core::LineSettings> client_line() const;

  // Counts a recognised request; nullopt when the "silent after N requests" fault swallows it.
  std::optional<std::uint64_t> admit(const std::string& what);
  void reject(Reject reason, const std::string& detail);
  void count_fault(const std::string& kind, const std::string& detail, bool log_it = true);
  void add_parity_errors(std::uint64_t n) { counters_.parity_errors += n; }
  void log(const std::string& line);
  void trace(const std::string& line);  // only with verbose

  struct ReplyJob {
    std::uint64_t request_no = 0;
    std::string what;  // "GetRegister", "/#1" ...
    WallClock::time_point request_end;
    std::chrono::milliseconds latency{0};
    core::LineSettings meter_line;  // the meter sends with these settings (pacing)
    std::function<Verdict(const std::optional<core::LineSettings>&)> check;
    core::Bytes bytes;                     // characters before any parity bit
    std::optional<core::Bytes> bad_check;  // the same with a wrong check value
    bool iec_parity = false;  // EN 61107: add the even-parity bit when the client line is 8N
    nlohmann::json detail;    // for last_reply
  };
  // Applies the fault plan and queues the reply; the line check runs when the reply starts.
  void send_reply(ReplyJob job);

  const CommonOptions& options() const { return opts_; }
  const FaultConfig& faults() const { return faults_; }
  std::uint64_t seed() const { return opts_.seed; }
  Transmitter& transmitter() { return *tx_; }

 private:
  void read_loop();
  void tick();
  core::Bytes prepare_reply(const ReplyJob& job, const FaultPlan& plan);
  ControlReply set_command(const nlohmann::json& j);
  ControlReply faults_command(const nlohmann::json& j);
  nlohmann::json values_json(const HeatState& s) const;

  asio::io_context& io_;
  CommonOptions opts_;
  std::string kind_;
  std::optional<Pty> pty_;
  asio::posix::stream_descriptor master_;
  std::unique_ptr<Transmitter> tx_;
  asio::steady_timer tick_timer_;
  SimClock clock_;
  Installation installation_;
  FaultConfig faults_;
  std::uint64_t silent_base_ = 0;  // requests counted when silent_after was set
  Counters counters_;
  std::deque<Rejection> recent_;
  nlohmann::json last_reply_;
  WallClock::time_point rx_free_at_{};
  std::optional<core::LineSettings> last_line_;
  bool line_seen_ = false;
  std::array<std::uint8_t, 512> read_buf_{};
  std::shared_ptr<bool> alive_;
};

}  // namespace ml::sim
