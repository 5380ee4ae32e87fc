// The process runner the network backend runs nmcli with (suite NetworkProcess, so that
// --gtest_filter='Network*' covers everything the network commands use).
#include "platform/process/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <csignal>
#include <exception>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "coro_support.hpp"

namespace ml::platform {
namespace {

using Argv = std::vector<std::string>;
using Clock = std::chrono::steady_clock;

using test::run;

ProcessResult ran(Argv argv, ProcessOptions options = {}) {
  auto r = run(run_process(std::move(argv), std::move(options)));
  EXPECT_TRUE(r.ok()) << r.error().message();
  return r.ok() ? r.value() : ProcessResult{};
}

TEST(NetworkProcess, CapturesOutputErrorAndStatus) {
  auto r = ran({"sh", "-c", "echo out; echo err >&2; exit 3"});
  EXPECT_EQ(r.out, "out\n");
  EXPECT_EQ(r.err, "err\n");
  EXPECT_EQ(r.status, 3);
  EXPECT_EQ(first_line(r), "err");
  EXPECT_EQ(ran({"sh", "-c", "kill -TERM $$"}).status, 128 + SIGTERM);
  EXPECT_EQ(ran({"cat"}).out, "");  // stdin is /dev/null
}

TEST(NetworkProcess, ArgumentsReachTheProgramAsTheyAre) {
  auto r = ran({"printf", "%s|", "a b", "$HOME", ";", "*", "", "x\ny"});
  EXPECT_EQ(r.out, "a b|$HOME|;|*||x\ny|");
}

TEST(NetworkProcess, MissingProgram) {
  auto r = run(run_process({"/nonexistent/nmcli", "device"}));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::process_start);
  EXPECT_EQ(r.error().detail, "/nonexistent/nmcli: No such file or directory");
  EXPECT_EQ(run(run_process({})).error().code, core::Errc::process_start);
}

TEST(NetworkProcess, TimeoutKillsTheProcessGroup) {
  ProcessOptions options;
  options.timeout = std::chrono::milliseconds(300);
  const auto start = Clock::now();
  // The background sleep keeps the output pipe open: only killing the group ends it.
  auto r = run(run_process({"sh", "-c", "sleep 30 & sleep 30"}, options));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::process_timeout);
  EXPECT_EQ(r.error().detail, "sh: no result after 300 ms, killed");
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(5));
}

TEST(NetworkProcess, OutputIsBounded) {
  EXPECT_EQ(ran({"head", "-c", "300000", "/dev/zero"}).out.size(), 300000u);
  ProcessOptions options;
  options.max_output = 1000;
  options.max_error = 10;
  auto r = run(run_process({"head", "-c", "5000000", "/dev/zero"}, options));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, core::Errc::process_output_too_long);
  // Standard error beyond the bound is dropped, not an error.
  auto e = run(run_process({"sh", "-c", "head -c 100000 /dev/zero >&2"}, options));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->err.size(), 10u);
}

TEST(NetworkProcess, EnvironmentChanges) {
  ::setenv("ML_NET_TEST_GONE", "x", 1);
  ProcessOptions options;
  options.environment = {"ML_NET_TEST_SET=1", "ML_NET_TEST_GONE", "LC_ALL=C.UTF-8"};
  auto r = ran({"env"}, options);
  EXPECT_NE(r.out.find("\nML_NET_TEST_SET=1\n"), std::string::npos);
  EXPECT_NE(r.out.find("\nLC_ALL=C.UTF-8\n"), std::string::npos);
  EXPECT_EQ(r.out.find("ML_NET_TEST_GONE"), std::string::npos);
  ::unsetenv("ML_NET_TEST_GONE");
}

TEST(NetworkProcess, InheritsNoDescriptorsButTheStandardOnes) {
  // Descriptors without O_CLOEXEC, as a library might leave them.
  const int leaky1 = ::open("/dev/null", O_RDONLY);
  const int leaky2 = ::open("/dev/null", O_RDONLY);
  ASSERT_GE(leaky1, 0);
  ASSERT_GE(leaky2, 0);
  auto r = ran({"ls", "/proc/self/fd"});
  ::close(leaky1);
  ::close(leaky2);
  std::set<std::string> fds;
  std::istringstream in(r.out);
  for (std::string fd; in >> fd;)
    fds.insert(fd);
  // ls itself holds one more descriptor: the directory it lists.
  EXPECT_TRUE(fds.count("0") && fds.count("1") && fds.count("2")) << r.out;
  EXPECT_LE(fds.size(), 4u) << r.out;
  EXPECT_EQ(fds.count(std::to_string(std::max(leaky1, leaky2))), 0u) << r.out;
}

}  // namespace
}  // namespace ml::platform
