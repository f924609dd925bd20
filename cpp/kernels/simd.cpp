// SIMD kernels: 128-bit WebAssembly SIMD (SIMDe natively). Each matches its _ref in kernels.h.
//
// Habits throughout: several independent accumulators so the add latency is hidden; a
// `// leftovers` tail in the same function for sizes that are not a multiple of the vector width;
// mul then add (wasm has no fused multiply-add in clang 14). Elementwise arithmetic is written in
// the same order as the ref, so those kernels agree with it bit for bit; only sums differ, by float
// round-off, and long sums are blocked and combined pairwise so that round-off stays small.
#include <algorithm>
#include <cassert>
#include <cstdint>

#include "kernels.h"
#include "simd128.h"

namespace bn::kernels {

namespace {

using v128 = v128_t;

inline v128 splat(float x) { return wasm_f32x4_splat(x); }
inline v128 zero() { return wasm_f32x4_splat(0.0f); }
inline v128 load(const float* p) { return wasm_v128_load(p); }
inline void store(float* p, v128 v) { wasm_v128_store(p, v); }
// Overloaded for float too, so that templates below can spell one formula for a lane or a value.
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

// (Σa, Σb, Σc, Σd) of four vectors' lanes, in 6 shuffles and 3 adds.
inline v128 hsum4(v128 a, v128 b, v128 c, v128 d) {
  const v128 ab = add(wasm_i32x4_shuffle(a, b, 0, 4, 1, 5), wasm_i32x4_shuffle(a, b, 2, 6, 3, 7));
  const v128 cd = add(wasm_i32x4_shuffle(c, d, 0, 4, 1, 5), wasm_i32x4_shuffle(c, d, 2, 6, 3, 7));
  return add(wasm_i32x4_shuffle(ab, cd, 0, 1, 4, 5), wasm_i32x4_shuffle(ab, cd, 2, 3, 6, 7));
}

inline size_t idx(int row, int col, int cols) {
  return static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(col);
}

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

// ---- BatchNorm pieces, one channel group (S == 1) or one channel (S > 1) ------------------------

// mean, var for the 4*V channels from c0 of a 2-D (N,C) input.
template <int V>
void stats_columns(float* mean, float* var, const float* inp, int N, int C, int c0, int lanes) {
  const v128 M = splat(static_cast<float>(N));
  v128 shift[V], t[V], m0[V], s1[V], s2[V];
  // Pass 1 sums x - x[0]: the same mean0, but a constant channel then gives d = 0 exactly in pass 2
  // (so var exactly 0), and mean0's error scales with the spread rather than the magnitude.
  for (int v = 0; v < V; ++v) shift[v] = load_n(inp + c0 + 4 * v, v == V - 1 ? lanes : 4);
  column_sums<Deviation, false, V>(t, nullptr, inp, nullptr, shift, N, C, c0, lanes);
  for (int v = 0; v < V; ++v) m0[v] = add(shift[v], div(t[v], M));
  column_sums<Deviation, true, V>(s1, s2, inp, nullptr, m0, N, C, c0, lanes);
  for (int v = 0; v < V; ++v) {
    const int k = v == V - 1 ? lanes : 4;
    store_n(mean + c0 + 4 * v, add(m0[v], div(s1[v], M)), k);
    const v128 q = div(sub(s2[v], div(mul(s1[v], s1[v]), M)), M);
    store_n(var + c0 + 4 * v, wasm_f32x4_pmax(q, zero()), k);  // pmax(q, 0) keeps a NaN q
  }
}

// dinp, dgamma, dbeta (either may be nullptr) for the 4*V channels from c0 of a 2-D (N,C) input.
template <int V>
void backward_columns(float* dinp, float* dgamma, float* dbeta, const float* dout,
                      const float* xhat, const float* invstd, const float* gamma,
                      int N, int C, int c0, int lanes) {
  const v128 M = splat(static_cast<float>(N));
  v128 sdy[V], sdyx[V], mdy[V], mdyx[V], k[V], unused[V];
  for (int v = 0; v < V; ++v) unused[v] = zero();
  column_sums<DyAndDyXhat, true, V>(sdy, sdyx, dout, xhat, unused, N, C, c0, lanes);
  for (int v = 0; v < V; ++v) {
    const int w = v == V - 1 ? lanes : 4;
    const int c = c0 + 4 * v;
    mdy[v] = div(sdy[v], M);
    mdyx[v] = div(sdyx[v], M);
    k[v] = mul(gamma ? load_n(gamma + c, w) : splat(1.0f), load_n(invstd + c, w));
    if (dgamma) store_n(dgamma + c, add(load_n(dgamma + c, w), sdyx[v]), w);
    if (dbeta) store_n(dbeta + c, add(load_n(dbeta + c, w), sdy[v]), w);
  }
  for (int n = 0; n < N; ++n) {
    for (int v = 0; v < V; ++v) {
      const size_t i = idx(n, c0 + 4 * v, C);
      const int w = v == V - 1 ? lanes : 4;
      const v128 g = sub(sub(load_n(dout + i, w), mdy[v]), mul(load_n(xhat + i, w), mdyx[v]));
      store_n(dinp + i, mul(k[v], g), w);
    }
  }
}

// bn_forward for rows n0 .. n0+R of a 2-D (N,C) input, all channels.
template <int R>
void forward_rows(float* out, float* xhat, const float* inp, const float* mean, const float* invstd,
                  const float* gamma, const float* beta, int C, int n0) {
  int c = 0;
  for (; c + 4 <= C; c += 4) {
    const v128 m = load(mean + c), is = load(invstd + c);
    const v128 g = gamma ? load(gamma + c) : splat(1.0f), b = beta ? load(beta + c) : zero();
    for (int r = 0; r < R; ++r) {
      const size_t i = idx(n0 + r, c, C);
      const v128 xh = mul(sub(load(inp + i), m), is);
      if (xhat) store(xhat + i, xh);
      store(out + i, add(mul(xh, g), b));
    }
  }
  // leftovers: the last C % 4 channels
  for (; c < C; ++c) {
    for (int r = 0; r < R; ++r) {
      const size_t i = idx(n0 + r, c, C);
      const float xh = (inp[i] - mean[c]) * invstd[c];
      if (xhat) xhat[i] = xh;
      out[i] = xh * (gamma ? gamma[c] : 1.0f) + (beta ? beta[c] : 0.0f);
    }
  }
}

// Walks the channel groups of a 2-D (N,C) input: 16 channels at a time, then 4, then the rest.
template <class Group16, class Group4>
void for_column_groups(int C, Group16 g16, Group4 g4) {
  int c = 0;
  for (; c + 16 <= C; c += 16) g16(c);
  for (; c < C; c += 4) g4(c, C - c < 4 ? C - c : 4);
}

// ---- exp and friends -----------------------------------------------------------------------------

// e^x in 4 lanes, within about 1 ulp over the whole float range: x = n·ln2 + r with |r| <= ln2/2,
// e^r by a degree-6 minimax polynomial, then scaled by 2^n. The input is clamped to [-105, 90],
// beyond which e^x is 0 or inf in float anyway, so the scaling never sees a huge n; the scale is
// applied as two factors 2^(n/2)·2^(n - n/2) so that results that overflow become inf and tiny
// ones round correctly to subnormals. NaN stays NaN (pmin/pmax return their first operand then).
inline v128 exp4(v128 x) {
  x = wasm_f32x4_pmin(wasm_f32x4_pmax(x, splat(-105.0f)), splat(90.0f));
  // Adding 1.5·2^23 rounds to an integer, and that integer is then in the low mantissa bits.
  const v128 magic = splat(12582912.0f);
  const v128 t = add(mul(x, splat(1.44269504088896341f)), magic);
  const v128 n = sub(t, magic);
  // ln2 split in two (Cody & Waite): n times the 9-bit high part is exact, so r keeps its low bits.
  const v128 r = sub(sub(x, mul(n, splat(0.693359375f))), mul(n, splat(-2.12194440e-4f)));
  // e^r = 1 + r + r²·q(r), q fitted (minimax, relative error 4e-9) on |r| <= 1.02·ln2/2.
  v128 q = splat(0.0013811651f);
  q = add(mul(q, r), splat(0.008370141f));
  q = add(mul(q, r), splat(0.04166853f));
  q = add(mul(q, r), splat(0.16666509f));
  q = add(mul(q, r), splat(0.49999994f));
  const v128 p = add(add(mul(q, mul(r, r)), r), splat(1.0f));
  const v128 ni = wasm_i32x4_sub(t, magic);
  const v128 n1 = wasm_i32x4_shr(ni, 1);
  const v128 n2 = wasm_i32x4_sub(ni, n1);
  const v128 bias = wasm_i32x4_splat(127);
  const v128 scale1 = wasm_i32x4_shl(wasm_i32x4_add(n1, bias), 23);
  const v128 scale2 = wasm_i32x4_shl(wasm_i32x4_add(n2, bias), 23);
  return mul(mul(p, scale1), scale2);
}

inline v128 sigmoid4(v128 x) {
  const v128 one = splat(1.0f);
  return div(one, add(one, exp4(wasm_f32x4_neg(x))));
}

// tanh(|x|) with the sign of x put back, so it is odd down to tanh(-0) = -0. Below 0.625 an odd
// polynomial (tanh(a) = a + a³·P(a²), minimax, relative error 5e-9): the exp form loses
// accuracy there as 1 - e cancels. Above, (1 - e)/(1 + e) with e = e^(-2a) <= 0.29.
inline v128 tanh4(v128 x) {
  const v128 one = splat(1.0f);
  const v128 a = wasm_f32x4_abs(x);
  const v128 e = exp4(mul(a, splat(-2.0f)));
  const v128 large = div(sub(one, e), add(one, e));
  const v128 z = mul(a, a);
  v128 P = splat(-0.005704985f);
  P = add(mul(P, z), splat(0.020639086f));
  P = add(mul(P, z), splat(-0.053739715f));
  P = add(mul(P, z), splat(0.13331442f));
  P = add(mul(P, z), splat(-0.3333328f));
  const v128 small = add(a, mul(mul(a, z), P));
  const v128 y = wasm_v128_bitselect(small, large, wasm_f32x4_lt(a, splat(0.625f)));
  return wasm_v128_or(y, wasm_v128_and(x, wasm_i32x4_splat(INT32_MIN)));
}

// out = f(inp) over n values; leftovers go through the same vector code on a zero-padded vector,
// so every element gets the same function.
template <class F>
void map4(float* out, const float* inp, size_t n, F f) {
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128 a = f(load(inp + i)), b = f(load(inp + i + 4));
    store(out + i, a);
    store(out + i + 4, b);
  }
  for (; i + 4 <= n; i += 4) store(out + i, f(load(inp + i)));
  // leftovers
  if (i < n) {
    const int k = static_cast<int>(n - i);
    store_n(out + i, f(load_n(inp + i, k)), k);
  }
}

// ---- Linear --------------------------------------------------------------------------------------

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

// mean, var are (C); inp is (N,C,S).
void bn_stats_simd(float* mean, float* var, const float* inp, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  if (S == 1) {
    for_column_groups(
        C, [&](int c) { stats_columns<4>(mean, var, inp, N, C, c, 4); },
        [&](int c, int lanes) { stats_columns<1>(mean, var, inp, N, C, c, lanes); });
    return;
  }
  const float M = static_cast<float>(static_cast<int64_t>(N) * S);
  for (int c = 0; c < C; ++c) {
    // As in stats_columns: pass 1 is shifted by the channel's first value.
    const float shift = inp[static_cast<size_t>(c) * static_cast<size_t>(S)];
    float t = 0.0f, s1 = 0.0f, s2 = 0.0f, unused = 0.0f;
    row_sums<Deviation, false>(t, unused, inp, nullptr, shift, N, C, S, c);
    const float m0 = shift + t / M;
    row_sums<Deviation, true>(s1, s2, inp, nullptr, m0, N, C, S, c);
    mean[c] = m0 + s1 / M;
    const float q = (s2 - s1 * s1 / M) / M;
    var[c] = q < 0.0f ? 0.0f : q;
  }
}

// out, xhat, inp are (N,C,S); mean, invstd, gamma, beta are (C); xhat, gamma, beta may be nullptr.
void bn_forward_simd(float* out, float* xhat, const float* inp, const float* mean,
                     const float* invstd, const float* gamma, const float* beta, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  if (S == 1) {
    // Lanes are channels. Rows go R at a time, so that a group's constants, loaded once, serve R
    // rows; walking one row at a time reloads them for every vector, and walking down columns
    // (constants in registers) makes strided stores: both ran slower.
    int n = 0;
    for (; n + 4 <= N; n += 4) forward_rows<4>(out, xhat, inp, mean, invstd, gamma, beta, C, n);
    for (; n < N; ++n) forward_rows<1>(out, xhat, inp, mean, invstd, gamma, beta, C, n);
    return;
  }
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      const size_t row = idx(n, c, C) * static_cast<size_t>(S);
      const float m = mean[c], is = invstd[c];
      const float g = gamma ? gamma[c] : 1.0f, b = beta ? beta[c] : 0.0f;
      const v128 mv = splat(m), isv = splat(is), gv = splat(g), bv = splat(b);
      const float* x = inp + row;
      float* o = out + row;
      float* xh_out = xhat ? xhat + row : nullptr;
      int s = 0;
      for (; s + 8 <= S; s += 8) {
        const v128 xh0 = mul(sub(load(x + s), mv), isv);
        const v128 xh1 = mul(sub(load(x + s + 4), mv), isv);
        if (xh_out) {
          store(xh_out + s, xh0);
          store(xh_out + s + 4, xh1);
        }
        store(o + s, add(mul(xh0, gv), bv));
        store(o + s + 4, add(mul(xh1, gv), bv));
      }
      for (; s + 4 <= S; s += 4) {
        const v128 xh = mul(sub(load(x + s), mv), isv);
        if (xh_out) store(xh_out + s, xh);
        store(o + s, add(mul(xh, gv), bv));
      }
      // leftovers
      for (; s < S; ++s) {
        const float xh = (x[s] - m) * is;
        if (xh_out) xh_out[s] = xh;
        o[s] = xh * g + b;
      }
    }
  }
}

