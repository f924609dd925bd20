// Long sums of the SIMD kernels: per-channel sums over a batch, blocked and combined pairwise.
// Used by batchnorm_simd.cpp (statistics and backward sums) and linear_simd.cpp (the bias gradient).
#pragma once

#include <algorithm>
#include <cstdint>

#include "layout.h"
#include "simd128.h"

namespace bn::kernels {
// Internal linkage (see layout.h).
namespace {

// ---- Long sums ---------------------------------------------------------------------------------
// A BatchNorm channel has N*S values, easily 10^5 or more. A running sum would put each value
// through up to that many roundings; instead every lane adds at most kBlock values into a block
// partial, and the block partials are combined pairwise, so the depth is kBlock + log2(blocks).
constexpr int kBlock = 32;

// Pairwise sum of a stream of blocks, like the carries of a binary counter: level_[k] holds the
// sum of 2^k blocks.
class PairwiseSum {
 public:
  void push(v128 block) {
    int k = 0;
    for (uint32_t c = count_++; c & 1u; c >>= 1) block = add(level_[k++], block);
    level_[k] = block;
  }
  v128 total() const {
    v128 s = zero();
    int k = 0;
    for (uint32_t c = count_; c != 0; c >>= 1, ++k)
      if (c & 1u) s = add(s, level_[k]);
    return s;
  }

 private:
  v128 level_[33];
  uint32_t count_ = 0;
};

// What a channel sum adds up, for 4 lanes or for one value. x is the input, y a second input,
// p the channel's constant. q2 is only wanted when a sum of it is asked for.
struct Deviation {  // q1 = x - p, q2 = (x - p)²
  static constexpr bool kUsesY = false;
  template <class T> static void terms(T x, T, T p, T& q1, T& q2) {
    q1 = sub(x, p);
    q2 = mul(q1, q1);
  }
};
struct Value {  // q1 = x, q2 = x²
  static constexpr bool kUsesY = false;
  template <class T> static void terms(T x, T, T, T& q1, T& q2) {
    q1 = x;
    q2 = mul(x, x);
  }
};
struct DyAndDyXhat {  // q1 = dy, q2 = dy * xhat
  static constexpr bool kUsesY = true;
  template <class T> static void terms(T x, T y, T, T& q1, T& q2) {
    q1 = x;
    q2 = mul(x, y);
  }
};

// Per-channel sums of q1 (and q2 if kTwo) of (N,C) arrays x, y, for the 4*V channels from c0
// (lanes >= `lanes` of the last vector are padding): lanes are channels, rows are walked.
// x, y are (N,C); p, sum1, sum2 are V vectors.
template <class Op, bool kTwo, int V>
void column_sums(v128* sum1, v128* sum2, const float* x, const float* y, const v128* p,
                 int N, int C, int c0, int lanes) {
  PairwiseSum t1[V], t2[V];
  v128 acc1[V], acc2[V];
  for (int v = 0; v < V; ++v) acc1[v] = acc2[v] = zero();
  int pending = 0;  // rows added since the last push
  for (int n = 0; n < N; ++n) {
    for (int v = 0; v < V; ++v) {
      const size_t i = idx(n, c0 + 4 * v, C);
      const int k = v == V - 1 ? lanes : 4;
      v128 q1, q2;
      Op::terms(load_n(x + i, k), Op::kUsesY ? load_n(y + i, k) : zero(), p[v], q1, q2);
      acc1[v] = add(acc1[v], q1);
      if constexpr (kTwo) acc2[v] = add(acc2[v], q2);
    }
    if (++pending == kBlock || n == N - 1) {
      for (int v = 0; v < V; ++v) {
        t1[v].push(acc1[v]);
        if constexpr (kTwo) t2[v].push(acc2[v]);
        acc1[v] = acc2[v] = zero();
      }
      pending = 0;
    }
  }
  for (int v = 0; v < V; ++v) {
    sum1[v] = t1[v].total();
    if constexpr (kTwo) sum2[v] = t2[v].total();
  }
}

// Σq1 (and Σq2 if kTwo) over channel c of (N,C,S) arrays x, y with S > 1: vectorised along each
// (n,c) row of S values, four accumulators per sum. The block is handed on at one place only: with
// two, clang would not inline it and would keep the accumulators in memory.
template <class Op, bool kTwo>
void row_sums(float& sum1, float& sum2, const float* x, const float* y, float p,
              int N, int C, int S, int c) {
  const v128 pv = splat(p);
  PairwiseSum t1, t2;
  v128 a1[4], a2[4];
  for (int j = 0; j < 4; ++j) a1[j] = a2[j] = zero();
  int pending = 0;  // adds per accumulator since the last push; at most kBlock + 1
  for (int n = 0; n < N; ++n) {
    const size_t row = idx(n, c, C) * static_cast<size_t>(S);
    const float* px = x + row;
    const float* py = Op::kUsesY ? y + row : nullptr;
    int s = 0;
    while (true) {
      const int chunks = std::min((S - s) / 16, kBlock - pending);
      for (int i = 0; i < chunks; ++i, s += 16) {
        for (int j = 0; j < 4; ++j) {
          v128 q1, q2;
          Op::terms(load(px + s + 4 * j), Op::kUsesY ? load(py + s + 4 * j) : zero(), pv, q1, q2);
          a1[j] = add(a1[j], q1);
          if constexpr (kTwo) a2[j] = add(a2[j], q2);
        }
      }
      pending += chunks;
      if (S - s < 16 && s < S) {
        for (int j = 0; s + 4 <= S; s += 4, ++j) {  // j <= 2
          v128 q1, q2;
          Op::terms(load(px + s), Op::kUsesY ? load(py + s) : zero(), pv, q1, q2);
          a1[j] = add(a1[j], q1);
          if constexpr (kTwo) a2[j] = add(a2[j], q2);
        }
        // leftovers: up to 3 values, into lane 0 of the accumulator the vectors above left alone
        float r1 = 0.0f, r2 = 0.0f;
        for (; s < S; ++s) {
          float q1, q2;
          Op::terms(px[s], Op::kUsesY ? py[s] : 0.0f, p, q1, q2);
          r1 += q1;
          r2 += q2;
        }
        a1[3] = add(a1[3], wasm_f32x4_make(r1, 0.0f, 0.0f, 0.0f));
        if constexpr (kTwo) a2[3] = add(a2[3], wasm_f32x4_make(r2, 0.0f, 0.0f, 0.0f));
        ++pending;
      }
      if (pending >= kBlock || (s == S && n == N - 1)) {
        t1.push(add(add(a1[0], a1[1]), add(a1[2], a1[3])));
        if constexpr (kTwo) t2.push(add(add(a2[0], a2[1]), add(a2[2], a2[3])));
        for (int j = 0; j < 4; ++j) a1[j] = a2[j] = zero();
        pending = 0;
      }
      if (s == S) break;
    }
  }
  sum1 = hsum(t1.total());
  if constexpr (kTwo) sum2 = hsum(t2.total());
}

// Walks the channel groups of a 2-D (N,C) input: 16 channels at a time, then 4, then the rest.
template <class Group16, class Group4>
void for_column_groups(int C, Group16 g16, Group4 g4) {
  int c = 0;
  for (; c + 16 <= C; c += 16) g16(c);
  for (; c < C; c += 4) g4(c, C - c < 4 ? C - c : 4);
}

}  // namespace
}  // namespace bn::kernels
