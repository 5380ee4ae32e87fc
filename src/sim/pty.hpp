// A pseudo-terminal for an emulated meter. The emulator owns the master side; the program under
// test opens the slave side through a stable path (a symlink), exactly like a real serial port.
#pragma once

#include <optional>
#include <string>

#include "core/result.hpp"
#include "core/serial_line.hpp"

namespace ml::sim {

class Pty {
 public:
  // Opens a pty pair in raw mode and, when link_path is not empty, points a symlink there at the
  // slave device (replacing an existing symlink, never a regular file).
  static core::Result<Pty> open(const std::string& link_path);

  Pty(Pty&& other) noexcept;
  Pty& operator=(Pty&& other) noexcept;
  Pty(const Pty&) = delete;
  Pty& operator=(const Pty&) = delete;
  ~Pty();  // closes both sides and removes the symlink

  int master_fd() const { return master_; }
  // Releases the master descriptor to the caller (e.g. an Asio stream_descriptor).
  int release_master();
  const std::string& slave_path() const { return slave_path_; }
  const std::string& link_path() const { return link_path_; }

  // The line settings the program on the slave side has set right now (Linux returns the
  // slave's termios through the master). Pseudo-terminals always carry 8 data bits without
  // parity: a client that wants 7E1 must use software parity (see core/serial_line.hpp).
  std::optional<core::LineSettings> slave_line() const;

 private:
  Pty() = default;
  int master_ = -1;
  int slave_ = -1;  // kept open so the pty survives clients opening and closing the slave
  std::string slave_path_;
  std::string link_path_;
};

}  // namespace ml::sim
