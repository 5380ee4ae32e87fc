#include "harness.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
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
#include <map>
#include <mutex>
#include <random>
#include <set>
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
    if (!text || !*text) text = ML_TEST_TIME_SCALE_BUILT;  // the build's, as ctest would set it
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

// ---- process groups ----------------------------------------------------------------------------

namespace {

struct ProcInfo {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  char state = '?';
};

// /proc/<pid>/stat: "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses.
std::optional<ProcInfo> read_stat(pid_t pid) {
  const std::string text = read_text_file("/proc/" + std::to_string(pid) + "/stat");
  const std::size_t close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  ProcInfo p;
  p.pid = pid;
  std::istringstream rest(text.substr(close + 1));
  long ppid = 0;
  long pgid = 0;
  if (!(rest >> p.state >> ppid >> pgid)) return std::nullopt;
  p.ppid = static_cast<pid_t>(ppid);
  p.pgid = static_cast<pid_t>(pgid);
  return p;
}

std::vector<ProcInfo> all_processes() {
  std::vector<ProcInfo> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (auto p = read_stat(static_cast<pid_t>(std::stol(name)))) out.push_back(*p);
  }
  return out;
}

bool gone(const ProcInfo& p) {
  return p.state == 'Z' || p.state == 'X' || p.state == 'x';
}

std::string command_line(pid_t pid) {
  std::string text = read_text_file("/proc/" + std::to_string(pid) + "/cmdline");
  for (char& c : text)
    if (c == '\0') c = ' ';
  while (!text.empty() && text.back() == ' ')
    text.pop_back();
  return text;
}

// Live (not zombie) members of a process group.
bool group_has_live_members(pid_t pgid) {
  if (::kill(-pgid, 0) != 0) return false;  // nobody, not even a zombie
  for (const ProcInfo& p : all_processes())
    if (p.pgid == pgid && !gone(p)) return true;
  return false;
}

// Whether the group has a member other than `leader`, zombies included.
bool group_has_others(pid_t pgid, pid_t leader) {
  if (::kill(-pgid, 0) != 0) return false;
  for (const ProcInfo& p : all_processes())
    if (p.pgid == pgid && p.pid != leader) return true;
  return false;
}

// Reaps exited members of group `pgid` that are this process's children (orphans re-parented to
// the subreaper), except `keep` (a leader reaped by its Process).
void reap_group_members(pid_t pgid, pid_t keep) {
  const pid_t self = ::getpid();
  for (const ProcInfo& p : all_processes())
    if (p.pgid == pgid && p.pid != keep && p.ppid == self && p.state == 'Z')
      ::waitpid(p.pid, nullptr, WNOHANG);
}

int decode_siginfo(const siginfo_t& info) {
  if (info.si_code == CLD_EXITED) return info.si_status;
  return 128 + info.si_status;
}

// The groups of live Process objects, with the test that started each ("" outside any test).
std::mutex registry_mutex;
std::map<pid_t, std::string>& registry() {
  static std::map<pid_t, std::string> groups;
  return groups;
}

std::string current_test() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info ? std::string(info->test_suite_name()) + "." + info->name() : std::string();
}

}  // namespace

Process::Process(std::vector<std::string> argv, const std::string& log_path) : log_path_(log_path) {
  spawn(argv, log_path, "");
}

Process::Process(std::vector<std::string> argv, const std::string& out_path,
                 const std::string& err_path)
    : log_path_(out_path) {
  spawn(argv, out_path, err_path);
}

void Process::spawn(std::vector<std::string>& argv, const std::string& out_path,
                    const std::string& err_path) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  if (err_path.empty()) {
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
  }
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  // A group of its own (pgid = pid), no signal blocked, and the signals a test sends or a
  // pipe raises at their default action whatever this binary does with them.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  for (int s : {SIGHUP, SIGINT, SIGTERM, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2})
    sigaddset(&defaults, s);
  posix_spawnattr_setsigdefault(&attr, &defaults);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  auto args = c_argv(argv);
  const int rc = posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), environ);
  posix_spawnattr_destroy(&attr);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0] + ": " + std::strerror(rc));
  const std::lock_guard lock(registry_mutex);
  registry()[pid_] = current_test();
}

Process::~Process() {
  if (pid_ > 0 && !reaped_) stop(SIGTERM, scaled(std::chrono::seconds(3)));
}

