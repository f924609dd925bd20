#include "loss.h"

#include <cmath>
#include <string>

#include "base/buffer.h"

namespace bn {

Status cross_entropy(double* loss, float* grad, const float* logits, const int32_t* targets, int N, int K) {
  if (N < 1) return Status::range_error("shape: N must be >= 1, got " + std::to_string(N));
  if (K < 1) return Status::range_error("shape: classes must be >= 1, got " + std::to_string(K));
  if (static_cast<uint64_t>(N) * static_cast<uint64_t>(K) > kMaxElements)
    return Status::range_error("shape: more than " + std::to_string(kMaxElements) + " elements");
  for (int n = 0; n < N; ++n)
    if (targets[n] < 0 || targets[n] >= K)
      return Status::range_error("targets[" + std::to_string(n) + "] = " + std::to_string(targets[n]) +
                                 " is out of range [0, " + std::to_string(K) + ")");
  double total = 0;
  const double inv_n = 1.0 / N;
  for (int n = 0; n < N; ++n) {
    const float* row = logits + static_cast<size_t>(n) * K;
    float* grow = grad + static_cast<size_t>(n) * K;
    // Subtract the row maximum so exp never overflows (log-sum-exp trick).
    float mx = row[0];
    for (int k = 1; k < K; ++k) mx = row[k] > mx ? row[k] : mx;
    // Exponentials and the log in float, as PyTorch computes them (and float's expf/logf carry
    // 0.3 KB of tables where double's exp/log carry 6 KB); the sums are kept in double.
    double sum = 0;
    for (int k = 0; k < K; ++k) sum += static_cast<double>(std::exp(row[k] - mx));
    const float log_sum = std::log(static_cast<float>(sum));
    total += static_cast<double>(log_sum) + (static_cast<double>(mx) - row[targets[n]]);
    for (int k = 0; k < K; ++k) {
      const double p = static_cast<double>(std::exp((row[k] - mx) - log_sum));
      grow[k] = static_cast<float>((p - (k == targets[n] ? 1.0 : 0.0)) * inv_n);
    }
  }
  *loss = total * inv_n;
  return Status::ok();
}

Status mse_loss(double* loss, float* grad, const float* pred, const float* target, size_t n) {
  if (n < 1) return Status::range_error("shape: at least one element is needed");
  if (n > kMaxElements) return Status::range_error("shape: more than " + std::to_string(kMaxElements) + " elements");
  double total = 0;
  const double scale = 2.0 / static_cast<double>(n);
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(pred[i]) - target[i];
    total += d * d;
    grad[i] = static_cast<float>(scale * d);
  }
  *loss = total / static_cast<double>(n);
  return Status::ok();
}

}  // namespace bn
