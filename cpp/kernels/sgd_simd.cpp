// The SIMD SGD step (see simd128.h for its habits); it matches sgd_step_ref bit for bit.
#include <cassert>

#include "kernels.h"
#include "simd128.h"

namespace bn::kernels {

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
