// The kernels the layers call: the SIMD variant in a SIMD build, the scalar reference otherwise.
// Chosen at compile time, so the call is direct (no function pointer on the hot path).
#pragma once

#include "kernels.h"

namespace bn::kernels::active {

#if BN_HAVE_SIMD
#define BN_ACTIVE(op) op##_simd
#else
#define BN_ACTIVE(op) op##_ref
#endif

inline constexpr bool simd = BN_HAVE_SIMD != 0;

inline constexpr auto* linear_forward = &BN_ACTIVE(linear_forward);
inline constexpr auto* linear_backward_input = &BN_ACTIVE(linear_backward_input);
inline constexpr auto* linear_backward_params = &BN_ACTIVE(linear_backward_params);
inline constexpr auto* bn_stats = &BN_ACTIVE(bn_stats);
inline constexpr auto* bn_forward = &BN_ACTIVE(bn_forward);
inline constexpr auto* bn_backward = &BN_ACTIVE(bn_backward);
inline constexpr auto* bn_backward_eval = &BN_ACTIVE(bn_backward_eval);
inline constexpr auto* relu_forward = &BN_ACTIVE(relu_forward);
inline constexpr auto* relu_backward = &BN_ACTIVE(relu_backward);
inline constexpr auto* sigmoid_forward = &BN_ACTIVE(sigmoid_forward);
inline constexpr auto* sigmoid_backward = &BN_ACTIVE(sigmoid_backward);
inline constexpr auto* tanh_forward = &BN_ACTIVE(tanh_forward);
inline constexpr auto* tanh_backward = &BN_ACTIVE(tanh_backward);
inline constexpr auto* sgd_step = &BN_ACTIVE(sgd_step);

#undef BN_ACTIVE

}  // namespace bn::kernels::active
