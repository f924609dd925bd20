// The tables that the tests and the benchmarks walk, generated from the list in kernels.inc:
// the ops and their names, the signatures and their names, and for each signature the pairs
// (op, _ref, _simd) of the ops that have it, in list order. A kernel added to kernels.inc is in
// these tables without an edit here.
#pragma once

#include <array>
#include <cstring>
#include <type_traits>

#include "kernels.h"

namespace bn::kernels {

// Every op of the list: Op::linear_forward, ..., and its name "linear_forward".
enum class Op : int {
#define BN_KERNEL(op, Name) op,
#include "kernels.inc"
};
inline constexpr const char* kOpNames[] = {
#define BN_KERNEL(op, Name) #op,
#include "kernels.inc"
};
inline constexpr int kOpCount = static_cast<int>(std::size(kOpNames));
inline constexpr const char* op_name(Op op) { return kOpNames[static_cast<int>(op)]; }

// Every signature of the list: Signature::LinearForward, ..., and its name "LinearForward".
enum class Signature : int {
#define BN_KERNEL_SIGNATURE(Name, params) Name,
#include "kernels.inc"
};
inline constexpr const char* kSignatureNames[] = {
#define BN_KERNEL_SIGNATURE(Name, params) #Name,
#include "kernels.inc"
};
inline constexpr int kSignatureCount = static_cast<int>(std::size(kSignatureNames));

template <class Fn>
struct KernelPair {
  Op op;
  const char* name;  // the op, without _ref/_simd
  Fn* ref;
  Fn* simd;  // nullptr in a build without SIMD
};

// How many ops of the list have signature Fn.
template <class Fn>
constexpr int count_of() {
  int n = 0;
#define BN_KERNEL(op, Name) n += std::is_same_v<Fn, Name##Fn> ? 1 : 0;
#include "kernels.inc"
  return n;
}

#if BN_HAVE_SIMD
#define BN_SIMD_OF(op) &op##_simd
#else
#define BN_SIMD_OF(op) nullptr
#endif

template <class Fn>
constexpr std::array<KernelPair<Fn>, count_of<Fn>()> make_pairs() {
  std::array<KernelPair<Fn>, count_of<Fn>()> pairs{};
  [[maybe_unused]] size_t i = 0;
#define BN_KERNEL(op, Name) \
  if constexpr (std::is_same_v<Fn, Name##Fn>) pairs[i++] = {Op::op, #op, &op##_ref, BN_SIMD_OF(op)};
#include "kernels.inc"
  return pairs;
}

#undef BN_SIMD_OF

// The pairs of the ops with signature Fn, in list order: kPairs<BnBackwardFn> holds bn_backward
// and bn_backward_eval.
template <class Fn>
inline constexpr auto kPairs = make_pairs<Fn>();

// Two signatures spelt alike would be one type, and their ops would be counted twice.
inline constexpr int kPairCount = 0
#define BN_KERNEL_SIGNATURE(Name, params) +count_of<Name##Fn>()
#include "kernels.inc"
    ;
static_assert(kPairCount == kOpCount, "two signatures in kernels.inc have the same type");

// The pair of `op` among the ops of signature Fn, or nullptr when op has another signature.
template <class Fn>
constexpr const KernelPair<Fn>* find_pair(Op op) {
  for (const auto& p : kPairs<Fn>)
    if (p.op == op) return &p;
  return nullptr;
}

// Calls f(SignatureTag<Fn>{}) with the function type of signature s; f returns the same type
// for every signature. For code that handles each signature in its own way (tests, benchmarks).
template <class Fn>
struct SignatureTag {
  using type = Fn;
};
template <class F>
decltype(auto) with_signature(Signature s, F&& f) {
  switch (s) {
#define BN_KERNEL_SIGNATURE(Name, params) \
  case Signature::Name: return f(SignatureTag<Name##Fn>{});
#include "kernels.inc"
  }
  return f(SignatureTag<LinearForwardFn>{});  // not reached: every Signature has a case
}

}  // namespace bn::kernels
