// Trainer tests on both engines: determinism, learning, divergence detection, the equality of
// two configurations' starting weights, and replaying the recorded batches by hand.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "nn/linear.h"
#include "nn/loss.h"
#include "base/rng.h"
#include "train/trainer.h"

namespace bn {
namespace {

// Two interleaved half-moons-like classes: y = 1 when x0 * x1 > 0 (XOR quadrants), 2 features.
struct Xor {
  std::vector<float> x;
  std::vector<int32_t> y;
  explicit Xor(int n, uint64_t seed) {
    Rng r(seed);
    for (int i = 0; i < n; ++i) {
      const float a = static_cast<float>(r.uniform(-1, 1)), b = static_cast<float>(r.uniform(-1, 1));
      x.push_back(a);
      x.push_back(b);
      y.push_back(a * b > 0 ? 1 : 0);
    }
  }
  DataView view() const { return {x.data(), y.data(), static_cast<int>(y.size()), 2, 2}; }
};

NetConfig mlp(bool batchnorm, ActivationKind act = ActivationKind::ReLU) {
  NetConfig c;
  c.sizes = {2, 16, 16, 2};
  c.activation = act;
  c.norms = {batchnorm ? NormKind::Batch : NormKind::None};
  c.seed = 5;
  return c;
}

TrainerConfig trainer_cfg(double lr) {
  TrainerConfig t;
  t.batch_size = 32;
  t.sgd.lr = lr;
  t.sgd.momentum = 0.9;
  t.data_seed = 11;
  t.eval_every = 50;
  t.watch_layer = 1;
  t.watch_unit = 3;
  return t;
}

TEST(Trainer, SameConfigurationSameNumbers) {
  Xor train(512, 1), test(256, 2);
  Trainer a, b;
  ASSERT_TRUE(a.init(mlp(true), trainer_cfg(0.1), train.view(), test.view()).is_ok());
  ASSERT_TRUE(b.init(mlp(true), trainer_cfg(0.1), train.view(), test.view()).is_ok());
  ASSERT_TRUE(a.run(100).is_ok());
  ASSERT_TRUE(b.run(60).is_ok());
  std::vector<float> joined = b.losses();
  ASSERT_TRUE(b.run(40).is_ok());  // two calls give the same as one
  joined.insert(joined.end(), b.losses().begin(), b.losses().end());
  EXPECT_EQ(a.losses(), joined);
  EXPECT_EQ(a.step(), 100);
}

TEST(Trainer, LearnsXorWithAndWithoutBatchNorm) {
  Xor train(1024, 3), test(512, 4);
  for (bool bn : {false, true}) {
    Trainer t;
    ASSERT_TRUE(t.init(mlp(bn), trainer_cfg(0.05), train.view(), test.view()).is_ok());
    ASSERT_TRUE(t.run(600).is_ok());
    ASSERT_FALSE(t.diverged());
    ASSERT_FALSE(t.eval_accuracy().empty());
    EXPECT_GT(t.eval_accuracy().back(), 0.9f) << "batchnorm " << bn;
    EXPECT_EQ(t.percentiles().size(), 600u * 3);
    for (size_t s = 0; s < 600; ++s) {
      EXPECT_LE(t.percentiles()[3 * s], t.percentiles()[3 * s + 1]);
      EXPECT_LE(t.percentiles()[3 * s + 1], t.percentiles()[3 * s + 2]);
    }
    EXPECT_EQ(t.grad_norms().size(), 600u * 3);
  }
}

TEST(Trainer, WithAndWithoutBatchNormStartFromTheSameWeights) {
  Net a, b;
  ASSERT_TRUE(build_net(&a, mlp(false)).is_ok());
  ASSERT_TRUE(build_net(&b, mlp(true)).is_ok());
  auto linears = [](Net& n) {
    std::vector<Linear*> out;
    for (size_t i = 0; i < n.model->size(); ++i)
      if (auto* l = dynamic_cast<Linear*>(&n.model->child(i))) out.push_back(l);
    return out;
  };
  const std::vector<Linear*> la = linears(a), lb = linears(b);
  ASSERT_EQ(la.size(), 3u);
  ASSERT_EQ(lb.size(), 3u);
  for (size_t i = 0; i < la.size(); ++i) {
    for (size_t j = 0; j < la[i]->weight().size(); ++j) ASSERT_EQ(la[i]->weight()[j], lb[i]->weight()[j]);
    for (size_t j = 0; j < la[i]->bias().size(); ++j) ASSERT_EQ(la[i]->bias()[j], lb[i]->bias()[j]);
  }
  EXPECT_EQ(b.model->size(), 3u + 2 * 2 + 0u);  // L BN act L BN act L
}

TEST(Trainer, HugeLearningRateIsReportedAsDivergedNotNaN) {
  Xor train(256, 5), test(64, 6);
  NetConfig c = mlp(false);
  c.init = InitScheme::Normal;
  c.init_scale = 30;  // huge initial weights
  TrainerConfig t = trainer_cfg(100);
  Trainer tr;
  ASSERT_TRUE(tr.init(c, t, train.view(), test.view()).is_ok());
  ASSERT_TRUE(tr.run(500).is_ok());
  ASSERT_TRUE(tr.diverged());
  EXPECT_GE(tr.diverged_at(), 1);
  EXPECT_EQ(static_cast<int>(tr.losses().size()), tr.diverged_at() - 1);
  for (float l : tr.losses()) EXPECT_TRUE(std::isfinite(l));
  // The model was put back to its last finite state: every weight, buffer and counter is finite,
  // and it evaluates.
  EXPECT_GE(tr.restored_to_step(), 0);
  EXPECT_LE(tr.restored_to_step(), tr.step());
  std::vector<StateEntry> entries;
  tr.net().model->state(entries, "");
  for (const StateEntry& e : entries)
    if (e.kind != StateEntry::Counter)
      for (size_t i = 0; i < e.value->size(); ++i) ASSERT_TRUE(std::isfinite((*e.value)[i])) << e.name << "[" << i << "]";
  double loss = 0, acc = 0;
  ASSERT_TRUE(tr.evaluate(test.view(), 0, &loss, &acc).is_ok());
  EXPECT_TRUE(std::isfinite(loss));
  const Status again = tr.run(1);
  EXPECT_EQ(again.code, Code::StateError);
  EXPECT_NE(again.message.find("diverged at step"), std::string::npos);
}

TEST(Trainer, ReplayingTheRecordedBatchesByHandGivesTheSameLosses) {
  Xor train(200, 7), test(10, 8);
  TrainerConfig cfg = trainer_cfg(0.1);
  cfg.eval_every = 0;
  Trainer t;
  ASSERT_TRUE(t.init(mlp(true, ActivationKind::Tanh), cfg, train.view(), test.view()).is_ok());
  // An independent copy of the same model and optimiser, driven step by step.
  Net m;
  ASSERT_TRUE(build_net(&m, mlp(true, ActivationKind::Tanh)).is_ok());
  SGD opt;
  ASSERT_TRUE(opt.init(m.model, cfg.sgd).is_ok());
  ASSERT_TRUE(t.run(20).is_ok());
  const auto& idx = t.batch_indices();
  ASSERT_EQ(idx.size(), 20u * 32);
  std::vector<float> bx(32 * 2), grad(32 * 2);
  std::vector<int32_t> by(32);
  for (size_t s = 0; s < 20; ++s) {
    for (size_t i = 0; i < 32; ++i) {
      const size_t e = static_cast<size_t>(idx[s * 32 + i]);
      bx[2 * i] = train.x[2 * e];
      bx[2 * i + 1] = train.x[2 * e + 1];
      by[i] = train.y[e];
    }
    opt.zero_grad();
    ASSERT_TRUE(m.model->forward(bx.data(), Shape{2, {32, 2, 0, 0}}).is_ok());
    double loss = 0;
    ASSERT_TRUE(cross_entropy(&loss, grad.data(), m.model->output().data(), by.data(), 32, 2).is_ok());
    ASSERT_TRUE(m.model->backward(grad.data()).is_ok());
    opt.step();
    EXPECT_EQ(static_cast<float>(loss), t.losses()[s]) << "step " << s;
  }
}

TEST(Trainer, GridAndHistogramsAreFinite) {
  Xor train(256, 9), test(64, 10);
  Trainer t;
  ASSERT_TRUE(t.init(mlp(true), trainer_cfg(0.1), train.view(), test.view()).is_ok());
  std::vector<float> hist(2 * 8);
  ASSERT_TRUE(t.histograms(hist.data(), 8, -3, 3).is_ok());
  for (float h : hist) EXPECT_EQ(h, 0.0f);  // nothing trained yet
  ASSERT_TRUE(t.run(50).is_ok());
  std::vector<float> grid(100 * 100);
  ASSERT_TRUE(t.predict_grid(grid.data(), -1, 1, -1, 1, 100, 100).is_ok());
  for (float p : grid) ASSERT_TRUE(p >= 0 && p <= 1);
  ASSERT_TRUE(t.histograms(hist.data(), 8, -3, 3).is_ok());
  float total = 0;
  for (int i = 0; i < 8; ++i) total += hist[static_cast<size_t>(i)];
  EXPECT_EQ(total, 32.0f * 16);  // batch × units of hidden layer 0
}

TEST(Trainer, UnitHistogramsSplitTheLayerHistogramByUnit) {
  Xor train(256, 9), test(64, 10);
  Trainer t;
  ASSERT_TRUE(t.init(mlp(true), trainer_cfg(0.1), train.view(), test.view()).is_ok());
  EXPECT_EQ(t.hidden_units(0), 16);
  EXPECT_EQ(t.hidden_units(1), 16);
  EXPECT_EQ(t.hidden_units(2), -1);
  EXPECT_EQ(t.hidden_units(-1), -1);
  std::vector<float> units(16 * 8, -1.0f), layer(2 * 8);
  ASSERT_TRUE(t.unit_histograms(units.data(), 1, 8, -3, 3).is_ok());
  for (float h : units) EXPECT_EQ(h, 0.0f);  // nothing trained yet
  ASSERT_TRUE(t.run(30).is_ok());
  ASSERT_TRUE(t.unit_histograms(units.data(), 1, 8, -3, 3).is_ok());
  ASSERT_TRUE(t.histograms(layer.data(), 8, -3, 3).is_ok());
  for (int b = 0; b < 8; ++b) {  // the units' histograms add up to the layer's
    float sum = 0;
    for (int u = 0; u < 16; ++u) sum += units[static_cast<size_t>(u * 8 + b)];
    EXPECT_EQ(sum, layer[static_cast<size_t>(8 + b)]) << "bin " << b;
  }
  for (int u = 0; u < 16; ++u) {  // each unit counts every example of the batch
    float n = 0;
    for (int b = 0; b < 8; ++b) n += units[static_cast<size_t>(u * 8 + b)];
    EXPECT_EQ(n, 32.0f) << "unit " << u;
  }
  EXPECT_EQ(t.unit_histograms(units.data(), 2, 8, -3, 3).code, Code::RangeError);
  EXPECT_EQ(t.unit_histograms(units.data(), -1, 8, -3, 3).code, Code::RangeError);
  EXPECT_EQ(t.unit_histograms(units.data(), 0, 0, -3, 3).code, Code::RangeError);
  EXPECT_EQ(t.unit_histograms(units.data(), 0, 8, 3, 3).code, Code::RangeError);
}

TEST(Trainer, SetWatchChangesOnlyWhatIsRecorded) {
  Xor train(256, 9), test(64, 10);
  Trainer a, b;
  ASSERT_TRUE(a.init(mlp(true), trainer_cfg(0.1), train.view(), test.view()).is_ok());
  TrainerConfig other = trainer_cfg(0.1);
  other.watch_layer = 0;
  other.watch_unit = 7;
  ASSERT_TRUE(b.init(mlp(true), other, train.view(), test.view()).is_ok());
  ASSERT_TRUE(a.run(20).is_ok());
  ASSERT_TRUE(b.run(20).is_ok());
  // a now watches what b watches: the next run records the same percentiles and the same losses.
  ASSERT_TRUE(a.set_watch(0, 7).is_ok());
  ASSERT_TRUE(a.run(10).is_ok());
  ASSERT_TRUE(b.run(10).is_ok());
  EXPECT_EQ(a.percentiles(), b.percentiles());
  EXPECT_EQ(a.losses(), b.losses());
  EXPECT_EQ(a.set_watch(2, 0).code, Code::RangeError);
  EXPECT_EQ(a.set_watch(0, 16).code, Code::RangeError);
  EXPECT_EQ(a.set_watch(0, -1).code, Code::RangeError);
  EXPECT_EQ(a.set_watch(-2, 0).code, Code::RangeError);
  ASSERT_TRUE(a.set_watch(-1, 0).is_ok());  // off
  ASSERT_TRUE(a.run(5).is_ok());
  EXPECT_TRUE(a.percentiles().empty());
}

TEST(Trainer, RejectsBadConfigurations) {
  Xor train(64, 1), test(8, 2);
  Trainer t;
  TrainerConfig c = trainer_cfg(0.1);
  c.batch_size = 1;
  EXPECT_EQ(t.init(mlp(true), c, train.view(), test.view()).code, Code::RangeError);
  c.batch_size = 128;
  EXPECT_EQ(t.init(mlp(true), c, train.view(), test.view()).code, Code::RangeError);
  c = trainer_cfg(0.1);
  c.watch_layer = 2;
  EXPECT_EQ(t.init(mlp(true), c, train.view(), test.view()).code, Code::RangeError);
  NetConfig m = mlp(true);
  m.sizes = {3, 4, 2};
  EXPECT_EQ(t.init(m, trainer_cfg(0.1), train.view(), test.view()).code, Code::RangeError);
}

}  // namespace
}  // namespace bn
