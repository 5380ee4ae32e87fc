// The integration binary's main: GoogleTest, with this binary as the child subreaper of every
// process a test starts, and a check after each test that nothing it started is left running
// (tests/integration/harness.hpp, Process; docs/building.md, "Processes and deadlines").
#include <gtest/gtest.h>
#include <sys/prctl.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <sstream>

#include "harness.hpp"

namespace {

std::string describe(const std::vector<ml::test::Leftover>& left) {
  std::ostringstream out;
  for (const auto& p : left)
    out << "\n  pid " << p.pid << " (group " << p.pgid << "): " << p.command;
  return out.str();
}

// Fails the test that left a process running, names it and kills it. Runs after the test's
// fixture is destroyed, so everything the test owned has been stopped by then.
class LeftoverCheck : public testing::EmptyTestEventListener {
  void OnTestEnd(const testing::TestInfo& info) override {
    const auto left = ml::test::end_leftover_processes();
    if (!left.empty()) {
      ADD_FAILURE() << info.test_suite_name() << "." << info.name() << " left " << left.size()
                    << " process(es) running (killed now):" << describe(left);
    }
  }
};

// What a suite-level fixture (SetUpTestSuite) left, checked once everything has run.
class FinalCheck : public testing::Environment {
  void TearDown() override {
    const auto left = ml::test::end_leftover_processes(true);
    if (!left.empty()) ADD_FAILURE() << "processes left running (killed now):" << describe(left);
  }
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  // Orphans of the processes a test starts (a wrapper's child, a daemon) are re-parented to
  // this binary instead of init: the check sees them and reaps them.
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    std::cerr << "prctl(PR_SET_CHILD_SUBREAPER): " << std::strerror(errno) << "\n";
    return 1;
  }
  // Appended after the default printer: its OnTestEnd runs first (end events go in reverse),
  // so a failure it adds is printed with the test.
  testing::UnitTest::GetInstance()->listeners().Append(new LeftoverCheck);
  testing::AddGlobalTestEnvironment(new FinalCheck);
  return RUN_ALL_TESTS();
}
