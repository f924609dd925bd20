// Building the lesson's networks from a small configuration: multilayer perceptrons, and small
// convolutional networks whose conv blocks come before the same fully connected head.
//
//   MLP:  [Linear → norm → act] per hidden size, then the output Linear
//   CNN:  [Conv2d(k, padding k/2) → norm → act → pool(2)] per conv channel count, Flatten, then
//         the MLP above on the flattened features
//
// with norm one of none, BatchNorm (1d after a Linear, 2d after a Conv2d), LayerNorm (over the
// features of a Linear, over [C, H, W] after a Conv2d) or GroupNorm, chosen per block, and placed
// before the activation (the paper's and the source's choice) or after it.
// Two configurations that differ only in normalisation get identical Linear and Conv2d weights
// (each draws from its own generator seeded by (seed, index)), so a comparison with and without
// BatchNorm starts from the same point.
#pragma once

#include <memory>
#include <vector>

#include "base/rng.h"
#include "nn/activation.h"
#include "nn/noise.h"
#include "nn/sequential.h"

namespace bn {

enum class Placement : int {
  BeforeActivation = 0,  // Linear → BN → act (the paper's and the source's choice)
  AfterActivation = 1,   // Linear → act → BN
};

enum class InitScheme : int {
  Torch = 0,   // U(±1/√fan_in) for weight and bias (torch.nn's default), times scale
  He = 1,      // weight N(0, √(2/fan_in)) times scale, bias 0 (kaiming_normal_, ReLU gain)
  Xavier = 2,  // weight N(0, √(2/(fan_in+fan_out))) times scale, bias 0 (xavier_normal_)
  Normal = 3,  // weight N(0, scale), bias 0: a plain normal with a chosen std
};

enum class NormKind : int {
  None = 0,
  Batch = 1,  // BatchNorm1d / BatchNorm2d
  Layer = 2,  // LayerNorm over each example's features (Linear) or [C, H, W] (Conv2d)
  Group = 3,  // GroupNorm(groups, channels)
};

enum class PoolKind : int {
  Max = 0,
  Avg = 1,
  None = 2,
};

struct NetConfig {
  std::vector<int> sizes;  // [IN, H1, ..., OUT]; at least two entries. IN = C·H·W for a CNN
  ActivationKind activation = ActivationKind::ReLU;
  // One per block (conv blocks, then hidden Linear layers), or a single entry for all of them.
  std::vector<NormKind> norms = {NormKind::None};
  int groups = 2;  // GroupNorm's numGroups; must divide every normalised width
  Placement placement = Placement::BeforeActivation;
  InitScheme init = InitScheme::Torch;
  double init_scale = 1.0;
  uint64_t seed = 0;
  double bn_momentum = 0.1;
  double bn_eps = 1e-5;
  // The convolutional part: empty for an MLP.
  std::vector<int> conv_channels;
  int image_channels = 1, image_height = 0, image_width = 0;  // C·H·W must equal sizes[0]
  int kernel_size = 3;
  PoolKind pool = PoolKind::Max;
  // "Noisy" BatchNorm (nn/noise.h): after every BatchNorm, in training mode, each channel is
  // scaled by U(1, noise_scale) and shifted by U(-noise_shift, noise_shift), redrawn every step.
  // noise_shift = 0 and noise_scale = 1 (the defaults) add nothing.
  double noise_shift = 0;
  double noise_scale = 1;
};

// The model plus typed views of its parts, for statistics.
struct Net {
  std::shared_ptr<Sequential> model;
  // The input of one example: [IN] for an MLP, [C, H, W] for a CNN (dims after the batch).
  Shape example;
  int in_features = 0, classes = 0;
  // Every Linear and Conv2d in order (the last is the output layer): their weight gradients.
  std::vector<Buffer*> weight_grads;
  int linear_count = 0;
  // Per hidden block: the module whose OUTPUT feeds the activation, its channels (features for a
  // Linear) and its values per example.
  std::vector<Module*> act_inputs;
  std::vector<int> act_channels;
  std::vector<size_t> act_sizes;
  // The noise after each BatchNorm of a noisy network (empty otherwise).
  std::vector<ShiftScaleNoise*> noises;
};

Status build_net(Net* out, const NetConfig& cfg);

}  // namespace bn
