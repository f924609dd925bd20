// The reference activation kernels (see kernels.h for what a _ref is).
#include <cmath>

#include "kernels.h"

namespace bn::kernels {

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

}  // namespace bn::kernels
