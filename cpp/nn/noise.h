// Santurkar, Tsipras, Ilyas & Mądry (2018), "How Does Batch Normalization Help Optimization?",
// Section 2.1: "noisy" BatchNorm. Placed right after a BatchNorm, in training mode it multiplies
// each channel by a random scale and adds a random shift, both drawn afresh on every forward (so
// on every training step): s_c ~ U(1, max_scale), m_c ~ U(-max_shift, max_shift), y = s_c·x + m_c.
// The next layer's input distribution then moves from step to step far more than without
// BatchNorm, which is the point of the experiment: does training still work?
// (The paper draws its noise per example as well; here every example of a step shares its
// channel's scale and shift, a moving distribution without the extra per-example noise.)
// In eval mode it is the identity. Not a PyTorch module: it has no parameters or buffers, so a
// network's state_dict is the same with or without it.
#pragma once

#include "base/rng.h"
#include "module.h"

namespace bn {

class ShiftScaleNoise : public Module {
 public:
  // max_shift >= 0, max_scale >= 1 (checked by the network builder).
  ShiftScaleNoise(double max_shift, double max_scale, uint64_t seed) : max_shift_(max_shift), max_scale_(max_scale), rng_(seed) {}
  const char* kind() const override { return "ShiftScaleNoise"; }
  // x is [N, C] or [N, C, ...]: channel c is dim 1.
  Status forward(const float* x, const Shape& shape) override;
  Status backward(const float* dy) override;
  // The generator of the next draws: the trainer saves and restores it around measurements that
  // run extra forwards, so that measuring a run does not change it.
  Rng& rng() { return rng_; }
  // The last training forward's draws, per channel.
  const Buffer& scales() const { return scale_; }
  const Buffer& shifts() const { return shift_; }

 private:
  double max_shift_, max_scale_;
  Rng rng_;
  Buffer scale_, shift_;
  bool noisy_ = false;  // whether the last forward applied noise (training mode)
};

}  // namespace bn
