// The SIMD activation kernels (see simd128.h for their habits). Each matches its _ref.
#include <cassert>
#include <cstdint>

#include "kernels.h"
#include "simd128.h"

namespace bn::kernels {

namespace {

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

}  // namespace

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

}  // namespace bn::kernels
