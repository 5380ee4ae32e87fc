// Running a program and collecting its output on the caller's Asio loop, without a shell and
// without blocking: argv goes to posix_spawnp as it is, stdin is /dev/null, stdout and stderr are
// read through pipes, and a deadline kills the program (its whole process group) when it hangs.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace ml::platform {

struct ProcessOptions {
  // From the start until the program has exited; then it is killed (SIGKILL to its process
  // group) and the run is an error (process_timeout).
  std::chrono::milliseconds timeout{30000};
  // Standard output beyond this is an error (process_output_too_long); the program is killed.
  std::size_t max_output = 1024 * 1024;
  // Standard error beyond this is read and dropped.
  std::size_t max_error = 16 * 1024;
  // Changes to the inherited environment: "NAME=value" sets NAME, "NAME" removes it.
  std::vector<std::string> environment;
};

struct ProcessResult {
  int status = 0;   // exit status, or 128 + the signal that ended it
  std::string out;  // standard output
  std::string err;  // standard error (at most max_error bytes)
};

// Runs argv[0] (looked up on PATH when it has no '/') with the arguments argv[1..]. The program
// runs in its own process group, with default signal dispositions and an empty signal mask, and
// inherits no file descriptor but 0, 1 and 2. A non-zero exit status is not an error here: the
// caller reads `status`. Errors: process_start (argv empty, spawn failed), process_timeout,
// process_output_too_long.
asio::awaitable<core::Result<ProcessResult>> run_process(std::vector<std::string> argv,
                                                         ProcessOptions options = {});

// The first line of a program's standard error (or of its output when stderr is empty), trimmed
// and cut to 200 bytes: for error messages.
std::string first_line(const ProcessResult& result);

}  // namespace ml::platform
