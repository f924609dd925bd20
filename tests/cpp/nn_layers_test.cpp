// Layer tests, run on both engines (SIMD and scalar kernels): gradients against central finite
// differences in double, BatchNorm's statistics and running buffers against direct formulas,
// PyTorch's state keys, and the errors a caller gets instead of a crash.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <vector>

#include "nn/activation.h"
#include "nn/batchnorm.h"
#include "nn/linear.h"
#include "nn/loss.h"
#include "base/rng.h"
#include "nn/sequential.h"
#include "nn/sgd.h"
#include "nn/standardize.h"
#include "layer_checks.h"

namespace bn {
namespace {

TEST(Linear, ForwardMatchesDefinitionAndInitBounds) {
  Rng rng(7);
  Linear l;
  ASSERT_TRUE(l.init(5, 3, true, rng).is_ok());
  const double bound = 1.0 / std::sqrt(5.0);
  for (size_t i = 0; i < l.weight().size(); ++i) EXPECT_LE(std::fabs(l.weight()[i]), bound);
  for (size_t i = 0; i < l.bias().size(); ++i) EXPECT_LE(std::fabs(l.bias()[i]), bound);
  const auto x = randn(4 * 5, 1);
  ASSERT_TRUE(l.forward(x.data(), shape_of({4, 5})).is_ok());
  EXPECT_EQ(l.output_shape(), shape_of({4, 3}));
  for (int n = 0; n < 4; ++n)
    for (int o = 0; o < 3; ++o) {
      double ref = l.bias()[static_cast<size_t>(o)];
      for (int i = 0; i < 5; ++i) ref += static_cast<double>(x[static_cast<size_t>(n * 5 + i)]) * l.weight()[static_cast<size_t>(o * 5 + i)];
      EXPECT_NEAR(l.output()[static_cast<size_t>(n * 3 + o)], ref, 1e-5);
    }
}

TEST(Linear, SameSeedSameWeights) {
  Rng a(42), b(42);
  Linear l1, l2;
  ASSERT_TRUE(l1.init(17, 4, true, a).is_ok());
  ASSERT_TRUE(l2.init(17, 4, true, b).is_ok());
  for (size_t i = 0; i < l1.weight().size(); ++i) EXPECT_EQ(l1.weight()[i], l2.weight()[i]);
}

TEST(Linear, GradientsMatchFiniteDifferencesAndAccumulate) {
  Rng rng(3);
  Linear l;
  ASSERT_TRUE(l.init(4, 3, true, rng).is_ok());
  check_input_grad(l, randn(5 * 4, 11), shape_of({5, 4}), 12);
  // Parameter gradients: dW = dyᵀ·x, db = Σ dy; a second backward adds the same again.
  l.zero_grad();
  const auto x = randn(5 * 4, 13);
  const auto dy = randn(5 * 3, 14);
  ASSERT_TRUE(l.forward(x.data(), shape_of({5, 4})).is_ok());
  ASSERT_TRUE(l.backward(dy.data()).is_ok());
  ASSERT_TRUE(l.backward(dy.data()).is_ok());
  for (int o = 0; o < 3; ++o) {
    double db = 0;
    for (int n = 0; n < 5; ++n) db += dy[static_cast<size_t>(n * 3 + o)];
    EXPECT_NEAR(l.bias_grad()[static_cast<size_t>(o)], 2 * db, 1e-5);
    for (int i = 0; i < 4; ++i) {
      double dw = 0;
      for (int n = 0; n < 5; ++n) dw += static_cast<double>(dy[static_cast<size_t>(n * 3 + o)]) * x[static_cast<size_t>(n * 4 + i)];
      EXPECT_NEAR(l.weight_grad()[static_cast<size_t>(o * 4 + i)], 2 * dw, 1e-5);
    }
  }
}

TEST(Linear, Rank3InputFlattensLeadingDims) {
  Rng rng(5);
  Linear l;
  ASSERT_TRUE(l.init(3, 2, false, rng).is_ok());
  const auto x = randn(2 * 4 * 3, 6);
  ASSERT_TRUE(l.forward(x.data(), shape_of({2, 4, 3})).is_ok());
  EXPECT_EQ(l.output_shape(), shape_of({2, 4, 2}));
}

TEST(Linear, RejectsWrongShapesWithRangeError) {
  Rng rng(1);
  Linear l;
  EXPECT_EQ(l.init(0, 3, true, rng).code, Code::RangeError);
  ASSERT_TRUE(l.init(4, 3, true, rng).is_ok());
  const std::vector<float> x(12);
  const Status s = l.forward(x.data(), shape_of({4, 3}));
  EXPECT_EQ(s.code, Code::RangeError);
  EXPECT_NE(s.message.find("shape"), std::string::npos);
  EXPECT_EQ(l.forward(x.data(), shape_of({12})).code, Code::RangeError);
  // rows × OUT = 2^32 would wrap to 0 in wasm32's size_t: must be refused, never written.
  Linear wide;
  ASSERT_TRUE(wide.init(1, 1 << 20, false, rng).is_ok());
  const std::vector<float> col(4096);
  EXPECT_EQ(wide.forward(col.data(), shape_of({4096, 1})).code, Code::RangeError);
  Shape wraps = shape_of({65536, 65536});
  EXPECT_EQ(validate_shape(wraps, "shape").code, Code::RangeError);
  Linear fresh;
  ASSERT_TRUE(fresh.init(2, 2, true, rng).is_ok());
  EXPECT_EQ(fresh.backward(x.data()).code, Code::StateError);
}

BatchNormOptions bn_opts(double momentum = 0.1, bool cumulative = false, bool affine = true, bool track = true) {
  BatchNormOptions o;
  o.momentum = momentum;
  o.cumulative = cumulative;
  o.affine = affine;
  o.track_running_stats = track;
  return o;
}

TEST(BatchNorm, TrainingForwardNormalisesEachFeature) {
  BatchNorm b;
  ASSERT_TRUE(b.init(3, 1, bn_opts()).is_ok());
  const auto x = randn(8 * 3, 21, 3.0, 2.0);
  ASSERT_TRUE(b.forward(x.data(), shape_of({8, 3})).is_ok());
  for (int c = 0; c < 3; ++c) {
    double mean = 0, var = 0;
    for (int n = 0; n < 8; ++n) mean += x[static_cast<size_t>(n * 3 + c)];
    mean /= 8;
    for (int n = 0; n < 8; ++n) var += std::pow(x[static_cast<size_t>(n * 3 + c)] - mean, 2);
    var /= 8;
    for (int n = 0; n < 8; ++n)
      EXPECT_NEAR(b.output()[static_cast<size_t>(n * 3 + c)], (x[static_cast<size_t>(n * 3 + c)] - mean) / std::sqrt(var + 1e-5), 2e-6);
    // running stats: 0.9 * 0 + 0.1 * mean, 0.9 * 1 + 0.1 * unbiased var
    EXPECT_NEAR(b.running_mean()[static_cast<size_t>(c)], 0.1 * mean, 1e-6);
    EXPECT_NEAR(b.running_var()[static_cast<size_t>(c)], 0.9 + 0.1 * var * 8 / 7, 1e-6);
    EXPECT_NEAR(b.last_batch_var()[static_cast<size_t>(c)], var, 1e-5 * var);
  }
  EXPECT_EQ(b.num_batches_tracked(), 1);
}

TEST(BatchNorm, LargeOffsetNormalisesAsWellAsZeroCentred) {
  // 10000 ± 1: float32 spacing at 1e4 is ~1e-3, so the input itself carries ~5e-4 relative
  // noise on the deviations; E[x²]-E[x]² would lose everything (1e8 - 1e8). Compare with the
  // same deviations centred at zero, normalised from the float inputs actually given.
  BatchNorm b;
  ASSERT_TRUE(b.init(1, 1, bn_opts()).is_ok());
  const auto base = randn(64, 31);
  std::vector<float> x(64);
  for (size_t i = 0; i < 64; ++i) x[i] = 10000.0f + base[i];
  ASSERT_TRUE(b.forward(x.data(), shape_of({64, 1})).is_ok());
  double mean = 0, var = 0;
  for (float v : x) mean += v;
  mean /= 64;
  for (float v : x) var += (v - mean) * (v - mean);
  var /= 64;
  // The mean is stored as a float32 near 1e4 (as torch stores save_mean), so it carries up to half
  // an ulp of 1e4 (2^-11) of rounding, which shifts every normalised value by at most that over σ.
  // E[x²] - E[x]² would instead be off by ~1e8·2^-24 ≈ 6 in the variance: nothing would survive.
  const double mean_ulp = std::ldexp(1.0, -10);
  for (size_t i = 0; i < 64; ++i)
    EXPECT_NEAR(b.output()[i], (x[i] - mean) / std::sqrt(var + 1e-5), 0.5 * mean_ulp / std::sqrt(var) + 1e-5);
  EXPECT_NEAR(b.last_batch_var()[0], var, 1e-5 * var);
}

TEST(BatchNorm, ConstantFeatureGivesZeroNotNaN) {
  BatchNorm b;
  ASSERT_TRUE(b.init(2, 1, bn_opts()).is_ok());
  std::vector<float> x = {5, 1, 5, 2, 5, 3, 5, 4};
  ASSERT_TRUE(b.forward(x.data(), shape_of({4, 2})).is_ok());
  for (int n = 0; n < 4; ++n) EXPECT_EQ(b.output()[static_cast<size_t>(n * 2)], 0.0f);
  EXPECT_EQ(b.last_batch_var()[0], 0.0f);
}

// torch 1.13 (tests/fixtures/extremes.json): BatchNorm1d(1) on [3e38, -3e38, 3e38] gives the
// output [0, 0, 0], running_mean 1e37 and running_var +inf (the unbiased variance, 1.2e77, is
// beyond float32); eval mode then also gives 0. Its input gradient is NaN (0 * inf); the engine's
// is 0, the limit.
TEST(BatchNorm, VarianceBeyondFloatGivesTorchsZeroNotNaN) {
  BatchNorm b;
  ASSERT_TRUE(b.init(1, 1, bn_opts()).is_ok());
  std::vector<float> x = {3e38f, -3e38f, 3e38f};
  ASSERT_TRUE(b.forward(x.data(), shape_of({3, 1})).is_ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.output()[static_cast<size_t>(i)], 0.0f);
  EXPECT_FLOAT_EQ(b.running_mean()[0], 1e37f);
  EXPECT_EQ(b.running_var()[0], INFINITY);
  const std::vector<float> dy = {0, 1, 2};
  ASSERT_TRUE(b.backward(dy.data()).is_ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.input_grad()[static_cast<size_t>(i)], 0.0f);
  b.set_training(false);
  ASSERT_TRUE(b.forward(x.data(), shape_of({3, 1})).is_ok());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.output()[static_cast<size_t>(i)], 0.0f);
}

TEST(BatchNorm, GradientsMatchFiniteDifferencesInEveryMode) {
  for (int spatial : {1, 2}) {
    for (bool training : {true, false}) {
      for (bool affine : {true, false}) {
        BatchNorm b;
        ASSERT_TRUE(b.init(3, spatial, bn_opts(0.1, false, affine)).is_ok());
        if (affine) {
          b.weight()[0] = 1.5f; b.weight()[1] = -0.5f; b.weight()[2] = 2.0f;
          b.bias()[1] = 0.25f;
        }
        b.running_mean()[0] = 0.3f; b.running_var()[2] = 2.0f;
        b.set_training(training);
        const Shape s = spatial == 1 ? shape_of({4, 3, 2}) : shape_of({2, 3, 2, 2});
        SCOPED_TRACE(testing::Message() << "spatial " << spatial << " training " << training << " affine " << affine);
        check_input_grad(b, randn(s.numel(), 41), s, 42);
      }
    }
  }
}

TEST(BatchNorm, GammaBetaGradientsAreSums) {
  BatchNorm b;
  ASSERT_TRUE(b.init(2, 1, bn_opts()).is_ok());
  const auto x = randn(6 * 2, 51);
  const auto dy = randn(6 * 2, 52);
  ASSERT_TRUE(b.forward(x.data(), shape_of({6, 2})).is_ok());
  ASSERT_TRUE(b.backward(dy.data()).is_ok());
  for (int c = 0; c < 2; ++c) {
    double dg = 0, db = 0;
    for (int n = 0; n < 6; ++n) {
      dg += static_cast<double>(dy[static_cast<size_t>(n * 2 + c)]) * b.output()[static_cast<size_t>(n * 2 + c)];
      db += dy[static_cast<size_t>(n * 2 + c)];
    }
    EXPECT_NEAR(b.weight_grad()[static_cast<size_t>(c)], dg, 1e-5);
    EXPECT_NEAR(b.bias_grad()[static_cast<size_t>(c)], db, 1e-5);
  }
}

TEST(BatchNorm, CumulativeMomentumAveragesAllBatches) {
  BatchNorm b;
  ASSERT_TRUE(b.init(1, 1, bn_opts(0.1, true)).is_ok());
  double sum_mean = 0;
  for (int k = 0; k < 5; ++k) {
    const auto x = randn(4, 60 + static_cast<uint64_t>(k), 1.0, k);
    ASSERT_TRUE(b.forward(x.data(), shape_of({4, 1})).is_ok());
    sum_mean += b.last_batch_mean()[0];
  }
  EXPECT_NEAR(b.running_mean()[0], sum_mean / 5, 1e-5);
  EXPECT_EQ(b.num_batches_tracked(), 5);
}

TEST(BatchNorm, EvalUsesRunningStatsAndLeavesThem) {
  BatchNorm b;
  ASSERT_TRUE(b.init(1, 1, bn_opts()).is_ok());
  b.running_mean()[0] = 2.0f;
  b.running_var()[0] = 4.0f;
  b.set_training(false);
  const std::vector<float> x = {2, 4, 6};
  ASSERT_TRUE(b.forward(x.data(), shape_of({3, 1})).is_ok());
  EXPECT_NEAR(b.output()[1], 2.0 / std::sqrt(4.0 + 1e-5), 1e-6);
  EXPECT_EQ(b.running_mean()[0], 2.0f);
  EXPECT_EQ(b.num_batches_tracked(), 0);
  // A batch of one is fine in eval mode...
  ASSERT_TRUE(b.forward(x.data(), shape_of({1, 1})).is_ok());
  // ...and an error in training mode, with torch's message.
  b.set_training(true);
  const Status s = b.forward(x.data(), shape_of({1, 1}));
  EXPECT_EQ(s.code, Code::RangeError);
  EXPECT_NE(s.message.find("Expected more than 1 value per channel when training"), std::string::npos);
}

TEST(BatchNorm, NoRunningStatsUsesBatchStatsInEval) {
  BatchNorm b;
  ASSERT_TRUE(b.init(1, 2, bn_opts(0.1, false, true, false)).is_ok());
  b.set_training(false);
  const std::vector<float> x = {1, 2, 3, 4};
  ASSERT_TRUE(b.forward(x.data(), shape_of({1, 1, 2, 2})).is_ok());
  EXPECT_NEAR(b.output()[0], (1 - 2.5) / std::sqrt(1.25 + 1e-5), 1e-6);
  std::vector<StateEntry> st;
  b.state(st, "");
  EXPECT_EQ(st.size(), 2u);  // weight, bias: no buffers
  const std::vector<float> one = {1};
  EXPECT_EQ(b.forward(one.data(), shape_of({1, 1, 1, 1})).code, Code::RangeError);
}

TEST(BatchNorm, RejectsBadOptionsAndShapes) {
  BatchNorm b;
  BatchNormOptions o;
  o.eps = 0;
  EXPECT_EQ(b.init(3, 1, o).code, Code::RangeError);
  EXPECT_EQ(b.init(0, 1, BatchNormOptions{}).code, Code::RangeError);
  ASSERT_TRUE(b.init(3, 1, BatchNormOptions{}).is_ok());
  const std::vector<float> x(24);
  EXPECT_EQ(b.forward(x.data(), shape_of({2, 3, 2, 2})).code, Code::RangeError);
  EXPECT_EQ(b.forward(x.data(), shape_of({8, 4})).code, Code::RangeError);
  Shape huge = shape_of({1 << 14, 3, 1 << 14});
  EXPECT_EQ(b.forward(x.data(), huge).code, Code::RangeError);
}

TEST(Activations, GradientsMatchFiniteDifferences) {
  for (auto k : {ActivationKind::Sigmoid, ActivationKind::Tanh}) {
    Activation a(k);
    check_input_grad(a, randn(17, 71), shape_of({17}), 72);
  }
  // ReLU away from the kink (finite differences straddling 0 are meaningless).
  Activation relu(ActivationKind::ReLU);
  std::vector<float> x = randn(17, 73);
  for (auto& v : x) v = v >= 0 ? v + 0.1f : v - 0.1f;
  check_input_grad(relu, x, shape_of({17}), 74);
}

TEST(Sequential, StateKeysFollowPyTorch) {
  Rng rng(9);
  auto seq = std::make_shared<Sequential>();
  auto l0 = std::make_shared<Linear>();
  ASSERT_TRUE(l0->init(2, 4, true, rng).is_ok());
  auto b1 = std::make_shared<BatchNorm>();
  ASSERT_TRUE(b1->init(4, 1, BatchNormOptions{}).is_ok());
  auto l3 = std::make_shared<Linear>();
  ASSERT_TRUE(l3->init(4, 2, false, rng).is_ok());
  seq->add(l0);
  seq->add(b1);
  seq->add(std::make_shared<Activation>(ActivationKind::ReLU));
  seq->add(l3);
  std::vector<StateEntry> st;
  seq->state(st, "");
  std::vector<std::string> names;
  for (auto& e : st) names.push_back(e.name);
  EXPECT_EQ(names, (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                             "1.running_var", "1.num_batches_tracked", "3.weight"}));
  check_input_grad(*seq, randn(6 * 2, 81), shape_of({6, 2}), 82);
}

