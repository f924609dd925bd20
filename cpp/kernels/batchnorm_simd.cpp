// The SIMD BatchNorm kernels (see simd128.h for their habits). Each matches its _ref.
#include <cassert>
#include <cmath>
#include <cstdint>

#include "kernels.h"
#include "layout.h"
#include "simd128.h"
#include "simd_sums.h"

namespace bn::kernels {

namespace {

// One channel group (S == 1) or one channel (S > 1).

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

}  // namespace

// mean, var are (C); inp is (N,C,S).
// Values whose squares (or sums) exceed float32's range make the float32 sums overflow, and an
// overflow always shows in the result (inf, or NaN from inf - inf). Such a channel is recomputed
// in double by the reference, so the answer is the reference's; one comparison per channel
// otherwise. (A channel holding NaN is recomputed too, and stays NaN.)
static void redo_overflowed(float* mean, float* var, const float* inp, int N, int C, int S) {
  for (int c = 0; c < C; ++c)
    if (!std::isfinite(mean[c]) || !std::isfinite(var[c])) bn_stats_channel_ref(mean, var, inp, N, C, S, c);
}

void bn_stats_simd(float* mean, float* var, const float* inp, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  if (S == 1) {
    for_column_groups(
        C, [&](int c) { stats_columns<4>(mean, var, inp, N, C, c, 4); },
        [&](int c, int lanes) { stats_columns<1>(mean, var, inp, N, C, c, lanes); });
    redo_overflowed(mean, var, inp, N, C, S);
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
  redo_overflowed(mean, var, inp, N, C, S);
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

}  // namespace bn::kernels
