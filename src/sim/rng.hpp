// Deterministic pseudo-random numbers for the emulators. SplitMix64 is tiny, fully specified and
// the same on every platform, so a --seed reproduces a run exactly. Each decision the emulators
// take draws from a stream derived from (seed, request number, purpose), so enabling one fault
// never shifts the random choices of another.
#pragma once

#include <cstdint>

namespace ml::sim {

// One SplitMix64 step on x: a good 64-bit mixing function.
constexpr std::uint64_t mix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

// A stream id from several inputs (seed, counter, purpose).
constexpr std::uint64_t stream_id(std::uint64_t a, std::uint64_t b, std::uint64_t c = 0) {
  return mix64(mix64(mix64(a) ^ b) ^ c);
}

class Rng {
 public:
  explicit constexpr Rng(std::uint64_t seed) : state_(seed) {}

  constexpr std::uint64_t next() {
    state_ += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state_;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, n); 0 when n == 0. The modulo bias is below 2^-40 for the small n used here.
  constexpr std::uint64_t below(std::uint64_t n) { return n == 0 ? 0 : next() % n; }

  // Uniform in [0, 1) with 53 random bits.
  double unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // True with probability p (p <= 0: never, p >= 1: always). Always draws one number, so the
  // stream advances the same way whatever p is.
  bool chance(double p) {
    const double u = unit();
    return p >= 1.0 || u < p;
  }

  std::uint8_t byte() { return static_cast<std::uint8_t>(next() >> 56); }

 private:
  std::uint64_t state_;
};

// Purposes, so that each kind of decision has its own stream.
enum class Stream : std::uint64_t {
  faults = 1,
  garbage = 2,
  profile = 3,
  pulse = 4,
  fleet_class = 5,    // sim fleet: a device's failure class
  fleet_profile = 6,  // sim fleet: a device's installation and starting registers
  fleet_key = 7,      // sim fleet: the wrong key of a wrong_key device
  fleet_log = 8,      // sim fleet: whether a device is in the publish log's share
};

inline Rng stream(std::uint64_t seed, std::uint64_t counter, Stream purpose) {
  return Rng(stream_id(seed, counter, static_cast<std::uint64_t>(purpose)));
}

}  // namespace ml::sim