TEST(Sequential, ErrorNamesTheLayer) {
  Rng rng(9);
  Sequential seq;
  auto l0 = std::make_shared<Linear>();
  ASSERT_TRUE(l0->init(2, 4, true, rng).is_ok());
  auto l1 = std::make_shared<Linear>();
  ASSERT_TRUE(l1->init(3, 1, true, rng).is_ok());
  seq.add(l0);
  seq.add(l1);
  const std::vector<float> x(4);
  const Status s = seq.forward(x.data(), shape_of({2, 2}));
  EXPECT_EQ(s.code, Code::RangeError);
  EXPECT_NE(s.message.find("layer 1 (Linear)"), std::string::npos);
  EXPECT_EQ(seq.backward(x.data()).code, Code::StateError);
}

TEST(Losses, CrossEntropyMatchesDefinition) {
  const std::vector<float> logits = {1, 2, 3, 1000, 0, -1000};  // second row would overflow a naive exp
  const std::vector<int32_t> t = {2, 0};
  std::vector<float> grad(6);
  double loss = 0;
  ASSERT_TRUE(cross_entropy(&loss, grad.data(), logits.data(), t.data(), 2, 3).is_ok());
  const double row0 = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 3.0;
  // The exponentials and the log are float's, as in PyTorch. Row 0's loss is log Σ e^(z - 3), about
  // 0.41, plus 3 - z_t = 0 exactly: three exponentials (half an ulp each) and the log leave it within
  // 4 ulps of 0.5 (2.4e-7); row 1's is exactly 0 (e^-1000 and e^-2000 underflow in any precision).
  EXPECT_NEAR(loss, row0 / 2, 4 * 0.5 * std::numeric_limits<float>::epsilon() / 2);
  EXPECT_NEAR(grad[2], (std::exp(3.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(3.0)) - 1) / 2, 1e-7);
  const std::vector<int32_t> bad = {2, 3};
  const Status s = cross_entropy(&loss, grad.data(), logits.data(), bad.data(), 2, 3);
  EXPECT_EQ(s.code, Code::RangeError);
  EXPECT_NE(s.message.find("targets[1]"), std::string::npos);
}

