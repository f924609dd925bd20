#include "mlp.h"

#include <cmath>

#include "base/limits.h"
#include "base/rng.h"

namespace bn {

namespace {

Status init_linear(Linear& l, InitScheme scheme, double scale, Rng& rng) {
  if (scheme == InitScheme::Torch) {
    // Linear::init already drew U(±1/√IN); scale the weights only (the bias keeps its range).
    for (size_t i = 0; i < l.weight().size(); ++i) l.weight()[i] = static_cast<float>(l.weight()[i] * scale);
    return Status::ok();
  }
  const double in = l.in_features(), out = l.out_features();
  const double sd = scheme == InitScheme::He ? std::sqrt(2.0 / in) * scale
                     : scheme == InitScheme::Xavier ? std::sqrt(2.0 / (in + out)) * scale
                                                    : scale;
  for (size_t i = 0; i < l.weight().size(); ++i) l.weight()[i] = static_cast<float>(sd * rng.normal());
  if (l.has_bias()) l.bias().zero();
  return Status::ok();
}

}  // namespace

Status build_mlp(MLP* out, const MLPConfig& cfg) {
  if (cfg.sizes.size() < 2) return Status::range_error("sizes must list at least the input and output sizes");
  for (size_t i = 0; i < cfg.sizes.size(); ++i)
    if (cfg.sizes[i] < 1 || cfg.sizes[i] > kMaxLayerWidth)
      return Status::range_error("sizes[" + std::to_string(i) + "] must be in [1, " + std::to_string(kMaxLayerWidth) + "], got " + std::to_string(cfg.sizes[i]));
  if (!(cfg.init_scale >= 0) || !std::isfinite(cfg.init_scale) || cfg.init_scale > 1e6)
    return Status::range_error("initScale must be a finite number in [0, 1e6]");
  MLP m;
  m.model = std::make_shared<Sequential>();
  const size_t layers = cfg.sizes.size() - 1;
  for (size_t i = 0; i < layers; ++i) {
    auto lin = std::make_shared<Linear>();
    // One generator per Linear: identical weights whatever else the configuration adds.
    Rng rng(cfg.seed * 0x9E3779B97F4A7C15ull + i + 1);
    BN_TRY(lin->init(cfg.sizes[i], cfg.sizes[i + 1], true, rng));
    BN_TRY(init_linear(*lin, cfg.init, cfg.init_scale, rng));
    m.model->add(lin);
    m.linears.push_back(lin.get());
    if (i + 1 == layers) break;  // the output layer has no normalisation or activation
    std::shared_ptr<BatchNorm> norm;
    if (cfg.batchnorm) {
      norm = std::make_shared<BatchNorm>();
      BatchNormOptions o;
      o.momentum = cfg.bn_momentum;
      o.eps = cfg.bn_eps;
      BN_TRY(norm->init(cfg.sizes[i + 1], 1, o));
      m.norms.push_back(norm.get());
    }
    auto act = std::make_shared<Activation>(cfg.activation);
    if (norm && cfg.placement == Placement::BeforeActivation) {
      m.model->add(norm);
      m.act_inputs.push_back(norm.get());
      m.model->add(act);
    } else {
      m.act_inputs.push_back(lin.get());
      m.model->add(act);
      if (norm) m.model->add(norm);
    }
  }
  *out = std::move(m);
  return Status::ok();
}

}  // namespace bn
