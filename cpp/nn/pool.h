// MaxPool2d and AvgPool2d with torch.nn semantics (square window, no padding, floor mode), and
// Flatten. Pooling takes (N, C, H, W) or (C, H, W) and pools each plane on its own:
// OH = (H - k) / s + 1 (floor), likewise OW; the stride defaults to the kernel size.
//   MaxPool2d: the largest value of each window; a NaN wins (as in torch). Backward routes each
//     output's gradient to the one input it came from: on a tie, the first maximum of the window
//     in row-major order. Windows that overlap (s < k) add their gradients.
//   AvgPool2d: the mean of each window; backward spreads dy / k² over it.
//   Flatten: (N, ...) -> (N, product of the rest), torch.nn.Flatten() (start_dim 1).
#pragma once

#include "module.h"

namespace bn {

class Pool2d : public Module {
 public:
  enum class Kind : int { Max = 0, Avg = 1 };
  Status init(Kind kind, int kernel_size, int stride);
  const char* kind() const override { return kind_ == Kind::Max ? "MaxPool2d" : "AvgPool2d"; }
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  int kernel_size() const { return k_; }
  int stride() const { return s_; }

 private:
  Kind kind_ = Kind::Max;
  int k_ = 1, s_ = 1;
  int planes_ = 0, h_ = 0, w_ = 0, oh_ = 0, ow_ = 0;
  IntBuffer argmax_;  // MaxPool2d: per output, the index within its plane of the chosen input
};

class Flatten : public Module {
 public:
  const char* kind() const override { return "Flatten"; }
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
};

}  // namespace bn