TEST(Losses, MseMatchesDefinition) {
  const std::vector<float> p = {1, 2, 3}, t = {1, 0, 4};
  std::vector<float> g(3);
  double loss = 0;
  ASSERT_TRUE(mse_loss(&loss, g.data(), p.data(), t.data(), 3).is_ok());
  EXPECT_NEAR(loss, 5.0 / 3, 1e-12);
  EXPECT_NEAR(g[1], 4.0 / 3, 1e-7);
}

TEST(SGD, MomentumNesterovAndWeightDecayFollowTorch) {
  // One parameter, gradient set by hand each step; expected values from torch's rule in double.
  Rng rng(1);
  auto l = std::make_shared<Linear>();
  ASSERT_TRUE(l->init(1, 1, false, rng).is_ok());
  l->weight()[0] = 1.0f;
  SGD opt;
  SGDOptions o;
  o.lr = 0.1;
  o.momentum = 0.9;
  o.weight_decay = 0.01;
  o.nesterov = true;
  ASSERT_TRUE(opt.init(l, o).is_ok());
  // No backward yet: torch skips parameters whose grad is None.
  opt.step();
  EXPECT_EQ(l->weight()[0], 1.0f);
  const std::vector<float> x = {1}, dy = {0.5f};
  double p = 1, buf = 0;
  for (int k = 0; k < 3; ++k) {
    opt.zero_grad();
    ASSERT_TRUE(l->forward(x.data(), shape_of({1, 1})).is_ok());
    ASSERT_TRUE(l->backward(dy.data()).is_ok());  // grad = 0.5
    double d = 0.5 + 0.01 * p;
    buf = k == 0 ? d : 0.9 * buf + d;
    d = d + 0.9 * buf;
    p -= 0.1 * d;
    opt.step();
    EXPECT_NEAR(l->weight()[0], p, 1e-6) << "step " << k;
  }
  SGD bad;
  o.dampening = 0.5;
  EXPECT_EQ(bad.init(l, o).code, Code::RangeError);
}

