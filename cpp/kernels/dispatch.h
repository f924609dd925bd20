// The kernels the layers call: the SIMD variant in a SIMD build, the scalar reference otherwise.
// Chosen at compile time: each `active::<op>` is a constant pointer to one function, so the call
// is direct (no function pointer is loaded on the hot path).
#pragma once

#include "kernels.h"

namespace bn::kernels::active {

inline constexpr bool simd = BN_HAVE_SIMD != 0;

#if BN_HAVE_SIMD
#define BN_KERNEL(op, Name) inline constexpr Name##Fn* op = &op##_simd;
#else
#define BN_KERNEL(op, Name) inline constexpr Name##Fn* op = &op##_ref;
#endif
#include "kernels.inc"

}  // namespace bn::kernels::active
