// The reference Linear kernels (see kernels.h for what a _ref is; its dot products sum in double).
#include <cassert>

#include "kernels.h"
#include "layout.h"

namespace bn::kernels {

// out is (N,OUT), inp is (N,IN), weight is (OUT,IN), bias is (OUT) or nullptr.
void linear_forward_ref(float* out, const float* inp, const float* weight, const float* bias,
                        int N, int IN, int OUT) {
  assert(N >= 1 && IN >= 1 && OUT >= 1);
  for (int n = 0; n < N; ++n) {
    for (int o = 0; o < OUT; ++o) {
      double sum = bias ? bias[o] : 0.0;
      for (int i = 0; i < IN; ++i)
        sum += static_cast<double>(inp[idx(n, i, IN)]) * weight[idx(o, i, IN)];
      out[idx(n, o, OUT)] = static_cast<float>(sum);
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
        sum += static_cast<double>(dout[idx(n, o, OUT)]) * weight[idx(o, i, IN)];
      dinp[idx(n, i, IN)] = static_cast<float>(sum);
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
        sum += static_cast<double>(dout[idx(n, o, OUT)]) * inp[idx(n, i, IN)];
      // The batch's gradient is rounded to float, then added: what torch's `grad += new` does.
      dweight[idx(o, i, IN)] += static_cast<float>(sum);
    }
    if (dbias) {
      double sum = 0.0;
      for (int n = 0; n < N; ++n) sum += dout[idx(n, o, OUT)];
      dbias[o] += static_cast<float>(sum);
    }
  }
}

}  // namespace bn::kernels
