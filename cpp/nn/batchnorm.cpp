#include "batchnorm.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/dispatch.h"

namespace bn {

Status BatchNorm::init(int num_features, int spatial_dims, const BatchNormOptions& opts) {
  if (num_features < 1)
    return Status::range_error("numFeatures must be >= 1, got " + std::to_string(num_features));
  if (static_cast<size_t>(num_features) > kMaxElements)
    return Status::range_error("numFeatures must be <= " + std::to_string(kMaxElements));
  // Below 1e-30, 1/sqrt(eps) (the scale of a constant feature's gradient) overflows float32.
  if (!(opts.eps >= 1e-30) || !std::isfinite(opts.eps))
    return Status::range_error("eps must be a finite number >= 1e-30");
  // Any finite momentum, as torch accepts (only [0, 1] is an average, but torch does not check).
  if (!opts.cumulative && !std::isfinite(opts.momentum))
    return Status::range_error("momentum must be a finite number or null");
  c_ = num_features;
  spatial_dims_ = spatial_dims;
  opts_ = opts;
  const size_t c = static_cast<size_t>(c_);
  if (opts_.affine) {
    BN_TRY(gamma_.assign(c, 1.0f));
    BN_TRY(beta_.assign(c, 0.0f));
    BN_TRY(dgamma_.assign(c, 0.0f));
    BN_TRY(dbeta_.assign(c, 0.0f));
  }
  if (opts_.track_running_stats) {
    BN_TRY(running_mean_.assign(c, 0.0f));
    BN_TRY(running_var_.assign(c, 1.0f));
  }
  BN_TRY(invstd_.resize(c));
  BN_TRY(mean_scratch_.resize(c));
  return Status::ok();
}

Status BatchNorm::forward(const float* x, const Shape& shape) {
  BN_TRY(validate_shape(shape, "shape"));
  const bool ok_rank = spatial_dims_ == 1 ? (shape.rank == 2 || shape.rank == 3) : shape.rank == 4;
  if (!ok_rank || shape.dims[1] != c_) {
    const std::string c = std::to_string(c_);
    return Status::range_error(
        std::string("shape: ") + kind() + "(" + c + ") expects " +
        (spatial_dims_ == 1 ? "[N, " + c + "] or [N, " + c + ", L]" : "[N, " + c + ", H, W]") +
        ", got " + shape.str());
  }
  const int n = shape.dims[0];
  int s = 1;
  for (int i = 2; i < shape.rank; ++i) s *= shape.dims[i];
  const size_t total = shape.numel();
  const size_t c = static_cast<size_t>(c_);

  // torch: batch statistics in training, and always when there are no running statistics.
  const bool use_batch = training_ || !opts_.track_running_stats;
  if (use_batch && static_cast<int64_t>(n) * s == 1)
    return Status::range_error("Expected more than 1 value per channel when training, got input size " +
                               shape.str());
  BN_TRY(output_.resize(total));
  BN_TRY(xhat_.resize(total));
  const double eps = opts_.eps;
  // Like torch's CPU kernel, the per-channel scalars are computed in double and stored as float.
  // Clamped to the largest float: with a tiny eps and a constant feature, 1/sqrt(0 + eps) would
  // round to inf, and 0 * inf is NaN where the normalised value should be 0.
  auto inv_sqrt = [eps](float v) {
    return static_cast<float>(std::min(1.0 / std::sqrt(static_cast<double>(v) + eps), static_cast<double>(FLT_MAX)));
  };

  const float* mean = nullptr;
  if (use_batch) {
    BN_TRY(batch_mean_.resize(c));
    BN_TRY(batch_var_.resize(c));
    kernels::active::bn_stats(batch_mean_.data(), batch_var_.data(), x, n, c_, s);
    has_batch_stats_ = true;
    for (size_t j = 0; j < c; ++j) invstd_[j] = inv_sqrt(batch_var_[j]);
    mean = batch_mean_.data();
    if (training_ && opts_.track_running_stats) {
      ++num_batches_tracked_;
      const double f = opts_.cumulative ? 1.0 / static_cast<double>(num_batches_tracked_) : opts_.momentum;
      // torch updates running_var with the unbiased variance: var * M / (M - 1).
      const double m = static_cast<double>(static_cast<int64_t>(n) * s);
      const double unbias = m / (m - 1.0);
      for (size_t j = 0; j < c; ++j) {
        running_mean_[j] = static_cast<float>(f * batch_mean_[j] + (1.0 - f) * running_mean_[j]);
        running_var_[j] = static_cast<float>(f * (batch_var_[j] * unbias) + (1.0 - f) * running_var_[j]);
      }
    }
  } else {
    for (size_t j = 0; j < c; ++j) invstd_[j] = inv_sqrt(running_var_[j]);
    // Copy: running_mean may be overwritten (loadStateDict) before backward.
    for (size_t j = 0; j < c; ++j) mean_scratch_[j] = running_mean_[j];
    mean = mean_scratch_.data();
  }
  kernels::active::bn_forward(output_.data(), xhat_.data(), x, mean, invstd_.data(),
                              opts_.affine ? gamma_.data() : nullptr,
                              opts_.affine ? beta_.data() : nullptr, n, c_, s);
  // A variance beyond float32's range (finite values near ±1e19 and more) gives invstd 0, and
  // x - mean may then overflow too: inf * 0 would be NaN. The normalised value is 0, as in torch
  // (whose kernel computes x * (invstd * gamma) + (beta - mean * invstd * gamma)). Rare: such
  // channels are rewritten here rather than tested for in the kernels' inner loops.
  for (int j = 0; j < c_; ++j) {
    if (invstd_[static_cast<size_t>(j)] != 0.0f) continue;
    const float b = opts_.affine ? beta_[static_cast<size_t>(j)] : 0.0f;
    for (int i = 0; i < n; ++i) {
      const size_t row = (static_cast<size_t>(i) * c + static_cast<size_t>(j)) * static_cast<size_t>(s);
      for (int k = 0; k < s; ++k) {
        xhat_[row + static_cast<size_t>(k)] = 0.0f;
        output_[row + static_cast<size_t>(k)] = b;
      }
    }
  }
  used_batch_stats_ = use_batch;
  n_ = n;
  s_ = s;
  in_shape_ = shape;
  out_shape_ = shape;
  finish_forward();
  return Status::ok();
}

Status BatchNorm::backward(const float* dy) {
  if (!has_forward_) return Status::state_error("backward() needs a forward() first");
  BN_TRY(dinp_.resize(xhat_.size()));
  float* dgamma = opts_.affine ? dgamma_.data() : nullptr;
  float* dbeta = opts_.affine ? dbeta_.data() : nullptr;
  const float* gamma = opts_.affine ? gamma_.data() : nullptr;
  if (used_batch_stats_)
    kernels::active::bn_backward(dinp_.data(), dgamma, dbeta, dy, xhat_.data(), invstd_.data(), gamma, n_, c_, s_);
  else
    kernels::active::bn_backward_eval(dinp_.data(), dgamma, dbeta, dy, xhat_.data(), invstd_.data(), gamma, n_, c_, s_);
  gamma_grad_defined_ = beta_grad_defined_ = opts_.affine;
  return Status::ok();
}

void BatchNorm::state(std::vector<StateEntry>& out, const std::string& prefix) {
  if (opts_.affine) {
    out.push_back({prefix + "weight", StateEntry::Parameter, &gamma_, &dgamma_, nullptr, &gamma_grad_defined_});
    out.push_back({prefix + "bias", StateEntry::Parameter, &beta_, &dbeta_, nullptr, &beta_grad_defined_});
  }
  if (opts_.track_running_stats) {
    out.push_back({prefix + "running_mean", StateEntry::FloatBuffer, &running_mean_, nullptr, nullptr, nullptr});
    out.push_back({prefix + "running_var", StateEntry::FloatBuffer, &running_var_, nullptr, nullptr, nullptr});
    out.push_back({prefix + "num_batches_tracked", StateEntry::Counter, nullptr, nullptr, &num_batches_tracked_, nullptr});
  }
}

}  // namespace bn