TEST(Standardize, LessonRefresher) {
  const std::vector<float> x = {2, 4, 4, 4, 5, 5, 7, 9};
  std::vector<float> z(8);
  Standardized r;
  ASSERT_TRUE(standardize(&r, z.data(), x.data(), 8, 0, false).is_ok());
  EXPECT_EQ(r.mean, 5);
  EXPECT_EQ(r.variance, 4);
  EXPECT_EQ(r.stddev, 2);
  const std::vector<float> expect = {-1.5f, -0.5f, -0.5f, -0.5f, 0, 0, 1, 2};
  EXPECT_EQ(z, expect);
  const std::vector<float> c = {3, 3, 3};
  ASSERT_TRUE(standardize(&r, z.data(), c.data(), 3, 0, false).is_ok());
  EXPECT_EQ(z[0], 0.0f);
  EXPECT_EQ(standardize(&r, z.data(), c.data(), 1, 0, true).code, Code::RangeError);
}

// Statistics in double: torch's std for [1e20, -1e20] is 1e20 (its variance, 1e40, is beyond
// float32), and [3e38, -3e38, 3e38] has exact z = [1/√2, -√2, 1/√2] (torch: -inf in the middle,
// where its float32 x - mean overflows).
TEST(Standardize, FiniteAtTheEdgeOfFloat) {
  std::vector<float> z(3);
  Standardized r;
  const std::vector<float> a = {1e20f, -1e20f};
  ASSERT_TRUE(standardize(&r, z.data(), a.data(), 2, 0, false).is_ok());
  EXPECT_EQ(r.mean, 0);
  EXPECT_DOUBLE_EQ(r.stddev, static_cast<double>(1e20f));
  EXPECT_EQ(z[0], 1.0f);
  EXPECT_EQ(z[1], -1.0f);
  const std::vector<float> b = {3e38f, -3e38f, 3e38f};
  ASSERT_TRUE(standardize(&r, z.data(), b.data(), 3, 0, false).is_ok());
  EXPECT_FLOAT_EQ(z[0], static_cast<float>(1 / std::sqrt(2.0)));
  EXPECT_FLOAT_EQ(z[1], static_cast<float>(-std::sqrt(2.0)));
  EXPECT_TRUE(std::isfinite(r.variance));
}

}  // namespace
}  // namespace bn
