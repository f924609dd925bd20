#include "net.h"

#include <algorithm>
#include <cmath>

#include "base/limits.h"
#include "base/rng.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/linear.h"
#include "nn/norm.h"
#include "nn/pool.h"

namespace bn {

namespace {

// Scales or redraws the weights that init() drew as U(±1/√fan_in); the bias keeps torch's range
// under Torch and is zero otherwise.
void init_weights(Buffer& weight, Buffer* bias, InitScheme scheme, double scale, double fan_in, double fan_out, Rng& rng) {
  if (scheme == InitScheme::Torch) {
    for (size_t i = 0; i < weight.size(); ++i) weight[i] = static_cast<float>(weight[i] * scale);
    return;
  }
  const double sd = scheme == InitScheme::He ? std::sqrt(2.0 / fan_in) * scale
                     : scheme == InitScheme::Xavier ? std::sqrt(2.0 / (fan_in + fan_out)) * scale
                                                    : scale;
  for (size_t i = 0; i < weight.size(); ++i) weight[i] = static_cast<float>(sd * rng.normal());
  if (bias) bias->zero();
}

// The normalisation of a block whose output has `channels` channels and the per-example shape
// `example` (rank 1: features; rank 3: [C, H, W]); null for NormKind::None.
Status make_norm(std::shared_ptr<Module>* out, const NetConfig& cfg, NormKind kind, const Shape& example, int block) {
  const int channels = example.dims[0];
  out->reset();
  if (kind == NormKind::Batch) {
    auto bn = std::make_shared<BatchNorm>();
    BatchNormOptions o;
    o.momentum = cfg.bn_momentum;
    o.eps = cfg.bn_eps;
    BN_TRY(bn->init(channels, example.rank == 1 ? 1 : 2, o));
    *out = bn;
  } else if (kind == NormKind::Layer) {
    auto ln = std::make_shared<LayerNorm>();
    LayerNormOptions o;
    o.eps = cfg.bn_eps;
    BN_TRY(ln->init(example, o));
    *out = ln;
  } else if (kind == NormKind::Group) {
    if (cfg.groups < 1 || channels % cfg.groups != 0)
      return Status::range_error("groups (" + std::to_string(cfg.groups) + ") must divide the " + std::to_string(channels) +
                                 " channels of block " + std::to_string(block));
    auto gn = std::make_shared<GroupNorm>();
    GroupNormOptions o;
    o.eps = cfg.bn_eps;
    BN_TRY(gn->init(cfg.groups, channels, o));
    *out = gn;
  } else if (kind != NormKind::None) {
    return Status::range_error("unknown normalization");
  }
  return Status::ok();
}

}  // namespace

Status build_net(Net* out, const NetConfig& cfg) {
  if (cfg.sizes.size() < 2) return Status::range_error("sizes must list at least the input and output sizes");
  for (size_t i = 0; i < cfg.sizes.size(); ++i)
    if (cfg.sizes[i] < 1 || cfg.sizes[i] > kMaxLayerWidth)
      return Status::range_error("sizes[" + std::to_string(i) + "] must be in [1, " + std::to_string(kMaxLayerWidth) + "], got " + std::to_string(cfg.sizes[i]));
  if (!(cfg.init_scale >= 0) || !std::isfinite(cfg.init_scale) || cfg.init_scale > 1e6)
    return Status::range_error("initScale must be a finite number in [0, 1e6]");
  const size_t convs = cfg.conv_channels.size();
  const size_t blocks = convs + cfg.sizes.size() - 2;
  if (cfg.norms.size() != 1 && cfg.norms.size() != blocks)
    return Status::range_error("norm must be one choice or one per block (" + std::to_string(blocks) + "), got " +
                               std::to_string(cfg.norms.size()));
  if (convs > static_cast<size_t>(kMaxConvBlocks))
    return Status::range_error("conv must have at most " + std::to_string(kMaxConvBlocks) + " blocks");
  if (!(cfg.noise_shift >= 0 && cfg.noise_shift <= 1e3))
    return Status::range_error("noise shift must be a number in [0, 1000]");
  if (!(cfg.noise_scale >= 1 && cfg.noise_scale <= 1e3))
    return Status::range_error("noise scale must be a number in [1, 1000]");
  const bool noisy = cfg.noise_shift > 0 || cfg.noise_scale > 1;
  if (noisy && std::find(cfg.norms.begin(), cfg.norms.end(), NormKind::Batch) == cfg.norms.end())
    return Status::range_error("noise is injected after BatchNorm layers: it needs norm 'batch' in at least one block");
  Net m;
  m.model = std::make_shared<Sequential>();
  m.in_features = cfg.sizes.front();
  m.classes = cfg.sizes.back();
  uint64_t weighted = 0;  // index of the generator of the next Linear or Conv2d
  size_t block = 0;
  auto rng_for = [&](uint64_t i) { return Rng(cfg.seed * 0x9E3779B97F4A7C15ull + i + 1); };

  // Adds norm and activation in the configured order after `producer` (a Linear or Conv2d
  // whose per-example output is `shape`).
  auto add_block_tail = [&](std::shared_ptr<Module> producer, const Shape& shape) -> Status {
    std::shared_ptr<Module> norm;
    const NormKind kind = cfg.norms[cfg.norms.size() == 1 ? 0 : block];
    BN_TRY(make_norm(&norm, cfg, kind, shape, static_cast<int>(block)));
    auto act = std::make_shared<Activation>(cfg.activation);
    // The noisy BatchNorm experiment: the noise follows the BatchNorm and stands in its place.
    std::shared_ptr<ShiftScaleNoise> noise;
    if (noisy && kind == NormKind::Batch) {
      noise = std::make_shared<ShiftScaleNoise>(cfg.noise_shift, cfg.noise_scale, rng_for(0x4E015E00u + block).next_u64());
      m.noises.push_back(noise.get());
    }
    Module* act_input = producer.get();
    if (norm && cfg.placement == Placement::BeforeActivation) {
      m.model->add(norm);
      act_input = norm.get();
      if (noise) {
        m.model->add(noise);
        act_input = noise.get();
      }
      m.model->add(act);
    } else {
      m.model->add(act);
      if (norm) m.model->add(norm);
      if (noise) m.model->add(noise);
    }
    m.act_inputs.push_back(act_input);
    m.act_channels.push_back(shape.dims[0]);
    m.act_sizes.push_back(shape.numel());
    ++block;
    return Status::ok();
  };

  int features = cfg.sizes.front();
  if (convs == 0) {
    m.example = Shape{1, {features, 0, 0, 0}};
  } else {
    const int c = cfg.image_channels, h = cfg.image_height, w = cfg.image_width;
    if (c < 1 || h < 1 || w < 1 || static_cast<int64_t>(c) * h * w != features)
      return Status::range_error("the image shape [" + std::to_string(c) + ", " + std::to_string(h) + ", " +
                                 std::to_string(w) + "] must have sizes[0] = " + std::to_string(features) + " values");
    if (cfg.kernel_size < 1 || cfg.kernel_size % 2 == 0 || cfg.kernel_size > 15)
      return Status::range_error("kernelSize must be an odd number in [1, 15], got " + std::to_string(cfg.kernel_size));
    if (cfg.pool != PoolKind::Max && cfg.pool != PoolKind::Avg && cfg.pool != PoolKind::None)
      return Status::range_error("unknown pooling");
    m.example = Shape{3, {c, h, w, 0}};
    Shape cur = m.example;
    for (size_t i = 0; i < convs; ++i) {
      const int out_c = cfg.conv_channels[i];
      if (out_c < 1 || out_c > kMaxConvChannels)
        return Status::range_error("conv channels[" + std::to_string(i) + "] must be in [1, " + std::to_string(kMaxConvChannels) +
                                   "], got " + std::to_string(out_c));
      auto conv = std::make_shared<Conv2d>();
      Rng rng = rng_for(weighted++);
      const Conv2dOptions o{1, cfg.kernel_size / 2, true};
      BN_TRY(conv->init(cur.dims[0], out_c, cfg.kernel_size, o, rng));
      const double fan_in = static_cast<double>(cur.dims[0]) * cfg.kernel_size * cfg.kernel_size;
      init_weights(conv->weight(), &conv->bias(), cfg.init, cfg.init_scale, fan_in,
                   static_cast<double>(out_c) * cfg.kernel_size * cfg.kernel_size, rng);
      m.model->add(conv);
      m.weight_grads.push_back(&conv->weight_grad());
      cur.dims[0] = out_c;  // "same" padding keeps H and W
      if (static_cast<uint64_t>(cur.numel()) > kMaxElements) return Status::range_error("the conv blocks are too large");
      BN_TRY(add_block_tail(conv, cur));
      if (cfg.pool != PoolKind::None && cur.dims[1] >= 2 && cur.dims[2] >= 2) {
        auto pool = std::make_shared<Pool2d>();
        BN_TRY(pool->init(cfg.pool == PoolKind::Max ? Pool2d::Kind::Max : Pool2d::Kind::Avg, 2, 2));
        m.model->add(pool);
        cur.dims[1] /= 2;
        cur.dims[2] /= 2;
      }
    }
    m.model->add(std::make_shared<Flatten>());
    features = static_cast<int>(cur.numel());
    if (features > kMaxLayerWidth)
      return Status::range_error("the flattened conv output has " + std::to_string(features) + " features, more than " +
                                 std::to_string(kMaxLayerWidth));
  }

  const size_t layers = cfg.sizes.size() - 1;
  for (size_t i = 0; i < layers; ++i) {
    const int in = i == 0 ? features : cfg.sizes[i];
    auto lin = std::make_shared<Linear>();
    // One generator per layer: identical weights whatever else the configuration adds.
    Rng rng = rng_for(weighted++);
    BN_TRY(lin->init(in, cfg.sizes[i + 1], true, rng));
    init_weights(lin->weight(), &lin->bias(), cfg.init, cfg.init_scale, in, cfg.sizes[i + 1], rng);
    m.model->add(lin);
    m.weight_grads.push_back(&lin->weight_grad());
    ++m.linear_count;
    if (i + 1 == layers) break;  // the output layer has no normalisation or activation
    BN_TRY(add_block_tail(lin, Shape{1, {cfg.sizes[i + 1], 0, 0, 0}}));
  }
  *out = std::move(m);
  return Status::ok();
}

}  // namespace bn
