// Reference kernels: plain scalar loops written to be read. They are the oracle the SIMD kernels
// are tested against and the kernels of the scalar build. CMake compiles this file with
// auto-vectorisation off, so they stay scalar even in the SIMD build.
//
// Every reduction (dot product, channel sum) accumulates in double. In a scalar loop with one
// accumulator the time goes to the add latency, which is the same for double and float, so this
// costs next to nothing; in exchange each sum is exact to far below float round-off and a result
// differs from the true value only by its final rounding to float. That makes the ref a sharper
// reference, and it is what PyTorch does on the CPU for BatchNorm statistics. Elementwise
// arithmetic stays in float, in the order the SIMD kernels use, so those match bit for bit.
#include <cassert>
#include <cmath>

#include "kernels.h"

namespace bn::kernels {

namespace {

// Element (n, c, s) of an (N,C,S) tensor.
inline size_t at(int n, int c, int s, int C, int S) {
  return (static_cast<size_t>(n) * static_cast<size_t>(C) + static_cast<size_t>(c)) *
             static_cast<size_t>(S) + static_cast<size_t>(s);
}

inline size_t at2(int row, int col, int cols) {
  return static_cast<size_t>(row) * static_cast<size_t>(cols) + static_cast<size_t>(col);
}

}  // namespace

// out is (N,OUT), inp is (N,IN), weight is (OUT,IN), bias is (OUT) or nullptr.
void linear_forward_ref(float* out, const float* inp, const float* weight, const float* bias,
                        int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  for (int n = 0; n < N; ++n) {
    for (int o = 0; o < OUT; ++o) {
      double sum = bias ? bias[o] : 0.0;
      for (int i = 0; i < IN; ++i)
        sum += static_cast<double>(inp[at2(n, i, IN)]) * weight[at2(o, i, IN)];
      out[at2(n, o, OUT)] = static_cast<float>(sum);
    }
  }
}

// dinp is (N,IN), dout is (N,OUT), weight is (OUT,IN).
void linear_backward_input_ref(float* dinp, const float* dout, const float* weight,
                               int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  for (int n = 0; n < N; ++n) {
    for (int i = 0; i < IN; ++i) {
      double sum = 0.0;
      for (int o = 0; o < OUT; ++o)
        sum += static_cast<double>(dout[at2(n, o, OUT)]) * weight[at2(o, i, IN)];
      dinp[at2(n, i, IN)] = static_cast<float>(sum);
    }
  }
}

// dweight is (OUT,IN), dbias is (OUT) or nullptr, dout is (N,OUT), inp is (N,IN).
void linear_backward_params_ref(float* dweight, float* dbias, const float* dout, const float* inp,
                                int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  for (int o = 0; o < OUT; ++o) {
    for (int i = 0; i < IN; ++i) {
      double sum = 0.0;
      for (int n = 0; n < N; ++n)
        sum += static_cast<double>(dout[at2(n, o, OUT)]) * inp[at2(n, i, IN)];
      // The batch's gradient is rounded to float, then added: what torch's `grad += new` does.
      dweight[at2(o, i, IN)] += static_cast<float>(sum);
    }
    if (dbias) {
      double sum = 0.0;
      for (int n = 0; n < N; ++n) sum += dout[at2(n, o, OUT)];
      dbias[o] += static_cast<float>(sum);
    }
  }
}

// mean, var are (C); inp is (N,C,S).
void bn_stats_ref(float* mean, float* var, const float* inp, int N, int C, int S) {
  assert(N >= 1 && C >= 1 && S >= 1);
  const double M = static_cast<double>(N) * S;
  for (int c = 0; c < C; ++c) {
    double sum = 0.0;
    for (int n = 0; n < N; ++n)
      for (int s = 0; s < S; ++s) sum += inp[at(n, c, s, C, S)];
    const double mean0 = sum / M;
    // Second pass on deviations from mean0: s1 corrects the rounding error of mean0, and
    // s2 - s1²/M removes the bias that error would add to Σd².
    double s1 = 0.0, s2 = 0.0;
    for (int n = 0; n < N; ++n) {
      for (int s = 0; s < S; ++s) {
        const double d = inp[at(n, c, s, C, S)] - mean0;
        s1 += d;
        s2 += d * d;
      }
    }
    const double v = (s2 - s1 * s1 / M) / M;
    mean[c] = static_cast<float>(mean0 + s1 / M);
    var[c] = static_cast<float>(v < 0.0 ? 0.0 : v);  // not std::max: a NaN must stay NaN
  }
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

// out, inp are (n). A NaN stays NaN (torch's clamp_min does the same).
void relu_forward_ref(float* out, const float* inp, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = inp[i] <= 0.0f ? 0.0f : inp[i];
}

// dinp, dout, out are (n). A select, not a product, like torch's threshold_backward: an inf or NaN
// dout of a dead unit gives 0, not NaN.
void relu_backward_ref(float* dinp, const float* dout, const float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) dinp[i] = out[i] <= 0.0f ? 0.0f : dout[i];
}

// out, inp are (n).
void sigmoid_forward_ref(float* out, const float* inp, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-inp[i]));
}

// dinp, dout, out are (n).
void sigmoid_backward_ref(float* dinp, const float* dout, const float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) dinp[i] = dout[i] * out[i] * (1.0f - out[i]);
}

// out, inp are (n).
void tanh_forward_ref(float* out, const float* inp, size_t n) {
  for (size_t i = 0; i < n; ++i) out[i] = std::tanh(inp[i]);
}

// dinp, dout, out are (n).
void tanh_backward_ref(float* dinp, const float* dout, const float* out, size_t n) {
  for (size_t i = 0; i < n; ++i) dinp[i] = dout[i] * (1.0f - out[i] * out[i]);
}

// param, grad are (n); buf is (n), or nullptr when momentum == 0.
void sgd_step_ref(float* param, float* buf, const float* grad, float lr, float momentum,
                  float dampening, float weight_decay, bool nesterov, bool buf_init, size_t n) {
  assert(momentum == 0.0f || buf != nullptr);
  for (size_t i = 0; i < n; ++i) {
    float d_p = grad[i];
    // Skipped at 0 like torch, so an inf parameter does not turn into 0*inf = NaN.
    if (weight_decay != 0.0f) d_p = d_p + weight_decay * param[i];
    if (momentum != 0.0f) {
      const float b = buf_init ? momentum * buf[i] + (1.0f - dampening) * d_p : d_p;
      buf[i] = b;
      d_p = nesterov ? d_p + momentum * b : b;
    }
    param[i] = param[i] - lr * d_p;
  }
}

}  // namespace bn::kernels
