// One include for the wasm_* SIMD intrinsics, and the small helpers every SIMD kernel uses: the
// real header under Emscripten, SIMDe elsewhere (mapped to SSE/AVX), so the very same kernels are
// tested natively under sanitizers.
//
// Habits of the SIMD kernels (<family>_simd.cpp), each matching its _ref: several independent
// accumulators so the add latency is hidden; a `// leftovers` tail in the same function for sizes
// that are not a multiple of the vector width; mul then add (wasm has no fused multiply-add in
// clang 14). Elementwise arithmetic is written in the same order as the ref, so those kernels agree
// with it bit for bit; only sums differ, by float round-off, and long sums are blocked and combined
// pairwise (simd_sums.h) so that round-off stays small.
#pragma once

#if defined(__EMSCRIPTEN__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif

namespace bn::kernels {
// Internal linkage (see layout.h).
namespace {

using v128 = v128_t;

inline v128 splat(float x) { return wasm_f32x4_splat(x); }
inline v128 zero() { return wasm_f32x4_splat(0.0f); }
inline v128 load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, v128 v) { wasm_v128_store(p, v); }
// Overloaded for float too, so that templates (simd_sums.h) can spell one formula for a lane or a value.
inline v128 add(v128 a, v128 b) { return wasm_f32x4_add(a, b); }
inline v128 sub(v128 a, v128 b) { return wasm_f32x4_sub(a, b); }
inline v128 mul(v128 a, v128 b) { return wasm_f32x4_mul(a, b); }
inline v128 div(v128 a, v128 b) { return wasm_f32x4_div(a, b); }
inline float sub(float a, float b) { return a - b; }
inline float mul(float a, float b) { return a * b; }

// The first k lanes (1 <= k <= 4) of p, the others 0: a leftover load that never reads past the end.
inline v128 load_n(const float* p, int k) {
  if (k >= 4) return load(p);
  return wasm_f32x4_make(p[0], k > 1 ? p[1] : 0.0f, k > 2 ? p[2] : 0.0f, 0.0f);
}

inline void store_n(float* p, v128 v, int k) {
  if (k >= 4) return store(p, v);
  p[0] = wasm_f32x4_extract_lane(v, 0);
  if (k > 1) p[1] = wasm_f32x4_extract_lane(v, 1);
  if (k > 2) p[2] = wasm_f32x4_extract_lane(v, 2);
}

inline float hsum(v128 v) {
  const v128 t = add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  return wasm_f32x4_extract_lane(add(t, wasm_i32x4_shuffle(t, t, 1, 0, 3, 2)), 0);
}

}  // namespace
}  // namespace bn::kernels
