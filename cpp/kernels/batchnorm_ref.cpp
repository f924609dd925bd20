// The reference BatchNorm kernels (see kernels.h for what a _ref is; its channel sums are in double).
#include <cassert>

#include "kernels.h"
#include "layout.h"

namespace bn::kernels {

// One channel c of bn_stats_ref (also the SIMD kernel's fallback for channels whose float32 sums
// overflow). In double, every finite float32 input has a finite sum, mean and Σd².
void bn_stats_channel_ref(float* mean, float* var, const float* inp, int N, int C, int S, int c) {
  assert(N >= 1 && C >= 1 && S >= 1 && c >= 0 && c < C);
  const double M = static_cast<double>(N) * S;
  {
    double sum = 0.0;
    for (int n = 0; n < N; ++n)
      for (int s = 0; s < S; ++s) sum += inp[at(n, c, s, C, S)];
    const double mean0 = sum / M;
    // Second pass on deviations from mean0: s2 - s1²/M removes the bias that mean0's rounding
    // error would add to Σd². The mean itself is mean0: a double sum is exact to far below float
    // round-off, while mean0 + s1/M would add the roundings of the d's, which for values far
    // larger than their mean ([1e20, -1e20, 5]: mean 5/3) are larger than the mean itself.
    double s1 = 0.0, s2 = 0.0;
    for (int n = 0; n < N; ++n) {
      for (int s = 0; s < S; ++s) {
        const double d = inp[at(n, c, s, C, S)] - mean0;
        s1 += d;
        s2 += d * d;
      }
    }
    const double v = (s2 - s1 * s1 / M) / M;
    mean[c] = static_cast<float>(mean0);
    var[c] = static_cast<float>(v < 0.0 ? 0.0 : v);  // not std::max: a NaN must stay NaN
  }
}

// mean, var are (C); inp is (N,C,S).
void bn_stats_ref(float* mean, float* var, const float* inp, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  for (int c = 0; c < C; ++c) bn_stats_channel_ref(mean, var, inp, N, C, S, c);
}

// out, xhat, inp are (N,C,S); mean, invstd, gamma, beta are (C); xhat, gamma, beta may be nullptr.
void bn_forward_ref(float* out, float* xhat, const float* inp, const float* mean, const float* invstd,
                    const float* gamma, const float* beta, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  for (int n = 0; n < N; ++n) {
    for (int c = 0; c < C; ++c) {
      // Absent gamma/beta are applied as 1 and 0 so the arithmetic is the same either way.
      const float g = gamma ? gamma[c] : 1.0f;
      const float b = beta ? beta[c] : 0.0f;
      for (int s = 0; s < S; ++s) {
        const size_t i = at(n, c, s, C, S);
        const float xh = (inp[i] - mean[c]) * invstd[c];
        if (xhat) xhat[i] = xh;
        out[i] = xh * g + b;
      }
    }
  }
}

// dinp, dout, xhat are (N,C,S); invstd, gamma, dgamma, dbeta are (C); gamma, dgamma, dbeta may be
// nullptr.
void bn_backward_ref(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* xhat,
                     const float* invstd, const float* gamma, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  const double M = static_cast<double>(N) * S;
  for (int c = 0; c < C; ++c) {
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int n = 0; n < N; ++n) {
      for (int s = 0; s < S; ++s) {
        const size_t i = at(n, c, s, C, S);
        sum_dy += dout[i];
        sum_dy_xhat += static_cast<double>(dout[i]) * xhat[i];
      }
    }
    const float mean_dy = static_cast<float>(sum_dy / M);
    const float mean_dy_xhat = static_cast<float>(sum_dy_xhat / M);
    const float k = (gamma ? gamma[c] : 1.0f) * invstd[c];
    for (int n = 0; n < N; ++n) {
      for (int s = 0; s < S; ++s) {
        const size_t i = at(n, c, s, C, S);
        dinp[i] = k * (dout[i] - mean_dy - xhat[i] * mean_dy_xhat);
      }
    }
    if (dgamma) dgamma[c] += static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[c] += static_cast<float>(sum_dy);
  }
}

// dinp, dout, xhat are (N,C,S); invstd, gamma, dgamma, dbeta are (C); gamma, dgamma, dbeta may be
// nullptr.
void bn_backward_eval_ref(float* dinp, float* dgamma, float* dbeta, const float* dout,
                          const float* xhat, const float* invstd, const float* gamma,
                          int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  for (int c = 0; c < C; ++c) {
    const float k = (gamma ? gamma[c] : 1.0f) * invstd[c];
    double sum_dy = 0.0, sum_dy_xhat = 0.0;
    for (int n = 0; n < N; ++n) {
      for (int s = 0; s < S; ++s) {
        const size_t i = at(n, c, s, C, S);
        dinp[i] = dout[i] * k;
        sum_dy += dout[i];
        sum_dy_xhat += static_cast<double>(dout[i]) * xhat[i];
      }
    }
    if (dgamma) dgamma[c] += static_cast<float>(sum_dy_xhat);
    if (dbeta) dbeta[c] += static_cast<float>(sum_dy);
  }
}

}  // namespace bn::kernels
