// Cost of the v2 envelope: key derivation, and seal/open of the 112-byte sample plaintext of the
// specification's vector A (PKCS#7, 176-byte payload); topic parsing for comparison.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string_view>

#include "core/envelope/envelope.hpp"
#include "core/topic/topic.hpp"

namespace {

using namespace ml::core;

constexpr std::string_view kKeyHex = "ef500c9268cf749016d26d6cbfaaf7bf";
constexpr std::string_view kTopic = "/sample/v2/7210086/1466572820";
constexpr std::string_view kText =
    "heap=21376&t1=23.61 C&t2=22.19 C&tdif=1.42 K&flow1=0 l/h&effect1=0.0 kW&hr=73327 h&"
    "v1=1321.27 m3&e1=56.726 MWh&";
constexpr envelope::Iv kIv = {0x54, 0xcd, 0x3d, 0x04, 0xf0, 0x24, 0xe7, 0xe5,
                              0xc4, 0x87, 0x62, 0x48, 0xcc, 0x14, 0x6c, 0x41};

const envelope::Keys& keys() {
  static const envelope::Keys k = envelope::derive_keys_from_hex(kKeyHex).value();
  return k;
}

void BM_DeriveKeys(benchmark::State& state) {
  const auto master = envelope::parse_master_key(kKeyHex).value();
  for (auto _ : state) {
    auto k = envelope::derive_keys(master);
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_DeriveKeys);

void BM_DeriveKeysFromHex(benchmark::State& state) {
  for (auto _ : state) {
    auto k = envelope::derive_keys_from_hex(kKeyHex);
    benchmark::DoNotOptimize(k);
  }
}
BENCHMARK(BM_DeriveKeysFromHex);

void BM_SealSample(benchmark::State& state) {
  for (auto _ : state) {
    auto payload = envelope::seal(keys(), kTopic, kIv, kText, envelope::Padding::pkcs7);
    benchmark::DoNotOptimize(payload);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kText.size() + 1));
}
BENCHMARK(BM_SealSample);

void BM_OpenSample(benchmark::State& state) {
  const Bytes payload =
      envelope::seal(keys(), kTopic, kIv, kText, envelope::Padding::pkcs7).value();
  if (payload.size() != 176) std::abort();
  for (auto _ : state) {
    auto text = envelope::open(keys(), kTopic, payload);
    benchmark::DoNotOptimize(text);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) *
                          static_cast<std::int64_t>(kText.size() + 1));
}
BENCHMARK(BM_OpenSample);

// A forged payload is rejected after the HMAC alone.
void BM_OpenBadMac(benchmark::State& state) {
  Bytes payload = envelope::seal(keys(), kTopic, kIv, kText, envelope::Padding::pkcs7).value();
  payload[0] ^= 1;
  for (auto _ : state) {
    auto text = envelope::open(keys(), kTopic, payload);
    benchmark::DoNotOptimize(text);
  }
}
BENCHMARK(BM_OpenBadMac);

void BM_ParseTopic(benchmark::State& state) {
  for (auto _ : state) {
    auto t = topic::parse("/config/v2/7210086/1466572820/open_until");
    benchmark::DoNotOptimize(t);
  }
}
BENCHMARK(BM_ParseTopic);

}  // namespace
