#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace ml::test {
namespace {

using Clock = std::chrono::steady_clock;

std::vector<char*> c_argv(std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (auto& a : argv)
    out.push_back(a.data());
  out.push_back(nullptr);
  return out;
}

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

double time_scale() {
  static const double scale = [] {
    const char* text = std::getenv("ML_TEST_TIME_SCALE");
    if (!text || !*text) return 1.0;
    char* end = nullptr;
    const double v = std::strtod(text, &end);
    if (end == text || *end != '\0' || !(v >= 1.0) || v > 100.0) {
      throw std::runtime_error("ML_TEST_TIME_SCALE must be a number from 1 to 100, not '" +
                               std::string(text) + "'");
    }
    return v;
  }();
  return scale;
}

std::chrono::milliseconds scaled(std::chrono::milliseconds base) {
  return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(
      static_cast<double>(base.count()) * time_scale()));
}

std::string read_text_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "mltest-XXXXXX").string();
  if (!::mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

Process::Process(std::vector<std::string> argv, const std::string& log_path) : log_path_(log_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  auto args = c_argv(argv);
  const int rc = posix_spawnp(&pid_, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
}

Process::~Process() {
  if (!status_ && pid_ > 0) stop(SIGTERM, std::chrono::seconds(3));
}

bool Process::running() {
  if (status_) return false;
  int st = 0;
  const int r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = decode_status(st);
    return false;
  }
  return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (!running()) return status_;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

int Process::stop(int signal, std::chrono::milliseconds grace) {
  if (status_) return *status_;
  ::kill(pid_, signal);
  if (auto s = wait(grace)) return *s;
  ::kill(pid_, SIGKILL);
  int st = 0;
  ::waitpid(pid_, &st, 0);
  status_ = decode_status(st);
  return *status_;
}

std::string Process::log() const {
  return read_text_file(log_path_);
}

RunResult run(const std::vector<std::string>& argv_in, std::chrono::milliseconds timeout) {
  TempDir dir;
  const std::string out_path = dir.file("out");
  const std::string err_path = dir.file("err");
  std::vector<std::string> argv = argv_in;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  auto args = c_argv(argv);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
  RunResult result;
  const auto end = Clock::now() + timeout;
  int st = 0;
  while (true) {
    const int r = ::waitpid(pid, &st, WNOHANG);
    if (r == pid) break;
    if (Clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &st, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.status = decode_status(st);
  result.out = read_text_file(out_path);
  result.err = read_text_file(err_path);
  return result;
}

std::string meterlogger() {
  return ML_METERLOGGER_BIN;
}

bool wait_for_path(const std::string& path, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool wait_for_port(int port, std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (Clock::now() < end) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    const int r = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::close(fd);
    if (r == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

Control::Control(const std::string& socket_path) {
  fd_ = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  // The socket file appears at bind(), a moment before listen(): retry a refused connection.
  const auto end = Clock::now() + std::chrono::seconds(10);
  int r = -1;
  while ((r = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr)) != 0 &&
         (errno == ECONNREFUSED || errno == ENOENT) && Clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (r != 0) {
    throw std::runtime_error("cannot connect to " + socket_path + ": " + std::strerror(errno));
  }
}

Control::~Control() {
  if (fd_ >= 0) ::close(fd_);
}

nlohmann::json Control::request(const nlohmann::json& request) {
  const std::string line = request.dump() + "\n";
  if (::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size())) {
    throw std::runtime_error("control write failed");
  }
  while (buffer_.find('\n') == std::string::npos) {
    char buf[4096];
    const ssize_t n = ::read(fd_, buf, sizeof buf);
    if (n <= 0) throw std::runtime_error("control socket closed");
    buffer_.append(buf, static_cast<std::size_t>(n));
  }
  const std::size_t nl = buffer_.find('\n');
  auto reply = nlohmann::json::parse(buffer_.substr(0, nl));
  buffer_.erase(0, nl + 1);
  return reply;
}

// ---- slow clients ----

void raise_open_file_limit() {
  rlimit r{};
  if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
  r.rlim_cur = r.rlim_max;
  setrlimit(RLIMIT_NOFILE, &r);
}

int connect_from(const std::string& from, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in src{};
  src.sin_family = AF_INET;
  inet_pton(AF_INET, from.c_str(), &src.sin_addr);
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<std::uint16_t>(port));
  dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(fd, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool closed_within(int fd, std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        until - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count()))) > 0) {
      const auto n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return true;
      continue;
    }
    if (left.count() <= 0) return false;
  }
}

long peak_rss_kib(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

SlowClients::SlowClients(int port, int idle, int per_address, int tricklers,
                         std::chrono::milliseconds interval)
    : interval_(interval) {
  for (int i = 0; i < idle; ++i) {
    const int group = i / std::max(1, per_address);
    const std::string from =
        "127.0." + std::to_string(10 + group / 250) + "." + std::to_string(1 + group % 250);
    const int fd = connect_from(from, port);
    if (fd < 0) break;
    idle_.push_back(fd);
  }
  const std::string line = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < tricklers; ++i) {
    const int fd = connect_from("127.0.9." + std::to_string(1 + i), port);
    if (fd < 0) continue;
    send(fd, line.data(), line.size(), MSG_NOSIGNAL);
    tricklers_.push_back({fd, std::chrono::steady_clock::now(), std::nullopt});
  }
  thread_ = std::thread([this] { trickle(); });
}

SlowClients::~SlowClients() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  thread_.join();
  for (int fd : idle_)
    close(fd);
  for (const auto& t : tricklers_)
    close(t.fd);
}

int SlowClients::idle_open() const {
  int open = 0;
  for (int fd : idle_) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 0) == 0) ++open;  // nothing to read: neither data nor the end
  }
  return open;
}