// dinp, dout, xhat are (N,C,S); invstd, gamma, dgamma, dbeta are (C); gamma, dgamma, dbeta may be
// nullptr.
void bn_backward_simd(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* xhat,
                      const float* invstd, const float* gamma, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  if (S == 1) {
    for_column_groups(
        C,
        [&](int c) {
          backward_columns<4>(dinp, dgamma, dbeta, dout, xhat, invstd, gamma, N, C, c, 4);
        },
        [&](int c, int lanes) {
          backward_columns<1>(dinp, dgamma, dbeta, dout, xhat, invstd, gamma, N, C, c, lanes);
        });
    return;
  }
  const float M = static_cast<float>(static_cast<int64_t>(N) * S);
  for (int c = 0; c < C; ++c) {
    float sdy = 0.0f, sdyx = 0.0f;
    row_sums<DyAndDyXhat, true>(sdy, sdyx, dout, xhat, 0.0f, N, C, S, c);
    const float mdy = sdy / M, mdyx = sdyx / M;
    const float k = (gamma ? gamma[c] : 1.0f) * invstd[c];
    const v128 mdyv = splat(mdy), mdyxv = splat(mdyx), kv = splat(k);
    for (int n = 0; n < N; ++n) {
      const size_t row = idx(n, c, C) * static_cast<size_t>(S);
      const float* dy = dout + row;
      const float* xh = xhat + row;
      float* dx = dinp + row;
      int s = 0;
      for (; s + 8 <= S; s += 8) {
        const v128 g0 = sub(sub(load(dy + s), mdyv), mul(load(xh + s), mdyxv));
        const v128 g1 = sub(sub(load(dy + s + 4), mdyv), mul(load(xh + s + 4), mdyxv));
        store(dx + s, mul(kv, g0));
        store(dx + s + 4, mul(kv, g1));
      }
      for (; s + 4 <= S; s += 4)
        store(dx + s, mul(kv, sub(sub(load(dy + s), mdyv), mul(load(xh + s), mdyxv))));
      // leftovers
      for (; s < S; ++s) dx[s] = k * (dy[s] - mdy - xh[s] * mdyx);
    }
    if (dgamma) dgamma[c] += sdyx;
    if (dbeta) dbeta[c] += sdy;
  }
}

