// Test harness for integration tests: real child processes (the meterlogger binary, mosquitto,
// ser2net), free loopback ports, temporary directories, and the emulator's control socket.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ml::test {

// Deadlines: every limit a test waits for is a base figure times ML_TEST_TIME_SCALE (default 1;
// CMake's ML_TEST_TIME_SCALE sets it for ctest, larger in the sanitizer preset), so a loaded or
// instrumented machine gets more time while a test that goes right still ends on the event it
// waits for, never at the deadline. A test waits for events (a message, a file, a log line, a
// port), not for time; where it deliberately lets time pass (nothing may happen meanwhile, or a
// count runs for a while) it says so, and that duration is not scaled.
double time_scale();
std::chrono::milliseconds scaled(std::chrono::milliseconds base);

// A temporary directory removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// Child processes. Every process a test starts goes through Process or run(), never through
// system(), popen() or a fork of its own:
// - each child leads a process group of its own, so a wrapper (env, faketime, node) and all it
//   starts are one group;
// - stop() and the destructor signal the whole group (kill(-pgid)), wait until every member has
//   gone (SIGKILL after the grace), then reap the leader; the leader is reaped last, so the
//   group's number cannot be reused by an unrelated process while it is being signalled;
// - the integration binary is a child subreaper (tests/integration/main.cpp): whatever a child
//   leaves behind is re-parented to it, and after every test the leftover check fails the test
//   naming each process still running, and kills it.
class Process {
 public:
  // stdout and stderr both go to log_path.
  Process(std::vector<std::string> argv, const std::string& log_path);
  // stdout to out_path, stderr to err_path.
  Process(std::vector<std::string> argv, const std::string& out_path, const std::string& err_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  // The leader's pid, which is also the group's id.
  int pid() const { return pid_; }
  // False once the leader has exited (the group may still have members until stop()).
  bool running();
  // Signals the group and waits until it is gone; returns the leader's exit status (128 + signal
  // when killed). After `grace`, SIGKILL. Also ends what is left of the group when the leader
  // has already exited by itself.
  int stop(int signal = 15, std::optional<std::chrono::milliseconds> grace = std::nullopt);
  // Waits for the leader to exit by itself (without ending the rest of its group).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  void spawn(std::vector<std::string>& argv, const std::string& out_path,
             const std::string& err_path);

  int pid_ = -1;
  bool reaped_ = false;
  std::optional<int> status_;
  std::string log_path_;
};

// Result of running a command to completion.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
// Runs a command in a process group of its own; at the timeout (default scaled(60s)) the group
// is killed and the status is 137. Whatever the command left running in its group is ended too.
RunResult run(const std::vector<std::string>& argv,
              std::optional<std::chrono::milliseconds> timeout = std::nullopt);

// A process that a test left running: descended from the test binary (the binary is their
// subreaper) and not a zombie.
struct Leftover {
  int pid = 0;
  int pgid = 0;
  std::string command;
};
// Finds the live processes descended from this binary, kills them (SIGKILL), waits until they
// are gone and reaps the zombies nobody owns; returns what it found. Used by the check after
// each test, which passes include_suite_processes = false to leave the groups of Process objects
// started outside any test (in a suite's SetUpTestSuite) to their owner; the check at the end of
// the run passes true.
std::vector<Leftover> end_leftover_processes(bool include_suite_processes = false);

// Polls `done` every `poll` until it is true or `timeout` passes; returns done().
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(20));
// Waits until the process's log holds `text`.
bool wait_for_log(const Process& process, const std::string& text,
                  std::chrono::milliseconds timeout = scaled(std::chrono::seconds(20)));
// A duration in whole milliseconds, as a command-line option takes it.
std::string ms_text(std::chrono::milliseconds d);

// The whole file ("" when it cannot be read).
std::string read_text_file(const std::string& path);

// Path of the meterlogger binary under test.
std::string meterlogger();

// Waits until path exists (a pty link, a socket); false on timeout.
bool wait_for_path(const std::string& path,
                   std::chrono::milliseconds timeout = scaled(std::chrono::seconds(10)));

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout = scaled(std::chrono::seconds(10)));

// A JSON-lines client for an emulator's control socket.
class Control {
 public:
  explicit Control(const std::string& socket_path);
  ~Control();
  Control(const Control&) = delete;
  Control& operator=(const Control&) = delete;
  // Sends one request and returns the reply object.
  nlohmann::json request(const nlohmann::json& request);

 private:
  int fd_ = -1;
  std::string buffer_;
};

// ---- slow clients (docs/server.md, "The HTTP server") ----

// Raises this process's open-file limit to its maximum (tests that open a thousand sockets).
void raise_open_file_limit();
// A TCP connection to 127.0.0.1:port from source address `from` (every 127/8 address is this
// machine, so a test can be many clients); -1 when it cannot connect.
int connect_from(const std::string& from, int port);
// Whether the peer closed `fd` (end of stream or reset) within `timeout`; data is read and
// dropped meanwhile.
bool closed_within(int fd, std::chrono::milliseconds timeout);
// The server's peak resident memory (VmHWM in /proc/PID/status), KiB; -1 when unknown.
long peak_rss_kib(int pid);

// Connections that hold a server without finishing a request: `idle` ones that send nothing,
// from the addresses 127.0.N.M, `per_address` from each; and `tricklers` (one address each)
// that send a request line and then a header line every `interval`, never the blank line.
class SlowClients {
 public:
  SlowClients(int port, int idle, int per_address, int tricklers,
              std::chrono::milliseconds interval);
  ~SlowClients();
  SlowClients(const SlowClients&) = delete;
  SlowClients& operator=(const SlowClients&) = delete;

  // How many idle connections could be made, and how many of them the server still holds.
  int idle_connected() const { return static_cast<int>(idle_.size()); }
  int idle_open() const;
  // Waits until the server has cut every trickler; the longest time one lived, or nullopt when
  // one was still open at `timeout`.
  std::optional<std::chrono::milliseconds> wait_tricklers_cut(std::chrono::milliseconds timeout);

 private:
  void trickle();
  std::vector<int> idle_;
  struct Trickler {
    int fd;
    std::chrono::steady_clock::time_point opened;
    std::optional<std::chrono::milliseconds> lived;
  };
  std::vector<Trickler> tricklers_;
  std::chrono::milliseconds interval_;
  mutable std::mutex mutex_;  // guards tricklers_[].lived, stop_
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ml::test
