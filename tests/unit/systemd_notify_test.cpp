// The service-manager notifications, checked against a real Unix datagram socket standing in
// for systemd's.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "platform/systemd/notify.hpp"
#include "sim_support.hpp"

namespace ml::platform::systemd {
namespace {

// A bound datagram socket and NOTIFY_SOCKET pointing at it for the test's lifetime.
class FakeManager {
 public:
  explicit FakeManager(const std::string& name) {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    const bool abstract = name[0] == '@';
    std::memcpy(a.sun_path, name.data(), name.size());
    if (abstract) a.sun_path[0] = '\0';
    const auto len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (abstract ? 0 : 1));
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&a), len), 0) << std::strerror(errno);
    ::setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  ~FakeManager() {
    ::unsetenv("NOTIFY_SOCKET");
    ::close(fd_);
  }
  std::string receive() {
    char buf[256];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, MSG_DONTWAIT);
    return n < 0 ? std::string("<nothing>") : std::string(buf, static_cast<std::size_t>(n));
  }

 private:
  int fd_ = -1;
};

TEST(SystemdNotify, SendsTheStateToAPathSocket) {
  ml::test::TempDir dir;
  FakeManager manager(dir.file("notify"));
  EXPECT_TRUE(notify("READY=1"));
  EXPECT_EQ(manager.receive(), "READY=1");
  EXPECT_TRUE(notify("STOPPING=1"));
  EXPECT_EQ(manager.receive(), "STOPPING=1");
}

TEST(SystemdNotify, SendsToAnAbstractSocket) {
  FakeManager manager("@ml-notify-test-" + std::to_string(::getpid()));
  EXPECT_TRUE(notify("WATCHDOG=1"));
  EXPECT_EQ(manager.receive(), "WATCHDOG=1");
}

TEST(SystemdNotify, WithoutAManagerNothingIsSent) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify("READY=1"));
  ::setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(notify("READY=1"));
  ::setenv("NOTIFY_SOCKET", "/nonexistent/dir/socket", 1);
  EXPECT_FALSE(notify("READY=1"));
  ::unsetenv("NOTIFY_SOCKET");
}

TEST(SystemdNotify, WatchdogIntervalFollowsTheEnvironment) {
  ::unsetenv("WATCHDOG_PID");
  ::unsetenv("WATCHDOG_USEC");
  EXPECT_FALSE(watchdog_interval());
  ::setenv("WATCHDOG_USEC", "30000000", 1);
  EXPECT_EQ(watchdog_interval(), std::chrono::seconds(30));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(watchdog_interval(), std::chrono::seconds(30));
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(watchdog_interval()) << "a watchdog meant for another process";
  ::unsetenv("WATCHDOG_PID");
  for (const char* bad : {"0", "", "30s", "-5", "99999999999999999999999"}) {
    ::setenv("WATCHDOG_USEC", bad, 1);
    EXPECT_FALSE(watchdog_interval()) << bad;
  }
  ::unsetenv("WATCHDOG_USEC");
}

}  // namespace
}  // namespace ml::platform::systemd