// dinp, dout, xhat are (N,C,S); invstd, gamma, dgamma, dbeta are (C); gamma, dgamma, dbeta may be
// nullptr.
void bn_backward_eval_simd(float* dinp, float* dgamma, float* dbeta, const float* dout,
                           const float* xhat, const float* invstd, const float* gamma,
                           int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  const bool sums = dgamma || dbeta;
  if (S == 1) {
    for (int n = 0; n < N; ++n) {
      const size_t row = idx(n, 0, C);
      int c = 0;
      for (; c + 4 <= C; c += 4) {
        const v128 k = mul(gamma ? load(gamma + c) : splat(1.0f), load(invstd + c));
        store(dinp + row + c, mul(load(dout + row + c), k));
      }
      // leftovers
      for (; c < C; ++c) dinp[row + c] = dout[row + c] * ((gamma ? gamma[c] : 1.0f) * invstd[c]);
    }
    if (!sums) return;
    const v128 none[4] = {zero(), zero(), zero(), zero()};
    auto accumulate = [&](int c, int lanes, const v128& sdy, const v128& sdyx) {
      if (dgamma) store_n(dgamma + c, add(load_n(dgamma + c, lanes), sdyx), lanes);
      if (dbeta) store_n(dbeta + c, add(load_n(dbeta + c, lanes), sdy), lanes);
    };
    for_column_groups(
        C,
        [&](int c) {
          v128 sdy[4], sdyx[4];
          column_sums<DyAndDyXhat, true, 4>(sdy, sdyx, dout, xhat, none, N, C, c, 4);
          for (int v = 0; v < 4; ++v) accumulate(c + 4 * v, 4, sdy[v], sdyx[v]);
        },
        [&](int c, int lanes) {
          v128 sdy, sdyx;
          column_sums<DyAndDyXhat, true, 1>(&sdy, &sdyx, dout, xhat, none, N, C, c, lanes);
          accumulate(c, lanes, sdy, sdyx);
        });
    return;
  }
  for (int c = 0; c < C; ++c) {
    const float k = (gamma ? gamma[c] : 1.0f) * invstd[c];
    const v128 kv = splat(k);
    for (int n = 0; n < N; ++n) {
      const size_t row = idx(n, c, C) * static_cast<size_t>(S);
      int s = 0;
      for (; s + 4 <= S; s += 4) store(dinp + row + s, mul(load(dout + row + s), kv));
      // leftovers
      for (; s < S; ++s) dinp[row + s] = dout[row + s] * k;
    }
    if (!sums) continue;
    float sdy = 0.0f, sdyx = 0.0f;
    row_sums<DyAndDyXhat, true>(sdy, sdyx, dout, xhat, 0.0f, N, C, S, c);
    if (dgamma) dgamma[c] += sdyx;
    if (dbeta) dbeta[c] += sdy;
  }
}

