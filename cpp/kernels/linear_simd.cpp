// The SIMD Linear kernels (see simd128.h for their habits). Each matches its _ref.
#include <cassert>

#include "kernels.h"
#include "layout.h"
#include "simd128.h"
#include "simd_sums.h"

namespace bn::kernels {

namespace {

// (Σa, Σb, Σc, Σd) of four vectors' lanes, in 6 shuffles and 3 adds.
inline v128 hsum4(v128 a, v128 b, v128 c, v128 d) {
  const v128 ab = add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const v128 cd = add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

// out[n0..n0+R, o0..o0+Q] = inp rows · weight rows + bias: R*Q dot products of length IN, each
// summed in the 4 lanes of its own accumulator and reduced once at the end.
template <int R, int Q>
inline void forward_tile(float* out, const float* inp, const float* weight, const float* bias,
                         int IN, int OUT, int n0, int o0) {
  const float* x[R];
  const float* w[Q];
  for (int r = 0; r < R; ++r) x[r] = inp + idx(n0 + r, 0, IN);
  for (int q = 0; q < Q; ++q) w[q] = weight + idx(o0 + q, 0, IN);
  v128 acc[R][Q];
  for (int r = 0; r < R; ++r)
    for (int q = 0; q < Q; ++q) acc[r][q] = zero();
  int i = 0;
  for (; i + 4 <= IN; i += 4) {
    v128 xv[R];
    for (int r = 0; r < R; ++r) xv[r] = load(x[r] + i);
    for (int q = 0; q < Q; ++q) {
      const v128 wv = load(w[q] + i);
      for (int r = 0; r < R; ++r) acc[r][q] = add(acc[r][q], mul(xv[r], wv));
    }
  }
  // leftovers: the last IN % 4 inputs as zero-padded vectors
  if (i < IN) {
    const int k = IN - i;
    for (int q = 0; q < Q; ++q) {
      const v128 wv = load_n(w[q] + i, k);
      for (int r = 0; r < R; ++r) acc[r][q] = add(acc[r][q], mul(load_n(x[r] + i, k), wv));
    }
  }
  for (int r = 0; r < R; ++r) {
    float* o = out + idx(n0 + r, o0, OUT);
    if constexpr (Q == 4) {
      v128 sum = hsum4(acc[r][0], acc[r][1], acc[r][2], acc[r][3]);
      if (bias) sum = add(sum, load(bias + o0));
      store(o, sum);
    } else {
      for (int q = 0; q < Q; ++q) o[q] = hsum(acc[r][q]) + (bias ? bias[o0 + q] : 0.0f);
    }
  }
}

// Tile shape of linear_forward, measured under V8 (node 20, x64): 2 rows of inp x 4 rows of weight,
// 8 accumulators, ran at ~50 GFLOP/s; 4x4 (16 accumulators, spilled: x64 has 16 vector registers)
// at 25, 4x2 at 48, 2x2 at 43, 1x4 at 37.
constexpr int kFwdRows = 2;
constexpr int kFwdCols = 4;

// The outputs o0 .. o0+Q for all batch rows, kFwdRows rows at a time.
template <int Q>
void forward_outputs(float* out, const float* inp, const float* weight, const float* bias,
                     int N, int IN, int OUT, int o0) {
  int n = 0;
  for (; n + kFwdRows <= N; n += kFwdRows)
    forward_tile<kFwdRows, Q>(out, inp, weight, bias, IN, OUT, n, o0);
  for (; n < N; ++n) forward_tile<1, Q>(out, inp, weight, bias, IN, OUT, n, o0);
}

// out[r, i0..i0+4V] (+)= Σ_k a[r*ars + k*aks] · b[k*ldb + i0..]: R rows of `out` at once, each a
// sum over k of scalar · row of b, in R*V accumulators that stay in registers for the whole k loop.
// This is dinp = dout·W (r = n, k = o) and dW += doutᵀ·inp (r = o, k = n).
template <int R, int V, bool kAccumulate>
inline void axpy_tile(float* out, size_t ldo, const float* a, size_t ars, size_t aks,
                      const float* b, size_t ldb, int K, int i0) {
  v128 acc[R][V];
  for (int r = 0; r < R; ++r)
    for (int v = 0; v < V; ++v) acc[r][v] = zero();
  const float* brow = b + i0;
  const float* ak = a;
  for (int k = 0; k < K; ++k, brow += ldb, ak += aks) {
    v128 bv[V];
    for (int v = 0; v < V; ++v) bv[v] = load(brow + 4 * v);
    for (int r = 0; r < R; ++r) {
      const v128 s = wasm_v128_load32_splat(ak + r * ars);
      for (int v = 0; v < V; ++v) acc[r][v] = add(acc[r][v], mul(s, bv[v]));
    }
  }
  for (int r = 0; r < R; ++r) {
    for (int v = 0; v < V; ++v) {
      float* p = out + r * ldo + static_cast<size_t>(i0) + 4 * v;
      store(p, kAccumulate ? add(load(p), acc[r][v]) : acc[r][v]);
    }
  }
}

// Tile shape of the two backward products, measured like kFwdRows: 2 rows x 4 vectors (16 columns)
// and 4 x 2 both ran at ~50 GFLOP/s, 2 x 4 better for N = 1; 4 x 3 (12 accumulators) at 28.
constexpr int kAxpyRows = 2;
constexpr int kAxpyVecs = 4;

// The columns i .. i+4V of out, for all rows, kAxpyRows rows at a time.
template <int V, bool kAccumulate>
void axpy_columns(float* out, const float* a, size_t ars, size_t aks, const float* b,
                  int rows, int K, int cols, int i) {
  const size_t ld = static_cast<size_t>(cols);
  int r = 0;
  for (; r + kAxpyRows <= rows; r += kAxpyRows)
    axpy_tile<kAxpyRows, V, kAccumulate>(out + r * ld, ld, a + r * ars, ars, aks, b, ld, K, i);
  for (; r < rows; ++r) axpy_tile<1, V, kAccumulate>(out + r * ld, ld, a + r * ars, ars, aks, b, ld, K, i);
}

// out (rows, cols) (+)= A (rows, K) · B (K, cols), A element (r,k) at a[r*ars + k*aks], B row-major.
template <bool kAccumulate>
void axpy_gemm(float* out, const float* a, size_t ars, size_t aks, const float* b,
               int rows, int K, int cols) {
  // Column blocks outermost: a block of B (K rows x a few vectors) stays in L1 for all rows.
  int i = 0;
  for (; i + 4 * kAxpyVecs <= cols; i += 4 * kAxpyVecs)
    axpy_columns<kAxpyVecs, kAccumulate>(out, a, ars, aks, b, rows, K, cols, i);
  for (; i + 4 <= cols; i += 4) axpy_columns<1, kAccumulate>(out, a, ars, aks, b, rows, K, cols, i);
  // leftovers: the last cols % 4 columns, scalar
  for (; i < cols; ++i) {
    for (int r = 0; r < rows; ++r) {
      float sum = 0.0f;
      for (int k = 0; k < K; ++k) sum += a[r * ars + k * aks] * b[idx(k, i, cols)];
      float& o = out[idx(r, i, cols)];
      o = kAccumulate ? o + sum : sum;
    }
  }
}

}  // namespace

// out is (N,OUT), inp is (N,IN), weight is (OUT,IN), bias is (OUT) or nullptr.
void linear_forward_simd(float* out, const float* inp, const float* weight, const float* bias,
                         int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  // Weight rows outermost: a tile's few weight rows stay in L1 while every batch row passes.
  int o = 0;
  for (; o + kFwdCols <= OUT; o += kFwdCols)
    forward_outputs<kFwdCols>(out, inp, weight, bias, N, IN, OUT, o);
  for (; o < OUT; ++o) forward_outputs<1>(out, inp, weight, bias, N, IN, OUT, o);
}

// dinp is (N,IN), dout is (N,OUT), weight is (OUT,IN).
void linear_backward_input_simd(float* dinp, const float* dout, const float* weight,
                                int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  axpy_gemm<false>(dinp, dout, static_cast<size_t>(OUT), 1, weight, N, OUT, IN);
}

// dweight is (OUT,IN), dbias is (OUT) or nullptr, dout is (N,OUT), inp is (N,IN).
void linear_backward_params_simd(float* dweight, float* dbias, const float* dout, const float* inp,
                                 int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  axpy_gemm<true>(dweight, dout, 1, static_cast<size_t>(OUT), inp, OUT, N, IN);
  if (!dbias) return;
  const v128 none[4] = {zero(), zero(), zero(), zero()};
  for_column_groups(
      OUT,
      [&](int c) {
        v128 s[4];
        column_sums<Value, false, 4>(s, nullptr, dout, nullptr, none, N, OUT, c, 4);
        for (int v = 0; v < 4; ++v) store(dbias + c + 4 * v, add(load(dbias + c + 4 * v), s[v]));
      },
      [&](int c, int lanes) {
        v128 s;
        column_sums<Value, false, 1>(&s, nullptr, dout, nullptr, none, N, OUT, c, lanes);
        store_n(dbias + c, add(load_n(dbias + c, lanes), s), lanes);
      });
}

}  // namespace bn::kernels
