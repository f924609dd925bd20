// Shared by the libFuzzer harnesses: a reader that turns the fuzzer's bytes into the values the
// engine's entry points receive (integers as the bindings pass them, raw IEEE doubles including
// NaN and infinities, float data), and a check that aborts with a readable message.
//
// Reading never fails: past the end of the input every read returns zero bits, so any byte
// string is a valid program and the fuzzer may cut or splice inputs freely.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <initializer_list>
#include <limits>
#include <string>

#include "base/status.h"

namespace fuzz {

// An invariant of the engine's contract did not hold: print it and abort, which libFuzzer
// reports as a crash with this input saved.
#define FUZZ_CHECK(cond, ...)                                              \
  do {                                                                     \
    if (!(cond)) {                                                         \
      std::fprintf(stderr, "\nFUZZ_CHECK failed at %s:%d: %s\n  ", __FILE__, \
                   __LINE__, #cond);                                       \
      std::fprintf(stderr, __VA_ARGS__);                                   \
      std::fprintf(stderr, "\n");                                          \
      std::abort();                                                        \
    }                                                                      \
  } while (0)

// Every fallible engine call returns one of the documented codes, with a message when not ok.
inline void check_status(const bn::Status& s, const char* call) {
  const int c = static_cast<int>(s.code);
  FUZZ_CHECK(c >= 0 && c <= 4, "%s returned unknown status code %d", call, c);
  FUZZ_CHECK(s.is_ok() || !s.message.empty(), "%s failed (code %d) without a message", call, c);
}

class Input {
 public:
  Input(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}

  bool empty() const { return p_ >= end_; }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }

  uint8_t u8() { return empty() ? 0 : *p_++; }
  bool boolean() { return (u8() & 1) != 0; }
  uint32_t u32() {
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(u8()) << (8 * i);
    return v;
  }
  uint64_t u64() {
    const uint64_t lo = u32();
    return lo | static_cast<uint64_t>(u32()) << 32;
  }
  // One of the listed values, chosen by the next byte.
  template <class T>
  T pick(std::initializer_list<T> values) {
    return values.begin()[u8() % values.size()];
  }
  // A seed as the bindings pass it after read_seed(): an integer in [0, 2^53).
  uint64_t seed53() { return u64() & ((uint64_t{1} << 53) - 1); }

  // Any double: raw bits (NaN payloads, infinities, subnormals) or one of the edge values.
  double any_double() {
    const uint8_t mode = u8();
    if (mode < 96) return edge_double(mode);
    if (mode < 160) {
      double d;
      const uint64_t bits = u64();
      std::memcpy(&d, &bits, sizeof d);
      return d;
    }
    // A "reasonable" value: a small integer scaled by a power of ten, e.g. 0.01, 3, 200.
    const int mant = static_cast<int8_t>(u8());
    const int exp10 = static_cast<int>(u8() % 13) - 6;
    return mant * std::pow(10.0, exp10);
  }

  // Floats for tensor data. Modes: raw bits (NaN, Inf, subnormals), small values, a constant
  // (zero variance), values around 1e4 or 1e-4 (BatchNorm's hard cases), huge values.
  void fill_floats(float* out, size_t n) {
    const uint8_t mode = u8() % 6;
    const float base = mode == 3 ? 1e4f : mode == 4 ? 1e-4f : 0.0f;
    const float c = static_cast<float>(static_cast<int8_t>(u8())) / 8.0f;
    for (size_t i = 0; i < n; ++i) {
      switch (mode) {
        case 0: {
          const uint32_t bits = u32();
          std::memcpy(&out[i], &bits, sizeof bits);
          break;
        }
        case 2: out[i] = c; break;
        case 3: out[i] = base + static_cast<float>(static_cast<int8_t>(u8())) / 128.0f; break;
        case 4: out[i] = base + static_cast<float>(static_cast<int8_t>(u8())) * 1e-8f; break;
        case 5: out[i] = static_cast<float>(static_cast<int8_t>(u8())) * 2.6e36f; break;
        default: out[i] = static_cast<float>(static_cast<int8_t>(u8())) / 16.0f; break;
      }
    }
  }

  // A finite float (what loadStateDict and the tensor setters let through).
  float finite_float() {
    const uint8_t mode = u8() % 4;
    if (mode == 0) return pick<float>({0.0f, -0.0f, 1.0f, -1.0f, 3.4e38f, -3.4e38f, 1e-45f, -1e30f});
    const float v = static_cast<float>(static_cast<int8_t>(u8())) / 16.0f;
    return mode == 3 ? v * 1e20f : v;
  }

 private:
  static double edge_double(uint8_t i) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    const double inf = std::numeric_limits<double>::infinity();
    static const double table[] = {
        0.0, -0.0, 1.0, -1.0, 0.5, 0.1, 0.9, 1e-5, 1e-300, 4.9e-324, -4.9e-324, 1e300,
        1.7976931348623157e308, -1.7976931348623157e308, 3.4028234663852886e38, 3.5e38,
        9007199254740992.0, 9007199254740993.0, 2147483648.0, -2147483649.0, 1e6, 1000000.0000000001,
        100.0, 1e4, 1e-4, 2.0, 10.0, 1e38, -1e-300, 1.0000000000000002, 0.9999999999999999, 1e-45,
    };
    constexpr size_t n = sizeof table / sizeof table[0];
    if (i % 16 == 0) return (i / 16) % 2 ? -nan : nan;
    if (i % 16 == 1) return (i / 16) % 2 ? -inf : inf;
    return table[i % n];
  }

  const uint8_t* p_;
  const uint8_t* end_;
};

// Reads every element, so AddressSanitizer checks that a buffer really has n valid floats.
inline float touch(const float* p, size_t n) {
  volatile float sink = 0;
  for (size_t i = 0; i < n; ++i) sink = sink + p[i];
  return sink;
}

}  // namespace fuzz
