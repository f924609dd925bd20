// The engine's hot loops: pure functions on contiguous float arrays, declared here from the one
// list in kernels.inc (where each op's shape contract and the conventions stand).
//
// Every kernel exists twice with one name pattern: `<op>_ref` is a plain scalar loop written to be
// read (and never auto-vectorised, see CMakeLists.txt), `<op>_simd` is the 128-bit WebAssembly SIMD
// version (real <wasm_simd128.h> under Emscripten, SIMDe natively). The SIMD variants exist only
// when BN_HAVE_SIMD is 1. `kernels::active` (dispatch.h) picks one at compile time for the layers;
// tests and benchmarks walk both through kernel_table.h. The sources go by op family:
// <family>_ref.cpp and <family>_simd.cpp (linear, batchnorm, activation, sgd).
//
// The refs are the oracle the SIMD kernels are tested against and the kernels of the scalar build.
// Every reduction in a ref (dot product, channel sum) accumulates in double. In a scalar loop with
// one accumulator the time goes to the add latency, which is the same for double and float, so this
// costs next to nothing; in exchange each sum is exact to far below float round-off and a result
// differs from the true value only by its final rounding to float. That makes the ref a sharper
// reference, and it is what PyTorch does on the CPU for BatchNorm statistics. Elementwise
// arithmetic stays in float, in the order the SIMD kernels use, so those match bit for bit.
#pragma once

#include <cstddef>

#ifndef BN_HAVE_SIMD
#define BN_HAVE_SIMD 0
#endif

namespace bn::kernels {

// The signatures: using LinearForwardFn = void(float* out, ...), and so on.
#define BN_KERNEL_SIGNATURE(Name, params) using Name##Fn = void params;
#include "kernels.inc"

// The references, declared through their signature: `LinearForwardFn linear_forward_ref;`.
#define BN_KERNEL(op, Name) Name##Fn op##_ref;
#include "kernels.inc"

#if BN_HAVE_SIMD
#define BN_KERNEL(op, Name) Name##Fn op##_simd;
#include "kernels.inc"
#endif

// bn_stats_ref for channel c alone: bn_stats_simd falls back to it for a channel whose float32
// sums overflowed (see bn_stats in kernels.inc).
void bn_stats_channel_ref(float* mean, float* var, const float* inp, int N, int C, int S, int c);

}  // namespace bn::kernels