// out, inp are (n).
void relu_forward_simd(float* out, const float* inp, size_t n) {
  const v128 z = zero();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128 a = load(inp + i), b = load(inp + i + 4);
    // x & ~(x <= 0): a NaN compares false and passes, as in the ref.
    store(out + i, wasm_v128_andnot(a, wasm_f32x4_le(a, z)));
    store(out + i + 4, wasm_v128_andnot(b, wasm_f32x4_le(b, z)));
  }
  for (; i + 4 <= n; i += 4) {
    const v128 a = load(inp + i);
    store(out + i, wasm_v128_andnot(a, wasm_f32x4_le(a, z)));
  }
  // leftovers
  for (; i < n; ++i) out[i] = inp[i] <= 0.0f ? 0.0f : inp[i];
}

// dinp, dout, out are (n).
void relu_backward_simd(float* dinp, const float* dout, const float* out, size_t n) {
  const v128 z = zero();
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    store(dinp + i, wasm_v128_andnot(load(dout + i), wasm_f32x4_le(load(out + i), z)));
    store(dinp + i + 4, wasm_v128_andnot(load(dout + i + 4), wasm_f32x4_le(load(out + i + 4), z)));
  }
  for (; i + 4 <= n; i += 4)
    store(dinp + i, wasm_v128_andnot(load(dout + i), wasm_f32x4_le(load(out + i), z)));
  // leftovers
  for (; i < n; ++i) dinp[i] = out[i] <= 0.0f ? 0.0f : dout[i];
}

