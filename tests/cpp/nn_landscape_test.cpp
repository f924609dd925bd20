// Trainer::probe_landscape (Santurkar et al.'s loss landscape measurements) and the noisy
// BatchNorm of NetConfig::noise_shift / noise_scale (nn/noise.h), on both engines.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "base/rng.h"
#include "nn/noise.h"
#include "train/trainer.h"

namespace bn {
namespace {

struct Blobs {  // two Gaussian blobs in 4 dimensions
  std::vector<float> x;
  std::vector<int32_t> y;
  Blobs(int n, uint64_t seed) {
    Rng r(seed);
    for (int i = 0; i < n; ++i) {
      const int k = i % 2;
      for (int d = 0; d < 4; ++d) x.push_back(static_cast<float>(r.normal() + (k ? 1.0 : -1.0)));
      y.push_back(k);
    }
  }
  DataView view() const { return {x.data(), y.data(), static_cast<int>(y.size()), 4, 2}; }
};

NetConfig net(NormKind norm, double shift = 0, double scale = 1) {
  NetConfig c;
  c.sizes = {4, 12, 12, 2};
  c.norms = {norm};
  c.seed = 3;
  c.noise_shift = shift;
  c.noise_scale = scale;
  return c;
}

TrainerConfig cfg(int batch, double lr, double momentum = 0.9) {
  TrainerConfig t;
  t.batch_size = batch;
  t.sgd.lr = lr;
  t.sgd.momentum = momentum;
  t.data_seed = 8;
  t.eval_every = 10;
  return t;
}

std::vector<float> weights(Trainer& t) {
  std::vector<StateEntry> e;
  t.net().model->state(e, "");
  std::vector<float> out;
  for (const StateEntry& s : e)
    if (s.kind != StateEntry::Counter) out.insert(out.end(), s.value->data(), s.value->data() + s.value->size());
    else out.push_back(static_cast<float>(*s.counter));
  return out;
}

// Probing between steps must not change the run at all: same losses, same weights, same buffers.
void expect_probing_changes_nothing(const NetConfig& model) {
  Blobs train(200, 1), test(60, 2);
  Trainer a, b;
  ASSERT_TRUE(a.init(model, cfg(16, 0.05), train.view(), test.view()).is_ok());
  ASSERT_TRUE(b.init(model, cfg(16, 0.05), train.view(), test.view()).is_ok());
  const float etas[3] = {0.01f, 0.1f, 1.0f};
  std::vector<float> out(2 + 2 * 3);
  std::vector<float> la, lb;
  for (int chunk = 0; chunk < 5; ++chunk) {
    ASSERT_TRUE(a.run(10).is_ok());
    la.insert(la.end(), a.losses().begin(), a.losses().end());
    ASSERT_TRUE(b.probe_landscape(etas, 3, out.data()).is_ok());
    ASSERT_TRUE(b.run(10).is_ok());
    lb.insert(lb.end(), b.losses().begin(), b.losses().end());
    EXPECT_EQ(a.eval_accuracy(), b.eval_accuracy());
  }
  EXPECT_EQ(la, lb);
  EXPECT_EQ(weights(a), weights(b));
}

TEST(Landscape, ProbingLeavesTheRunUnchanged) {
  expect_probing_changes_nothing(net(NormKind::None));
  expect_probing_changes_nothing(net(NormKind::Batch));
  expect_probing_changes_nothing(net(NormKind::Batch, 1.0, 3.0));  // the noise generators too
}

// Without BatchNorm, on the whole training set as the batch, with plain SGD: θ − lr·g is exactly
// where one training step goes, so the probe's loss at η = lr is the loss after that step.
TEST(Landscape, ProbeAtTheLearningRateIsTheNextStepsLoss) {
  Blobs train(64, 4), test(64, 4);  // the test set is the training set
  Trainer t;
  ASSERT_TRUE(t.init(net(NormKind::None), cfg(64, 0.3, 0), train.view(), test.view()).is_ok());
  ASSERT_TRUE(t.run(3).is_ok());
  const float etas[1] = {0.3f};
  float out[4];
  ASSERT_TRUE(t.probe_landscape(etas, 1, out).is_ok());
  double before = 0, acc = 0;
  ASSERT_TRUE(t.evaluate(train.view(), 0, &before, &acc).is_ok());
  EXPECT_NEAR(out[0], before, 1e-6 * before);
  ASSERT_TRUE(t.run(1).is_ok());
  double after = 0;
  ASSERT_TRUE(t.evaluate(train.view(), 0, &after, &acc).is_ok());
  EXPECT_NEAR(out[2], after, 1e-5 * after);
  EXPECT_LT(after, before);
}

// First order: L(θ − ηg) ≈ L − η‖g‖² for small η, and the gradient change shrinks with η.
TEST(Landscape, SmallStepsFollowTheGradient) {
  for (NormKind norm : {NormKind::None, NormKind::Batch}) {
    Blobs train(200, 5), test(60, 6);
    Trainer t;
    ASSERT_TRUE(t.init(net(norm), cfg(32, 0.05), train.view(), test.view()).is_ok());
    ASSERT_TRUE(t.run(20).is_ok());
    const float etas[3] = {1e-3f, 1e-2f, 1e-1f};
    float out[8];
    ASSERT_TRUE(t.probe_landscape(etas, 3, out).is_ok());
    const double l0 = out[0], g2 = static_cast<double>(out[1]) * out[1];
    ASSERT_GT(g2, 0);
    const double predicted = l0 - 1e-3 * g2;
    EXPECT_NEAR(out[2], predicted, 0.05 * 1e-3 * g2 + 1e-6 * l0) << "norm " << static_cast<int>(norm);
    EXPECT_LT(out[2], l0);
    EXPECT_GT(out[5], 0);            // the gradient does change ...
    EXPECT_LT(out[5], out[6]);       // ... more for a longer step
    EXPECT_LT(out[6], out[7]);
  }
}

TEST(Landscape, RejectsBadStepSizesAndDivergedRuns) {
  Blobs train(100, 7), test(20, 8);
  Trainer t;
  ASSERT_TRUE(t.init(net(NormKind::Batch), cfg(16, 0.05), train.view(), test.view()).is_ok());
  float out[2 + 2 * 65];
  const float good[2] = {0.1f, 0.2f};
  EXPECT_EQ(t.probe_landscape(good, 0, out).code, Code::RangeError);
  std::vector<float> many(65, 0.1f);
  EXPECT_EQ(t.probe_landscape(many.data(), 65, out).code, Code::RangeError);
  for (float bad : {0.0f, -1.0f, 2000.0f, std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    const float etas[2] = {0.1f, bad};
    EXPECT_EQ(t.probe_landscape(etas, 2, out).code, Code::RangeError) << bad;
  }
  EXPECT_TRUE(t.probe_landscape(good, 2, out).is_ok());  // before any step too
  Trainer boom;
  ASSERT_TRUE(boom.init(net(NormKind::None), cfg(16, 1e6, 0), train.view(), test.view()).is_ok());
  ASSERT_TRUE(boom.run(50).is_ok());
  ASSERT_TRUE(boom.diverged());
  EXPECT_EQ(boom.probe_landscape(good, 2, out).code, Code::StateError);
}

TEST(Landscape, AStepThatBlowsUpIsInfinityNotNaN) {
  Blobs train(100, 9), test(20, 10);
  Trainer t;
  ASSERT_TRUE(t.init(net(NormKind::None), cfg(16, 0.05), train.view(), test.view()).is_ok());
  ASSERT_TRUE(t.run(5).is_ok());
  const float etas[2] = {0.01f, 1000.0f};
  float out[6];
  ASSERT_TRUE(t.probe_landscape(etas, 2, out).is_ok());
  for (float v : out) EXPECT_FALSE(std::isnan(v));
  EXPECT_TRUE(std::isfinite(out[2]));
  EXPECT_GT(out[3], out[2]);  // a step of 1000 along the gradient overshoots (finite or +inf)
  ASSERT_TRUE(t.run(5).is_ok());  // and the run goes on
  EXPECT_FALSE(t.diverged());
}

TEST(NoisyBatchNorm, ScalesAndShiftsEachChannelAnewEveryTrainingForward) {
  ShiftScaleNoise z(0.5, 2.0, 42);
  const int n = 3, c = 2, hw = 4;
  std::vector<float> x(n * c * hw);
  for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.25f - 2.0f;
  const Shape s{4, {n, c, 2, 2}};
  ASSERT_TRUE(z.forward(x.data(), s).is_ok());
  std::vector<float> first_scale(z.scales().data(), z.scales().data() + c);
  for (int j = 0; j < c; ++j) {
    EXPECT_GE(z.scales()[j], 1.0f);
    EXPECT_LT(z.scales()[j], 2.0f);
    EXPECT_GE(z.shifts()[j], -0.5f);
    EXPECT_LT(z.shifts()[j], 0.5f);
  }
  for (int r = 0; r < n; ++r)
    for (int j = 0; j < c; ++j)
      for (int p = 0; p < hw; ++p) {
        const size_t at = static_cast<size_t>((r * c + j) * hw + p);
        EXPECT_FLOAT_EQ(z.output()[at], z.scales()[j] * x[at] + z.shifts()[j]);
      }
  std::vector<float> dy(x.size(), 1.0f);
  ASSERT_TRUE(z.backward(dy.data()).is_ok());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(z.input_grad()[i], z.scales()[(i / hw) % c]);
  ASSERT_TRUE(z.forward(x.data(), s).is_ok());
  EXPECT_NE(z.scales()[0], first_scale[0]);  // a new draw every step
  z.set_training(false);
  ASSERT_TRUE(z.forward(x.data(), s).is_ok());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(z.output()[i], x[i]);  // eval: the identity
  ASSERT_TRUE(z.backward(dy.data()).is_ok());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(z.input_grad()[i], 1.0f);
  EXPECT_EQ(z.forward(x.data(), Shape{1, {5, 0, 0, 0}}).code, Code::RangeError);
}

TEST(NoisyBatchNorm, FollowsEveryBatchNormAndOnlyBatchNorm) {
  Net m;
  ASSERT_TRUE(build_net(&m, net(NormKind::Batch, 1, 2)).is_ok());
  EXPECT_EQ(m.noises.size(), 2u);
  // The watched activation inputs are the noisy values.
  EXPECT_EQ(m.act_inputs[0], static_cast<Module*>(m.noises[0]));
  Net plain;
  ASSERT_TRUE(build_net(&plain, net(NormKind::Batch)).is_ok());
  EXPECT_TRUE(plain.noises.empty());
  // Same weights as the network without noise, and the same state entries (the noise has none).
  std::vector<StateEntry> a, b;
  m.model->state(a, "");
  plain.model->state(b, "");
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i].kind == StateEntry::Parameter)
      for (size_t j = 0; j < a[i].value->size(); ++j) EXPECT_EQ((*a[i].value)[j], (*b[i].value)[j]);
  Net bad;
  EXPECT_EQ(build_net(&bad, net(NormKind::Layer, 1, 2)).code, Code::RangeError);
  EXPECT_EQ(build_net(&bad, net(NormKind::Batch, -1, 2)).code, Code::RangeError);
  EXPECT_EQ(build_net(&bad, net(NormKind::Batch, 0, 0.5)).code, Code::RangeError);
  EXPECT_EQ(build_net(&bad, net(NormKind::Batch, std::nan(""), 2)).code, Code::RangeError);
}

TEST(NoisyBatchNorm, StillTrainsButMovesTheDistributionEveryStep) {
  Blobs train(400, 11), test(200, 12);
  TrainerConfig c = cfg(32, 0.05);
  c.watch_layer = 1;
  c.watch_unit = 0;
  c.eval_every = 200;
  Trainer clean, noisy;
  ASSERT_TRUE(clean.init(net(NormKind::Batch), c, train.view(), test.view()).is_ok());
  ASSERT_TRUE(noisy.init(net(NormKind::Batch, 1.0, 3.0), c, train.view(), test.view()).is_ok());
  ASSERT_TRUE(clean.run(200).is_ok());
  ASSERT_TRUE(noisy.run(200).is_ok());
  // Step-to-step movement of the watched unit's median: far larger with the noise.
  auto movement = [](const std::vector<float>& p) {
    double m = 0;
    for (size_t s = 1; s < p.size() / 3; ++s) m += std::fabs(p[3 * s + 1] - p[3 * (s - 1) + 1]);
    return m / static_cast<double>(p.size() / 3 - 1);
  };
  EXPECT_GT(movement(noisy.percentiles()), 2 * movement(clean.percentiles()));  // measured: 3.1x
  EXPECT_FALSE(noisy.diverged());
  EXPECT_GT(noisy.eval_accuracy().back(), 0.85f);  // two separable blobs: still learnt
}

}  // namespace
}  // namespace bn
