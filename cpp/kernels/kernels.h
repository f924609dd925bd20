// The engine's hot loops: pure functions on contiguous float arrays.
//
// Every kernel exists twice with one name pattern: `<op>_<direction>_ref` is a plain scalar loop
// written to be read (and never auto-vectorised, see ref.cpp), `<op>_<direction>_simd` is the
// 128-bit WebAssembly SIMD version (real <wasm_simd128.h> under Emscripten, SIMDe natively).
// The SIMD variants exist only when BN_HAVE_SIMD is 1. `kernels::active` (dispatch.h) picks
// one at compile time for the layers; tests and benchmarks walk both through kernel_table.h.
//
// Conventions (once, for all kernels):
// - outputs first, inputs next, sizes last;
// - parameter gradients (dweight, dbias, dgamma, dbeta) ACCUMULATE with +=,
//   input gradients (dinp) are OVERWRITTEN with =;
// - optional pointers (bias, gamma, beta, dbias, ...) may be nullptr, meaning "absent";
// - shapes use the project's fixed letters: N batch, C channels/features, S = L or H*W
//   (spatial positions per channel, 1 for 2-D input), IN/OUT features of a Linear layer;
// - sizes are >= 1 unless a kernel says otherwise; arrays do not alias unless said.
#pragma once

#include <cstddef>

#ifndef BN_HAVE_SIMD
#define BN_HAVE_SIMD 0
#endif

namespace bn::kernels {

// ---- Linear ----------------------------------------------------------------------------------
// out is (N,OUT), inp is (N,IN), weight is (OUT,IN) row-major, bias is (OUT) or nullptr.
// out = inp · weightᵀ + bias
void linear_forward_ref(float* out, const float* inp, const float* weight, const float* bias,
                        int N, int IN, int OUT);
// dinp is (N,IN), dout is (N,OUT), weight is (OUT,IN).   dinp = dout · weight
void linear_backward_input_ref(float* dinp, const float* dout, const float* weight,
                               int N, int IN, int OUT);
// dweight is (OUT,IN), dbias is (OUT) or nullptr, dout is (N,OUT), inp is (N,IN).
// dweight += doutᵀ · inp ; dbias += Σ_n dout
void linear_backward_params_ref(float* dweight, float* dbias, const float* dout, const float* inp,
                                int N, int IN, int OUT);

// ---- BatchNorm (layout (N,C,S): element (n,c,s) at (n*C + c)*S + s) ----------------------------
// mean, var are (C). Biased variance over the M = N*S values of each channel, computed with the
// corrected two-pass algorithm (mean, then Σd and Σd² of d = x - mean) so that a channel at
// 10000 ± 1 is as accurate as one at 0 ± 1. Pass 1 may be shifted by any value of the channel (the
// SIMD variant sums x - x_first, so a constant channel gets var exactly 0). NaN propagates.
// Requires N*S >= 1.
void bn_stats_ref(float* mean, float* var, const float* inp, int N, int C, int S);
// out, xhat, inp are (N,C,S); mean, invstd, gamma, beta are (C). xhat may be nullptr (not stored);
// gamma/beta nullptr mean 1/0.   xhat = (x - mean) * invstd ; out = xhat * gamma + beta
void bn_forward_ref(float* out, float* xhat, const float* inp, const float* mean, const float* invstd,
                    const float* gamma, const float* beta, int N, int C, int S);
// Backward through batch statistics (training mode, or eval without running stats).
// dinp, dout, xhat are (N,C,S); invstd, gamma, dgamma, dbeta are (C); gamma nullptr means 1.
// With sums per channel over its M = N*S values:
//   dinp = (gamma * invstd) * (dout - Σdout/M - xhat * Σ(dout*xhat)/M)
//   dgamma += Σ dout*xhat ; dbeta += Σ dout          (each may be nullptr)
void bn_backward_ref(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* xhat,
                     const float* invstd, const float* gamma, int N, int C, int S);
// Backward when the statistics are constants (eval mode with running statistics):
//   dinp = dout * (gamma * invstd) ; dgamma += Σ dout*xhat ; dbeta += Σ dout
void bn_backward_eval_ref(float* dinp, float* dgamma, float* dbeta, const float* dout,
                          const float* xhat, const float* invstd, const float* gamma,
                          int N, int C, int S);

// ---- Activations (elementwise over n values; backward uses the forward OUTPUT) ---------------
void relu_forward_ref(float* out, const float* inp, size_t n);
// relu: out = x <= 0 ? 0 : x (NaN stays NaN); backward selects like torch: out <= 0 ? 0 : dout
// (a product would turn an inf or NaN gradient on a dead unit into NaN).
void relu_backward_ref(float* dinp, const float* dout, const float* out, size_t n);
void sigmoid_forward_ref(float* out, const float* inp, size_t n);
void sigmoid_backward_ref(float* dinp, const float* dout, const float* out, size_t n);  // dout*out*(1-out)
void tanh_forward_ref(float* out, const float* inp, size_t n);
void tanh_backward_ref(float* dinp, const float* dout, const float* out, size_t n);  // dout*(1-out²)

// ---- Optimizer ------------------------------------------------------------------------------
// One torch.optim.SGD update of n parameters, in place. buf is the momentum buffer (n) or nullptr
// when momentum == 0; buf_init says whether buf already holds a value (if not, it is set to d_p,
// exactly as torch clones the first gradient).
//   d_p = grad + weight_decay*param
//   if momentum: buf = buf_init ? momentum*buf + (1-dampening)*d_p : d_p
//                d_p = nesterov ? d_p + momentum*buf : buf
//   param -= lr * d_p
void sgd_step_ref(float* param, float* buf, const float* grad, float lr, float momentum,
                  float dampening, float weight_decay, bool nesterov, bool buf_init, size_t n);

#if BN_HAVE_SIMD
void linear_forward_simd(float* out, const float* inp, const float* weight, const float* bias,
                         int N, int IN, int OUT);
void linear_backward_input_simd(float* dinp, const float* dout, const float* weight,
                                int N, int IN, int OUT);
void linear_backward_params_simd(float* dweight, float* dbias, const float* dout, const float* inp,
                                 int N, int IN, int OUT);
void bn_stats_simd(float* mean, float* var, const float* inp, int N, int C, int S);
void bn_forward_simd(float* out, float* xhat, const float* inp, const float* mean,
                     const float* invstd, const float* gamma, const float* beta, int N, int C, int S);
void bn_backward_simd(float* dinp, float* dgamma, float* dbeta, const float* dout, const float* xhat,
                      const float* invstd, const float* gamma, int N, int C, int S);
void bn_backward_eval_simd(float* dinp, float* dgamma, float* dbeta, const float* dout,
                           const float* xhat, const float* invstd, const float* gamma,
                           int N, int C, int S);
void relu_forward_simd(float* out, const float* inp, size_t n);
void relu_backward_simd(float* dinp, const float* dout, const float* out, size_t n);
void sigmoid_forward_simd(float* out, const float* inp, size_t n);
void sigmoid_backward_simd(float* dinp, const float* dout, const float* out, size_t n);
void tanh_forward_simd(float* out, const float* inp, size_t n);
void tanh_backward_simd(float* dinp, const float* dout, const float* out, size_t n);
void sgd_step_simd(float* param, float* buf, const float* grad, float lr, float momentum,
                   float dampening, float weight_decay, bool nesterov, bool buf_init, size_t n);
#endif

}  // namespace bn::kernels
