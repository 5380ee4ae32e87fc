#include "sim/pty.hpp"

#include <fcntl.h>
#include <pty.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace ml::sim {
namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

std::optional<std::uint32_t> baud_of(speed_t s) {
  switch (s) {
    case B50:
      return 50;
    case B75:
      return 75;
    case B110:
      return 110;
    case B150:
      return 150;
    case B300:
      return 300;
    case B600:
      return 600;
    case B1200:
      return 1200;
    case B2400:
      return 2400;
    case B4800:
      return 4800;
    case B9600:
      return 9600;
    case B19200:
      return 19200;
    case B38400:
      return 38400;
    case B57600:
      return 57600;
    case B115200:
      return 115200;
    case B230400:
      return 230400;
    default:
      return std::nullopt;
  }
}

}  // namespace

core::Result<Pty> Pty::open(const std::string& link_path) {
  Pty pty;
  char name[128] = {};
  termios raw{};
  cfmakeraw(&raw);
  if (::openpty(&pty.master_, &pty.slave_, name, &raw, nullptr) != 0) {
    return core::make_error(core::Errc::invalid_argument, errno_text("openpty"));
  }
  ::fcntl(pty.master_, F_SETFD, FD_CLOEXEC);
  ::fcntl(pty.slave_, F_SETFD, FD_CLOEXEC);
  pty.slave_path_ = name;
  if (!link_path.empty()) {
    struct stat st {};
    if (::lstat(link_path.c_str(), &st) == 0) {
      if (!S_ISLNK(st.st_mode)) {
        return core::make_error(core::Errc::invalid_argument,
                                link_path + " exists and is not a symlink; not replacing it");
      }
      ::unlink(link_path.c_str());
    }
    if (::symlink(name, link_path.c_str()) != 0) {
      return core::make_error(core::Errc::invalid_argument, errno_text("symlink " + link_path));
    }
    pty.link_path_ = link_path;
  }
  return pty;
}

Pty::Pty(Pty&& other) noexcept
    : master_(std::exchange(other.master_, -1)),
      slave_(std::exchange(other.slave_, -1)),
      slave_path_(std::move(other.slave_path_)),
      link_path_(std::exchange(other.link_path_, {})) {}

Pty& Pty::operator=(Pty&& other) noexcept {
  if (this != &other) {
    this->~Pty();
    new (this) Pty(std::move(other));
  }
  return *this;
}

Pty::~Pty() {
  if (master_ >= 0) ::close(master_);
  if (slave_ >= 0) ::close(slave_);
  if (!link_path_.empty()) ::unlink(link_path_.c_str());
}

int Pty::release_master() {
  return std::exchange(master_, -1);
}

std::optional<core::LineSettings> Pty::slave_line() const {
  termios t{};
  const int fd = slave_ >= 0 ? slave_ : master_;
  if (fd < 0 || ::tcgetattr(fd, &t) != 0) return std::nullopt;
  const auto baud = baud_of(cfgetospeed(&t));
  if (!baud) return std::nullopt;
  core::LineSettings line;
  line.baud = *baud;
  switch (t.c_cflag & CSIZE) {
    case CS5:
      line.data_bits = 5;
      break;
    case CS6:
      line.data_bits = 6;
      break;
    case CS7:
      line.data_bits = 7;
      break;
    default:
      line.data_bits = 8;
      break;
  }
  line.parity = (t.c_cflag & PARENB)
                    ? ((t.c_cflag & PARODD) ? core::Parity::odd : core::Parity::even)
                    : core::Parity::none;
  line.stop_bits = (t.c_cflag & CSTOPB) ? 2 : 1;
  return line;
}

}  // namespace ml::sim
