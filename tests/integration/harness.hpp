// Test harness for integration tests: real child processes (the meterlogger binary, mosquitto,
// ser2net), free loopback ports, temporary directories, and the emulator's control socket.
#pragma once

#include <chrono>
#include <filesystem>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ml::test {

// Deadlines: every limit a test waits for is a base figure times ML_TEST_TIME_SCALE (default 1;
// the sanitizer preset sets a larger one), so a loaded or instrumented machine gets more time
// while a test that goes right still ends on the event it waits for, never at the deadline.
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

// A child process; stdout and stderr go to files in the test's directory. Killed (SIGTERM, then
// SIGKILL) when destroyed.
class Process {
 public:
  Process(std::vector<std::string> argv, const std::string& log_path);
  ~Process();
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  int pid() const { return pid_; }
  bool running();
  // Sends a signal and waits for the exit; returns the exit status (128 + signal when killed).
  int stop(int signal = 15, std::chrono::milliseconds grace = std::chrono::seconds(5));
  // Waits for the process to exit by itself.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  int pid_ = -1;
  std::optional<int> status_;
  std::string log_path_;
};

// Result of running a command to completion.
struct RunResult {
  int status = -1;
  std::string out;
  std::string err;
};
RunResult run(const std::vector<std::string>& argv,
              std::chrono::milliseconds timeout = std::chrono::seconds(60));

// Path of the meterlogger binary under test.
// The whole file ("" when it cannot be read).
std::string read_text_file(const std::string& path);

std::string meterlogger();

// Waits until path exists (a pty link, a socket); false on timeout.
bool wait_for_path(const std::string& path,
                   std::chrono::milliseconds timeout = std::chrono::seconds(10));

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
// Waits until something accepts TCP connections on 127.0.0.1:port.
bool wait_for_port(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));

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
