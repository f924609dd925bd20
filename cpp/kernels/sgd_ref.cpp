// The reference SGD step (see kernels.h for what a _ref is).
#include <cassert>

#include "kernels.h"

namespace bn::kernels {

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
