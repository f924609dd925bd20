// A small seeded generator (SplitMix64): the same seed gives the same weights on every platform
// and in both the SIMD and scalar builds. Not PyTorch's generator: fixtures load weights instead.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace bn {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : state_(seed) {}
  void seed(uint64_t s) { state_ = s; }

  uint64_t next_u64() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Standard normal (Box-Muller; one value per call keeps the stream simple to reason about).
  // The log and cosine are float's: double's would add 9 KB of tables and range reduction to the
  // module, for noise that only ever feeds float data.
  double normal() {
    const float u1 = std::max(static_cast<float>(uniform()), 0x1.0p-64f);  // > 0: log(0) is -inf
    const float u2 = static_cast<float>(uniform());
    return static_cast<double>(std::sqrt(-2.0f * std::log(u1)) * std::cos(6.28318530717958647f * u2));
  }
  // A uniform integer in [0, n), n >= 1 (rejection sampling: no modulo bias).
  uint64_t below(uint64_t n) {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t r;
    do r = next_u64(); while (r >= limit);
    return r % n;
  }

 private:
  uint64_t state_;
};

// The engine-wide generator used when a layer is created without an explicit seed
// (the analogue of torch.manual_seed's default generator); one per module instance.
Rng& global_rng();

}  // namespace bn
