// Building the lesson's multilayer perceptrons from a small configuration: layer sizes, the
// activation, BatchNorm on or off and where it goes, and the initialisation scheme.
// Two configurations that differ only in normalisation get identical Linear weights (each
// Linear draws from its own generator seeded by (seed, index)), so a comparison with and without
// BatchNorm starts from the same point.
#pragma once

#include <memory>
#include <vector>

#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "nn/sequential.h"

namespace bn {

enum class Placement : int {
  BeforeActivation = 0,  // Linear → BN → act (the paper's and the source's choice)
  AfterActivation = 1,   // Linear → act → BN
};

enum class InitScheme : int {
  Torch = 0,   // U(±1/√IN) for weight and bias (torch.nn.Linear's default), times scale
  He = 1,      // weight N(0, √(2/IN)) times scale, bias 0 (kaiming_normal_, ReLU gain)
  Xavier = 2,  // weight N(0, √(2/(IN+OUT))) times scale, bias 0 (xavier_normal_)
  Normal = 3,  // weight N(0, scale), bias 0: a plain normal with a chosen std
};

struct MLPConfig {
  std::vector<int> sizes;  // [IN, H1, ..., OUT]; at least two entries
  ActivationKind activation = ActivationKind::ReLU;
  bool batchnorm = false;
  Placement placement = Placement::BeforeActivation;
  InitScheme init = InitScheme::Torch;
  double init_scale = 1.0;
  uint64_t seed = 0;
  double bn_momentum = 0.1;
  double bn_eps = 1e-5;
};

// The model plus typed pointers to its parts, for statistics.
struct MLP {
  std::shared_ptr<Sequential> model;
  std::vector<Linear*> linears;          // in order; the last one is the output layer
  std::vector<BatchNorm*> norms;         // one per hidden layer when batchnorm, else empty
  std::vector<Module*> act_inputs;       // per hidden layer: the module whose OUTPUT feeds the activation
};

Status build_mlp(MLP* out, const MLPConfig& cfg);

}  // namespace bn