bool Process::running() {
  if (status_) return false;
  // Looks without reaping: the leader's zombie keeps the group's number reserved until stop().
  siginfo_t info{};
  if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
      info.si_pid == pid_) {
    status_ = decode_siginfo(info);
    return false;
  }
  return true;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  const auto end = Clock::now() + timeout;
  while (true) {
    if (!running()) return status_;
    if (Clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

int Process::stop(int signal, std::optional<std::chrono::milliseconds> grace_in) {
  if (reaped_) return *status_;
  const auto grace = grace_in ? *grace_in : scaled(std::chrono::seconds(5));
  // Until the leader is reaped, -pid_ can only name this group.
  const auto ended = [&](std::chrono::milliseconds limit) {
    const auto end = Clock::now() + limit;
    while (true) {
      // Done when only the leader is left (its zombie keeps the group's number); the other
      // members' zombies are this binary's to reap (the subreaper), or their parent's.
      reap_group_members(pid_, pid_);
      if (!running() && !group_has_others(pid_, pid_)) return true;
      if (Clock::now() >= end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  if (running() || group_has_live_members(pid_)) ::kill(-pid_, signal);
  if (!ended(grace)) {
    ::kill(-pid_, SIGKILL);
    ended(scaled(std::chrono::seconds(10)));
  }
  int st = 0;
  while (::waitpid(pid_, &st, 0) < 0 && errno == EINTR) {
  }
  status_ = decode_status(st);
  reaped_ = true;
  const std::lock_guard lock(registry_mutex);
  registry().erase(pid_);
  return *status_;
}

std::string Process::log() const {
  return read_text_file(log_path_);
}

RunResult run(const std::vector<std::string>& argv,
              std::optional<std::chrono::milliseconds> timeout) {
  TempDir dir;
  const std::string out_path = dir.file("out");
  const std::string err_path = dir.file("err");
  RunResult result;
  {
    Process p(argv, out_path, err_path);
    const auto status = p.wait(timeout ? *timeout : scaled(std::chrono::seconds(60)));
    // On time: ends whatever the command left in its group; late: kills the group (137).
    result.status = status ? *status : p.stop(SIGKILL);
    p.stop(SIGKILL);
  }
  result.out = read_text_file(out_path);
  result.err = read_text_file(err_path);
  return result;
}

std::vector<Leftover> end_leftover_processes(bool include_suite_processes) {
  const pid_t self = ::getpid();
  std::set<pid_t> kept;  // groups of Process objects started outside any test
  if (!include_suite_processes) {
    const std::lock_guard lock(registry_mutex);
    for (const auto& [pgid, test] : registry())
      if (test.empty()) kept.insert(pgid);
  }
  const auto descendants = [&] {
    const std::vector<ProcInfo> all = all_processes();
    std::map<pid_t, pid_t> parent;
    for (const ProcInfo& p : all)
      parent[p.pid] = p.ppid;
    std::vector<ProcInfo> out;
    for (const ProcInfo& p : all) {
      pid_t up = p.ppid;
      for (int depth = 0; depth < 64 && up > 1 && up != self; ++depth) {
        auto it = parent.find(up);
        up = it == parent.end() ? 0 : it->second;
      }
      if (up == self && p.pid != self) out.push_back(p);
    }
    return out;
  };
  std::vector<Leftover> left;
  for (const ProcInfo& p : descendants()) {
    if (gone(p) || kept.count(p.pgid)) continue;
    left.push_back({p.pid, p.pgid, command_line(p.pid)});
    ::kill(p.pid, SIGKILL);
  }
  // Wait until they are gone, reaping the zombies that are this binary's children and belong to
  // no live Process (those reap their own leader).
  const auto end = Clock::now() + scaled(std::chrono::seconds(10));
  while (true) {
    std::set<pid_t> owned;
    {
      const std::lock_guard lock(registry_mutex);
      for (const auto& entry : registry())
        owned.insert(entry.first);
    }
    bool alive = false;
    for (const ProcInfo& p : descendants()) {
      if (p.state == 'Z' && p.ppid == self && !owned.count(p.pid)) {
        ::waitpid(p.pid, nullptr, WNOHANG);
      } else if (!gone(p) && !kept.count(p.pgid)) {
        alive = true;
      }
    }
    if (!alive || Clock::now() >= end) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return left;
}

std::string meterlogger() {
  return ML_METERLOGGER_BIN;
}

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll) {
  const auto end = Clock::now() + timeout;
  while (!done()) {
    if (Clock::now() >= end) return false;
    std::this_thread::sleep_for(poll);
  }
  return true;
}

bool wait_for_log(const Process& process, const std::string& text,
                  std::chrono::milliseconds timeout) {
  return wait_until([&] { return process.log().find(text) != std::string::npos; }, timeout,
                    std::chrono::milliseconds(50));
}

std::string ms_text(std::chrono::milliseconds d) {
  return std::to_string(d.count());
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
  const auto end = Clock::now() + scaled(std::chrono::seconds(10));
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
