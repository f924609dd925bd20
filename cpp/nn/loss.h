// Losses with mean reduction, as torch.nn.functional: each returns the loss and writes the
// gradient of the loss with respect to its first input.
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/status.h"

namespace bn {

// logits and grad are (N, K); targets is (N) with values in [0, K).
// loss = mean_n( logsumexp(logits[n]) - logits[n, t_n] ); grad = (softmax - onehot) / N
Status cross_entropy(double* loss, float* grad, const float* logits, const int32_t* targets, int N, int K);

// pred, target and grad have n elements.  loss = mean((pred - target)²); grad = 2(pred - target)/n
Status mse_loss(double* loss, float* grad, const float* pred, const float* target, size_t n);

}  // namespace bn