// out, inp are (n).
void sigmoid_forward_simd(float* out, const float* inp, size_t n) {
  map4(out, inp, n, [](v128 x) { return sigmoid4(x); });
}

// dinp, dout, out are (n).
void sigmoid_backward_simd(float* dinp, const float* dout, const float* out, size_t n) {
  const v128 one = splat(1.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128 y = load(out + i);
    store(dinp + i, mul(mul(load(dout + i), y), sub(one, y)));
  }
  // leftovers
  for (; i < n; ++i) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

// out, inp are (n).
void tanh_forward_simd(float* out, const float* inp, size_t n) {
  map4(out, inp, n, [](v128 x) { return tanh4(x); });
}

// dinp, dout, out are (n).
void tanh_backward_simd(float* dinp, const float* dout, const float* out, size_t n) {
  const v128 one = splat(1.0f);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128 y = load(out + i);
    store(dinp + i, mul(load(dout + i), sub(one, mul(y, y))));
  }
  // leftovers
  for (; i < n; ++i) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

// param, grad are (n); buf is (n), or nullptr when momentum == 0.
void sgd_step_simd(float* param, float* buf, const float* grad, float lr, float momentum,
                   float dampening, float weight_decay, bool nesterov, bool buf_init, size_t n) {
  assert(momentum == 0.0f || buf != nullptr);
  const bool decay = weight_decay != 0.0f, use_momentum = momentum != 0.0f;
  const float keep = 1.0f - dampening;
  const v128 lrv = splat(lr), mv = splat(momentum), keepv = splat(keep), wdv = splat(weight_decay);
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    v128 d = load(grad + i);
    const v128 p = load(param + i);
    if (decay) d = add(d, mul(wdv, p));
    if (use_momentum) {
      const v128 b = buf_init ? add(mul(mv, load(buf + i)), mul(keepv, d)) : d;
      store(buf + i, b);
      d = nesterov ? add(d, mul(mv, b)) : b;
    }
    store(param + i, sub(p, mul(lrv, d)));
  }
  // leftovers: the ref's arithmetic exactly
  for (; i < n; ++i) {
    float d = grad[i];
    if (decay) d = d + weight_decay * param[i];
    if (use_momentum) {
      const float b = buf_init ? momentum * buf[i] + keep * d : d;
      buf[i] = b;
      d = nesterov ? d + momentum * b : b;
    }
    param[i] = param[i] - lr * d;
  }
}

}  // namespace bn::kernels
