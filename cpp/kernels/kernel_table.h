// The one list of kernel pairs that the tests and the benchmarks both walk, one array per
// signature. A kernel added to kernels.h goes here once and is then tested and timed.
#pragma once

#include "kernels.h"

namespace bn::kernels {

template <class Fn>
struct KernelPair {
  const char* name;  // the op, without _ref/_simd
  Fn* ref;
  Fn* simd;  // nullptr in a build without SIMD
};

using LinearForwardFn = decltype(linear_forward_ref);
using LinearBackwardInputFn = decltype(linear_backward_input_ref);
using LinearBackwardParamsFn = decltype(linear_backward_params_ref);
using BnStatsFn = decltype(bn_stats_ref);
using BnForwardFn = decltype(bn_forward_ref);
using BnBackwardFn = decltype(bn_backward_ref);  // bn_backward and bn_backward_eval
using ActivationForwardFn = decltype(relu_forward_ref);
using ActivationBackwardFn = decltype(relu_backward_ref);
using SgdStepFn = decltype(sgd_step_ref);

#if BN_HAVE_SIMD
#define BN_KERNEL_PAIR(op) {#op, &op##_ref, &op##_simd}
#else
#define BN_KERNEL_PAIR(op) {#op, &op##_ref, nullptr}
#endif

inline constexpr KernelPair<LinearForwardFn> kLinearForward[] = {BN_KERNEL_PAIR(linear_forward)};
inline constexpr KernelPair<LinearBackwardInputFn> kLinearBackwardInput[] = {
    BN_KERNEL_PAIR(linear_backward_input)};
inline constexpr KernelPair<LinearBackwardParamsFn> kLinearBackwardParams[] = {
    BN_KERNEL_PAIR(linear_backward_params)};
inline constexpr KernelPair<BnStatsFn> kBnStats[] = {BN_KERNEL_PAIR(bn_stats)};
inline constexpr KernelPair<BnForwardFn> kBnForward[] = {BN_KERNEL_PAIR(bn_forward)};
inline constexpr KernelPair<BnBackwardFn> kBnBackward[] = {BN_KERNEL_PAIR(bn_backward),
                                                          BN_KERNEL_PAIR(bn_backward_eval)};
inline constexpr KernelPair<ActivationForwardFn> kActivationForward[] = {
    BN_KERNEL_PAIR(relu_forward), BN_KERNEL_PAIR(sigmoid_forward), BN_KERNEL_PAIR(tanh_forward)};
inline constexpr KernelPair<ActivationBackwardFn> kActivationBackward[] = {
    BN_KERNEL_PAIR(relu_backward), BN_KERNEL_PAIR(sigmoid_backward), BN_KERNEL_PAIR(tanh_backward)};
inline constexpr KernelPair<SgdStepFn> kSgdStep[] = {BN_KERNEL_PAIR(sgd_step)};

#undef BN_KERNEL_PAIR

// Every name above, so a test can check that none is missing.
inline constexpr const char* kAllKernelNames[] = {
    "linear_forward",  "linear_backward_input", "linear_backward_params", "bn_stats",
    "bn_forward",      "bn_backward",           "bn_backward_eval",       "relu_forward",
    "relu_backward",   "sigmoid_forward",       "sigmoid_backward",       "tanh_forward",
    "tanh_backward",   "sgd_step"};

}  // namespace bn::kernels
