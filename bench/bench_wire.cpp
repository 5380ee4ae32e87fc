// Wire efficiency of the serial reader: one full read against the paced emulator (a
// `meterlogger sim` process on a pseudo-terminal), reported as wall time divided by the time the
// exchanged bytes need on the wire at their line settings. Goal for KMP: <= 1.15.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "core/iec62056/readout.hpp"
#include "core/iec62056/steps.hpp"
#include "meter/kmp_reader.hpp"
#include "meter/mc66_reader.hpp"

extern char** environ;

namespace {

using namespace ml;

class EmulatorProcess {
 public:
  EmulatorProcess(const std::string& kind, const std::string& link) : link_(link) {
    std::vector<std::string> args = {ML_METERLOGGER_BIN, "sim",     kind, "--link", link,
                                     "--quiet",          "--freeze"};
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    posix_spawn_file_actions_t quiet;
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    const int rc = posix_spawn(&pid_, argv[0], &quiet, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (rc != 0) throw std::runtime_error("cannot start the emulator");
    for (int i = 0; i < 500 && !std::filesystem::exists(link); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  ~EmulatorProcess() {
    ::kill(pid_, SIGTERM);
    ::waitpid(pid_, nullptr, 0);
  }

 private:
  pid_t pid_ = -1;
  std::string link_;
};

template <class Read>
void run_reads(benchmark::State& state, const std::string& kind, Read read,
               double (*wire_seconds)(const meter::LinkStats&)) {
  const std::string link = "/tmp/ml-bench-" + kind + "-" + std::to_string(::getpid());
  EmulatorProcess emulator(kind, link);
  double wall = 0;
  double wire = 0;
  for (auto _ : state) {
    asio::io_context io;
    meter::LinkStats stats;
    bool ok = false;
    const auto start = std::chrono::steady_clock::now();
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          auto l = co_await platform::open_link(link);
          if (!l) co_return;
          meter::Session session(**l, stats, nullptr);
          ok = co_await read(session);
        },
        asio::detached);
    io.run();
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!ok) {
      state.SkipWithError("read failed");
      return;
    }
    state.SetIterationTime(seconds);
    wall += seconds;
    wire += wire_seconds(stats);
  }
  state.counters["wire_s"] = wire / static_cast<double>(state.iterations());
  state.counters["wall_s"] = wall / static_cast<double>(state.iterations());
  state.counters["wall_per_wire"] = wall / wire;
}

double kmp_wire(const meter::LinkStats& s) {
  return static_cast<double>(core::wire_time_us(core::kKmpLine, s.bytes_sent + s.bytes_received)) /
         1e6;
}

void BM_KmpFullSample(benchmark::State& state) {
  run_reads(
      state, "kmp",
      [](meter::Session& s) -> asio::awaitable<bool> {
        auto r = co_await meter::read_kmp(s, meter::KmpOptions{});
        co_return r.ok() && r->registers.size() == 8;
      },
      kmp_wire);
}
BENCHMARK(BM_KmpFullSample)->UseManualTime()->Iterations(5)->Unit(benchmark::kMillisecond);

// EN 61107: requests (and the wake-up) go at 300 7E2; the ident and readout replies at 300 7E1;
// the /# replies at 1200 7E1. The byte counts per direction come from the link statistics; the
// split of the received bytes between the two reply speeds from the reply sizes of the cycle.
std::size_t g_slow_reply_bytes = 0;  // ident + readout, measured in the read below

double mc66_wire(const meter::LinkStats& s) {
  namespace iec = core::iec;
  const double sent = static_cast<double>(core::wire_time_us(iec::kRequestLine, s.bytes_sent));
  const double slow =
      static_cast<double>(core::wire_time_us(iec::kReadoutReplyLine, g_slow_reply_bytes));
  const double fast = static_cast<double>(
      core::wire_time_us(iec::kDataStringReplyLine, s.bytes_received - g_slow_reply_bytes));
  return (sent + slow + fast) / 1e6;
}

void BM_Mc66cFullCycle(benchmark::State& state) {
  run_reads(
      state, "mc66c",
      [](meter::Session& s) -> asio::awaitable<bool> {
        auto r = co_await meter::read_mc66(s, meter::Mc66Options{});
        if (!r) co_return false;
        // The ident line and the readout block, byte for byte as received.
        g_slow_reply_bytes = core::iec::encode_readout(r->readout, r->readout.bcc_method)->size();
        co_return true;
      },
      mc66_wire);
}
BENCHMARK(BM_Mc66cFullCycle)->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);

}  // namespace