void SlowClients::trickle() {
  const std::string header = "X-Slow: 1\r\n";
  auto next_send = std::chrono::steady_clock::now() + interval_;
  while (true) {
    std::vector<pollfd> live;
    std::vector<std::size_t> which;
    {
      std::lock_guard lock(mutex_);
      if (stop_) return;
      for (std::size_t i = 0; i < tricklers_.size(); ++i) {
        if (!tricklers_[i].lived) {
          live.push_back({tricklers_[i].fd, POLLIN, 0});
          which.push_back(i);
        }
      }
    }
    if (live.empty()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      continue;
    }
    poll(live.data(), live.size(), 20);
    const auto now = std::chrono::steady_clock::now();
    const bool send_now = now >= next_send;
    if (send_now) next_send = now + interval_;
    for (std::size_t k = 0; k < live.size(); ++k) {
      auto& t = tricklers_[which[k]];
      bool cut = false;
      if (live[k].revents != 0) {
        char buf[512];
        const auto n = recv(t.fd, buf, sizeof buf, MSG_DONTWAIT);
        cut = n == 0 || (n < 0 && errno != EAGAIN);
      }
      if (!cut && send_now) cut = send(t.fd, header.data(), header.size(), MSG_NOSIGNAL) < 0;
      if (cut) {
        std::lock_guard lock(mutex_);
        t.lived = std::chrono::duration_cast<std::chrono::milliseconds>(now - t.opened);
      }
    }
  }
}

std::optional<std::chrono::milliseconds> SlowClients::wait_tricklers_cut(
    std::chrono::milliseconds timeout) {
  const auto until = std::chrono::steady_clock::now() + timeout;
  while (true) {
    {
      std::lock_guard lock(mutex_);
      std::chrono::milliseconds longest{0};
      bool all = true;
      for (const auto& t : tricklers_) {
        if (!t.lived) {
          all = false;
          break;
        }
        longest = std::max(longest, *t.lived);
      }
      if (all) return longest;
    }
    if (std::chrono::steady_clock::now() >= until) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace ml::test
