// BatchNorm1d and BatchNorm2d with torch.nn semantics.
// BatchNorm1d: inp is (N, C) or (N, C, L); BatchNorm2d: inp is (N, C, H, W). Statistics are per
// channel C over the other axes (M = N*L or N*H*W values). gamma, beta, running_mean and
// running_var are (C).
#pragma once

#include <cstdint>

#include "module.h"

namespace bn {

struct BatchNormOptions {
  double eps = 1e-5;
  double momentum = 0.1;
  bool cumulative = false;  // momentum=None: cumulative moving average, factor 1/num_batches_tracked
  bool affine = true;
  bool track_running_stats = true;
};

class BatchNorm : public Module {
 public:
  // spatial_dims: 1 for BatchNorm1d, 2 for BatchNorm2d.
  Status init(int num_features, int spatial_dims, const BatchNormOptions& opts);
  const char* kind() const override { return spatial_dims_ == 1 ? "BatchNorm1d" : "BatchNorm2d"; }
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  void state(std::vector<StateEntry>& out, const std::string& prefix) override;

  int num_features() const { return c_; }
  const BatchNormOptions& options() const { return opts_; }
  Buffer& weight() { return gamma_; }
  Buffer& bias() { return beta_; }
  Buffer& weight_grad() { return dgamma_; }
  Buffer& bias_grad() { return dbeta_; }
  Buffer& running_mean() { return running_mean_; }
  Buffer& running_var() { return running_var_; }
  int64_t num_batches_tracked() const { return num_batches_tracked_; }
  // Statistics of the last batch normalised with batch statistics (biased variance); empty before.
  const Buffer& last_batch_mean() const { return batch_mean_; }
  const Buffer& last_batch_var() const { return batch_var_; }
  bool has_batch_stats() const { return has_batch_stats_; }

 private:
  int c_ = 0, spatial_dims_ = 1;
  BatchNormOptions opts_;
  Buffer gamma_, beta_, dgamma_, dbeta_;
  bool gamma_grad_defined_ = false, beta_grad_defined_ = false;
  Buffer running_mean_, running_var_;
  int64_t num_batches_tracked_ = 0;
  Buffer batch_mean_, batch_var_;
  bool has_batch_stats_ = false;
  // Cached by forward for backward.
  Buffer xhat_, invstd_, mean_scratch_;
  int n_ = 0, s_ = 0;
  bool used_batch_stats_ = false;
};

}  // namespace bn
