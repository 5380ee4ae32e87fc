// Test harness for integration tests: real child processes (the meterlogger binary, mosquitto,
// ser2net), free loopback ports, temporary directories, and the emulator's control socket.
#pragma once

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
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

}  // namespace ml::test
