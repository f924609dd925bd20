// LayerNorm and GroupNorm with torch.nn semantics: statistics per example (not per batch), the
// biased variance, and the same computation in train and eval (no running statistics).
//
// Both normalise "rows" of contiguous values and then apply a per-channel affine map:
//   LayerNorm(normalized_shape): the trailing dims of the input equal normalized_shape; a row is
//     one example's (or position's) M = prod(normalized_shape) values; weight and bias have M
//     values, one per element of a row.
//   GroupNorm(G, C): input (N, C, *); a row is one example's C/G consecutive channels times their
//     S spatial positions; weight and bias have C values, one per channel.
// The row statistics, the normalisation and its backward are the BatchNorm kernels applied with a
// row as the "channel" (layout (1, rows, M)); the affine step is bn_forward / bn_backward_eval
// with mean 0 and invstd 1, whose arithmetic is then exactly x·γ + β and dy·γ.
#pragma once

#include "module.h"

namespace bn {

// What LayerNorm and GroupNorm share: the normalisation of rows and its backward.
class RowNorm : public Module {
 public:
  Status backward(const float* dy) override;
  void state(std::vector<StateEntry>& out, const std::string& prefix) override;

  double eps() const { return eps_; }
  bool affine() const { return affine_; }
  Buffer& weight() { return gamma_; }
  Buffer& bias() { return beta_; }
  Buffer& weight_grad() { return dgamma_; }
  Buffer& bias_grad() { return dbeta_; }

 protected:
  // eps checked, affine parameters (gamma 1, beta 0) of `params` values allocated.
  Status init_common(double eps, bool affine, int params);
  // Normalises x as `rows` rows of `m` values and applies the affine map with the layout
  // (an, ac, as) of the parameters: (rows, M, 1) for LayerNorm, (N, C, S) for GroupNorm.
  Status normalize(const float* x, const Shape& shape, int rows, int m, int an, int ac, int as);

 private:
  double eps_ = 1e-5;
  bool affine_ = true;
  bool gamma_grad_defined_ = false, beta_grad_defined_ = false;
  Buffer gamma_, beta_, dgamma_, dbeta_;
  Buffer zeros_, ones_;  // the identity statistics of the affine step (params values)
  Buffer mean_, var_, invstd_, xhat_, dxhat_;
  int rows_ = 0, m_ = 0, an_ = 0, ac_ = 0, as_ = 0;
};

struct LayerNormOptions {
  double eps = 1e-5;
  bool elementwise_affine = true;
};

class LayerNorm : public RowNorm {
 public:
  // normalized_shape: rank 1..4, every dim >= 1.
  Status init(const Shape& normalized_shape, const LayerNormOptions& opts);
  const char* kind() const override { return "LayerNorm"; }
  Status forward(const float* x, const Shape& shape) override;
  const Shape& normalized_shape() const { return normalized_; }

 private:
  Shape normalized_;
};

struct GroupNormOptions {
  double eps = 1e-5;
  bool affine = true;
};

class GroupNorm : public RowNorm {
 public:
  Status init(int num_groups, int num_channels, const GroupNormOptions& opts);
  const char* kind() const override { return "GroupNorm"; }
  Status forward(const float* x, const Shape& shape) override;
  int num_groups() const { return groups_; }
  int num_channels() const { return channels_; }

 private:
  int groups_ = 1, channels_ = 1;
};

}  // namespace bn
