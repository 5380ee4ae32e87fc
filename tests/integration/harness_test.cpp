// The harness's process rules (tests/integration/harness.hpp): a stopped Process ends its whole
// group (a wrapper such as faketime and what it started), run() kills its group at the timeout,
// and what escapes the group is found by the check that runs after each test.
#include "harness.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <cerrno>
#include <thread>

namespace ml::test {
namespace {

using namespace std::chrono_literals;

// The pid a shell wrote to `path`, once the line is complete.
int pid_from(const std::string& path) {
  const auto end = std::chrono::steady_clock::now() + scaled(10s);
  while (std::chrono::steady_clock::now() < end) {
    const std::string text = read_text_file(path);
    if (!text.empty() && text.back() == '\n') return std::stoi(text);
    std::this_thread::sleep_for(10ms);
  }
  return -1;
}

bool exists(int pid) {
  return ::kill(pid, 0) == 0 || errno != ESRCH;
}

// The shell gets SIGTERM and ends; the child it started (as faketime starts the agent) must end
// with it instead of running on in a deleted directory.
TEST(Harness, StopEndsTheWholeGroupOfAWrapper) {
  TempDir dir;
  Process wrapper({"sh", "-c", "sleep 600 & echo $! > " + dir.file("child") + "; wait"},
                  dir.file("sh.log"));
  const int child = pid_from(dir.file("child"));
  ASSERT_GT(child, 0);
  EXPECT_EQ(wrapper.stop(SIGTERM), 128 + SIGTERM);
  EXPECT_FALSE(exists(child)) << "the wrapper's child is still running";
}

TEST(Harness, RunKillsTheGroupAtTheTimeout) {
  TempDir dir;
  const auto r = run({"sh", "-c", "sleep 600 & echo $! > " + dir.file("child") + "; wait"}, 300ms);
  EXPECT_EQ(r.status, 128 + SIGKILL);
  const int child = pid_from(dir.file("child"));
  ASSERT_GT(child, 0);
  EXPECT_FALSE(exists(child));
}

// A process that leaves the group (its own session) survives stop(); it is re-parented to this
// binary, and the check after the test finds it, names it and kills it.
TEST(Harness, TheLeftoverCheckFindsWhatEscapedTheGroup) {
  TempDir dir;
  {
    // The escaped process writes its own pid once it is in its new session.
    Process p(
        {"sh", "-c", "setsid sh -c 'echo $$ > " + dir.file("child") + "; exec sleep 600' & wait"},
        dir.file("sh.log"));
    ASSERT_GT(pid_from(dir.file("child")), 0);
    p.stop(SIGTERM);
  }
  const int child = pid_from(dir.file("child"));
  ASSERT_TRUE(exists(child));
  const auto left = end_leftover_processes();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(left[0].pid, child);
  EXPECT_EQ(left[0].command, "sleep 600");
  EXPECT_FALSE(exists(child)) << "killed and reaped";
  EXPECT_TRUE(end_leftover_processes().empty());
}

}  // namespace
}  // namespace ml::test
