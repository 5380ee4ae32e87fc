// A byte stream to a meter: a local serial port (a USB optical head, a UART wired to the meter,
// or an emulator's pseudo-terminal) or a TCP connection to a serial server such as ser2net.
// Asio coroutines on the caller's event loop; nothing here blocks.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "core/serial_line.hpp"

namespace ml::platform {

using Clock = std::chrono::steady_clock;

// How requested line settings were put on the port.
struct LineMode {
  core::LineSettings requested;
  core::LineSettings applied;    // what the port is set to
  bool software_parity = false;  // 7 data bits + parity carried as 8N with bit 7 = parity
  bool by_server = false;        // TCP: the serial server's own settings apply
};

class ByteLink {
 public:
  virtual ~ByteLink() = default;

  // "/dev/ttyUSB0", "tcp://10.0.0.5:2001".
  virtual const std::string& name() const = 0;

  // Sets the line. A serial port that cannot do 7 data bits with parity (pseudo-terminals, some
  // USB adapters) is driven with software parity, which is the same frame on the wire. A TCP link
  // cannot change the remote port's settings: the first call is accepted (the server must be
  // configured to match); a later call asking for different settings is an error.
  virtual core::Result<LineMode> set_line(const core::LineSettings& line) = 0;
  virtual const LineMode& line() const = 0;

  // Writes every byte; completes when the bytes are with the operating system.
  virtual asio::awaitable<core::Status> write(core::ByteView bytes) = 0;

  // Waits for bytes until `deadline`; returns what arrived (at least one byte), or an empty
  // buffer when the deadline passed first. Bytes with a wrong software parity bit are dropped and
  // counted, as a UART drops characters with parity errors.
  virtual asio::awaitable<core::Result<core::Bytes>> read(Clock::time_point deadline) = 0;

  // Drops whatever has been received and not read yet.
  virtual void discard_input() = 0;

  // Ends pending reads and writes at once (they complete with an error): for shutting down.
  virtual void cancel() = 0;

  virtual std::uint64_t parity_errors() const = 0;
};

// Opens "tcp://HOST:PORT" or a serial device path. Errors name the link and the reason.
asio::awaitable<core::Result<std::unique_ptr<ByteLink>>> open_link(std::string spec);

}  // namespace ml::platform
