// Benchmarks of the KMP decoder and the sample text (issue: foundation). Results: RESULTS.md.
#include <benchmark/benchmark.h>

#include "core/bytes.hpp"
#include "core/kmp/codec.hpp"
#include "core/kmp/messages.hpp"
#include "core/kmp/receiver.hpp"
#include "core/sample/sample.hpp"

namespace {

using namespace ml::core;

// The realistic 8-register reply of spec §3.9 example 3 (79 bytes on the wire).
const Bytes kReply8 =
    from_hex(
        "403F10003C0204000000DD9600442804420002041F03EC2E040000011E6F00562504420000093900572504"
        "42000008AB00592604420000008E004A2904000000001BF2005016044100000001FB670D")
        .value();

void BM_KmpDecodeRegisterReply8(benchmark::State& state) {
  for (auto _ : state) {
    auto frame = kmp::decode_frame(kReply8);
    auto regs = kmp::decode_register_reply(frame.value());
    benchmark::DoNotOptimize(regs);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kReply8.size()));
}
BENCHMARK(BM_KmpDecodeRegisterReply8);

void BM_KmpReceiverByteAtATime(benchmark::State& state) {
  kmp::Receiver rx;
  for (auto _ : state) {
    for (std::uint8_t b : kReply8) {
      auto e = rx.feed(b);
      benchmark::DoNotOptimize(e);
    }
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * kReply8.size()));
}
BENCHMARK(BM_KmpReceiverByteAtATime);

void BM_SampleFormat(benchmark::State& state) {
  auto regs = kmp::decode_register_reply(kmp::decode_frame(kReply8).value()).value();
  sample::Reading r = sample::reading_from_kmp(regs);
  r.heap = 21376;
  for (auto _ : state) {
    auto text = sample::format_sample(r);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_SampleFormat);

void BM_SampleParse(benchmark::State& state) {
  const std::string text =
      "heap=21376&t1=23.61 C&t2=22.19 C&tdif=1.42 K&flow1=0 l/h&effect1=0.0 kW&hr=73327 h&"
      "v1=1321.27 m3&e1=56.726 MWh&";
  for (auto _ : state) {
    auto parsed = sample::parse_sample(text);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(BM_SampleParse);

}  // namespace
