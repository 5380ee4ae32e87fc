#include "platform/process/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <asio/experimental/as_tuple.hpp>
#include <asio/experimental/awaitable_operators.hpp>
#include <asio/posix/stream_descriptor.hpp>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/use_awaitable.hpp>
#include <cerrno>
#include <cstring>
#include <utility>

extern char** environ;

namespace ml::platform {

using Clock = std::chrono::steady_clock;  // as serial/link.hpp's (one name per namespace)

namespace {

using asio::awaitable;
using asio::use_awaitable;
using namespace asio::experimental::awaitable_operators;
constexpr auto kTuple = asio::experimental::as_tuple(use_awaitable);

struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
  int release() { return std::exchange(fd, -1); }
};

bool make_pipe(Fd& read_end, Fd& write_end) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return false;
  read_end.fd = fds[0];
  write_end.fd = fds[1];
  return true;
}

std::string name_of(const std::string& entry) {
  return entry.substr(0, entry.find('='));
}

std::vector<std::string> child_environment(const std::vector<std::string>& changes) {
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e)
    env.emplace_back(*e);
  for (const auto& change : changes) {
    const std::string name = name_of(change);
    std::erase_if(env, [&](const std::string& e) { return name_of(e) == name; });
    if (change.find('=') != std::string::npos) env.push_back(change);
  }
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings)
    out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Kills and reaps the program if the coroutine ends early (destroyed while suspended, or an
// exception): no stray process, no zombie.
struct Child {
  pid_t pid = -1;
  bool reaped = false;
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() {
    if (pid <= 0 || reaped) return;
    ::kill(-pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
  }
};

int decode_status(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Reads a pipe to its end (or until cancelled). Keeps at most `keep` bytes; the first byte past
// `keep` calls on_overflow when it is set.
awaitable<void> drain(asio::posix::stream_descriptor& pipe, std::string& into, std::size_t keep,
                      bool& overflow, pid_t kill_group_on_overflow) {
  char buf[4096];
  for (;;) {
    auto [ec, n] = co_await pipe.async_read_some(asio::buffer(buf), kTuple);
    if (ec) co_return;  // end of file, or cancelled by the deadline
    const std::size_t room = keep - std::min(keep, into.size());
    into.append(buf, std::min(room, n));
    if (n > room && !overflow) {
      overflow = true;
      if (kill_group_on_overflow > 0) ::kill(-kill_group_on_overflow, SIGKILL);
    }
  }
}

}  // namespace

awaitable<core::Result<ProcessResult>> run_process(std::vector<std::string> argv,
                                                   ProcessOptions options) {
  if (argv.empty()) co_return core::make_error(core::Errc::process_start, "no program given");
  const std::string& program = argv[0];
  auto executor = co_await asio::this_coro::executor;
  const auto deadline = Clock::now() + options.timeout;

  Fd out_read, out_write, err_read, err_write;
  if (!make_pipe(out_read, out_write) || !make_pipe(err_read, err_write)) {
    co_return core::make_error(core::Errc::process_start,
                               program + ": cannot create a pipe: " + std::strerror(errno));
  }

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_write.fd, 1);
  posix_spawn_file_actions_adddup2(&actions, err_write.fd, 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr,
                           POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setpgroup(&attr, 0);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  sigset_t all;
  sigfillset(&all);
  sigdelset(&all, SIGKILL);
  sigdelset(&all, SIGSTOP);
  posix_spawnattr_setsigdefault(&attr, &all);

  std::vector<std::string> env = child_environment(options.environment);
  auto c_argv = c_strings(argv);
  auto c_env = c_strings(env);
  pid_t pid = -1;
  const int rc =
      ::posix_spawnp(&pid, program.c_str(), &actions, &attr, c_argv.data(), c_env.data());
  Child child;
  if (rc == 0) child.pid = pid;
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  out_write.reset();
  err_write.reset();
  if (rc != 0) {
    co_return core::make_error(core::Errc::process_start, program + ": " + std::strerror(rc));
  }

  ProcessResult result;
  bool out_overflow = false;
  bool err_overflow = false;
  bool timed_out = false;
  {
    asio::posix::stream_descriptor out(executor, out_read.release());
    asio::posix::stream_descriptor err(executor, err_read.release());
    asio::steady_timer timer(executor, deadline);
    auto which = co_await ((drain(out, result.out, options.max_output, out_overflow, pid) &&
                            drain(err, result.err, options.max_error, err_overflow, 0)) ||
                           timer.async_wait(kTuple));
    timed_out = which.index() == 1;
  }
  if (timed_out) ::kill(-pid, SIGKILL);

  // Both pipes are closed: the program has exited or is about to. Reap it before the deadline.
  int status = 0;
  asio::steady_timer poll(executor);
  auto pause = std::chrono::milliseconds(1);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) {
      child.reaped = true;
      break;
    }
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      child.reaped = true;  // not ours to wait for any more
      co_return core::make_error(core::Errc::process_start,
                                 program + ": cannot wait for it: " + std::strerror(errno));
    }
    if (Clock::now() >= deadline) {
      timed_out = true;
      ::kill(-pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      child.reaped = true;
      break;
    }
    poll.expires_after(std::min<Clock::duration>(pause, deadline - Clock::now()));
    co_await poll.async_wait(kTuple);
    pause = std::min(pause * 2, std::chrono::milliseconds(20));
  }
  result.status = decode_status(status);

  if (timed_out) {
    co_return core::make_error(
        core::Errc::process_timeout,
        program + ": no result after " + std::to_string(options.timeout.count()) + " ms, killed");
  }
  if (out_overflow) {
    co_return core::make_error(
        core::Errc::process_output_too_long,
        program + ": more than " + std::to_string(options.max_output) + " bytes of output, killed");
  }
  co_return result;
}

std::string first_line(const ProcessResult& result) {
  std::string_view text = result.err;
  const auto blank = [](std::string_view t) {
    return t.find_first_not_of(" \t\r\n") == std::string_view::npos;
  };
  if (blank(text)) text = result.out;
  const std::size_t start = text.find_first_not_of(" \t\r\n");
  if (start == std::string_view::npos) return {};
  text.remove_prefix(start);
  text = text.substr(0, text.find('\n'));
  while (!text.empty() && (text.back() == ' ' || text.back() == '\r' || text.back() == '\t'))
    text.remove_suffix(1);
  std::string out(text.substr(0, 200));
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) c = '?';
  }
  return out;
}

}  // namespace ml::platform
