// The normalization family and the CNN layers on both engines (SIMD and scalar kernels):
// Conv2d, the pools, LayerNorm and GroupNorm against direct double-precision formulas on awkward
// sizes, input gradients against finite differences, the tie rule of MaxPool2d, the errors, and
// the trainer running CNNs. (The PyTorch comparisons are tests/js/cnn-fixtures.test.ts.)
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "base/rng.h"
#include "layer_checks.h"
#include "nn/batchnorm.h"
#include "nn/conv.h"
#include "nn/norm.h"
#include "nn/pool.h"
#include "train/trainer.h"

namespace bn {
namespace {

// |a - b| within float32 round-off of a sum whose terms have absolute sum `mag`.
void expect_round_off(double actual, double expected, double mag, const std::string& what) {
  EXPECT_NEAR(actual, expected, 4e-6 * mag + 1e-30) << what;
}

struct ConvCase {
  int n, c, o, h, w, k, s, p;
  bool bias;
};

// Direct convolution in double: out, and (for dy) dx, dW, db, each with the absolute sums of
// their terms for the tolerance.
TEST(Conv2d, MatchesTheDirectDefinitionOnAwkwardSizes) {
  const ConvCase cases[] = {
      {1, 1, 1, 1, 1, 1, 1, 0, true},  {2, 3, 4, 5, 7, 3, 1, 1, true}, {3, 1, 5, 17, 4, 2, 2, 0, false},
      {1, 4, 3, 6, 6, 5, 3, 2, true},  {2, 2, 1, 3, 3, 3, 1, 0, true}, {1, 1, 17, 1, 1, 3, 1, 1, true},
      {2, 5, 3, 9, 8, 3, 2, 1, false}, {1, 3, 64, 4, 5, 1, 1, 0, true},
  };
  for (const ConvCase& t : cases) {
    Rng rng(t.n * 100 + t.k);
    Conv2d conv;
    ASSERT_TRUE(conv.init(t.c, t.o, t.k, Conv2dOptions{t.s, t.p, t.bias}, rng).is_ok());
    const Shape s = shape_of({t.n, t.c, t.h, t.w});
    const auto x = randn(s.numel(), 5 + t.o);
    ASSERT_TRUE(conv.forward(x.data(), s).is_ok());
    const int oh = (t.h + 2 * t.p - t.k) / t.s + 1, ow = (t.w + 2 * t.p - t.k) / t.s + 1;
    ASSERT_EQ(conv.output_shape(), shape_of({t.n, t.o, oh, ow}));
    const auto dy = randn(conv.output().size(), 9 + t.c);
    ASSERT_TRUE(conv.backward(dy.data()).is_ok());
    const std::string name = "Conv2d(" + std::to_string(t.c) + ", " + std::to_string(t.o) + ", " + std::to_string(t.k) +
                             ", s=" + std::to_string(t.s) + ", p=" + std::to_string(t.p) + ") on " + s.str();
    auto X = [&](int n, int c, int i, int j) -> double {
      if (i < 0 || j < 0 || i >= t.h || j >= t.w) return 0.0;
      return x[((static_cast<size_t>(n) * t.c + c) * t.h + i) * t.w + j];
    };
    auto W = [&](int o, int c, int i, int j) -> double { return conv.weight()[((static_cast<size_t>(o) * t.c + c) * t.k + i) * t.k + j]; };
    std::vector<double> dx(x.size(), 0.0), dxm(x.size(), 0.0), dw(conv.weight().size(), 0.0), dwm(dw.size(), 0.0);
    std::vector<double> db(static_cast<size_t>(t.o), 0.0), dbm(db.size(), 0.0);
    for (int n = 0; n < t.n; ++n)
      for (int o = 0; o < t.o; ++o)
        for (int y = 0; y < oh; ++y)
          for (int z = 0; z < ow; ++z) {
            const size_t oi = ((static_cast<size_t>(n) * t.o + o) * oh + y) * ow + z;
            double ref = t.bias ? conv.bias()[static_cast<size_t>(o)] : 0.0, mag = std::fabs(ref);
            const double g = dy[oi];
            db[static_cast<size_t>(o)] += g;
            dbm[static_cast<size_t>(o)] += std::fabs(g);
            for (int c = 0; c < t.c; ++c)
              for (int i = 0; i < t.k; ++i)
                for (int j = 0; j < t.k; ++j) {
                  const int yi = y * t.s - t.p + i, zj = z * t.s - t.p + j;
                  const double term = W(o, c, i, j) * X(n, c, yi, zj);
                  ref += term;
                  mag += std::fabs(term);
                  const size_t wi = ((static_cast<size_t>(o) * t.c + c) * t.k + i) * t.k + j;
                  dw[wi] += g * X(n, c, yi, zj);
                  dwm[wi] += std::fabs(g * X(n, c, yi, zj));
                  if (yi >= 0 && zj >= 0 && yi < t.h && zj < t.w) {
                    const size_t xi = ((static_cast<size_t>(n) * t.c + c) * t.h + yi) * t.w + zj;
                    dx[xi] += g * W(o, c, i, j);
                    dxm[xi] += std::fabs(g * W(o, c, i, j));
                  }
                }
            expect_round_off(conv.output()[oi], ref, mag, name + " out[" + std::to_string(oi) + "]");
          }
    for (size_t i = 0; i < dx.size(); ++i) expect_round_off(conv.input_grad()[i], dx[i], dxm[i], name + " dx");
    for (size_t i = 0; i < dw.size(); ++i) expect_round_off(conv.weight_grad()[i], dw[i], dwm[i], name + " dW");
    if (t.bias)
      for (size_t i = 0; i < db.size(); ++i) expect_round_off(conv.bias_grad()[i], db[i], dbm[i], name + " db");
  }
}

TEST(Conv2d, GradientsAccumulateAndFiniteDifferencesAgree) {
  Rng rng(4);
  Conv2d conv;
  ASSERT_TRUE(conv.init(2, 3, 3, Conv2dOptions{2, 1, true}, rng).is_ok());
  check_input_grad(conv, randn(2 * 2 * 5 * 5, 1), shape_of({2, 2, 5, 5}), 2);
  conv.zero_grad();
  const auto x = randn(2 * 2 * 5 * 5, 3);
  ASSERT_TRUE(conv.forward(x.data(), shape_of({2, 2, 5, 5})).is_ok());
  const auto dy = randn(conv.output().size(), 4);
  ASSERT_TRUE(conv.backward(dy.data()).is_ok());
  const std::vector<float> once(conv.weight_grad().data(), conv.weight_grad().data() + conv.weight_grad().size());
  ASSERT_TRUE(conv.backward(dy.data()).is_ok());
  for (size_t i = 0; i < once.size(); ++i) EXPECT_FLOAT_EQ(conv.weight_grad()[i], 2 * once[i]);
}

TEST(Conv2d, RefusesBadShapesAndSizes) {
  Rng rng(1);
  Conv2d conv;
  EXPECT_EQ(conv.init(0, 1, 1, {}, rng).code, Code::RangeError);
  EXPECT_EQ(conv.init(1, 1, 3, Conv2dOptions{0, 0, true}, rng).code, Code::RangeError);
  EXPECT_EQ(conv.init(1, 1, 3, Conv2dOptions{1, -1, true}, rng).code, Code::RangeError);
  ASSERT_TRUE(conv.init(2, 4, 5, Conv2dOptions{1, 1, true}, rng).is_ok());
  std::vector<float> x(2 * 2 * 2 * 2, 1.0f);
  const Status small = conv.forward(x.data(), shape_of({2, 2, 2, 2}));  // padded 4×4 < 5×5
  EXPECT_EQ(small.code, Code::RangeError);
  EXPECT_NE(small.message.find("larger than the padded input"), std::string::npos) << small.message;
  EXPECT_EQ(conv.forward(x.data(), shape_of({2, 4, 2})).code, Code::RangeError);   // wrong channels
  EXPECT_EQ(conv.forward(x.data(), shape_of({16})).code, Code::RangeError);        // wrong rank
  EXPECT_EQ(conv.backward(x.data()).code, Code::StateError);                         // no forward yet
}

TEST(MaxPool2d, RoutesTiesToTheFirstMaximumInRowMajorOrder) {
  Pool2d pool;
  ASSERT_TRUE(pool.init(Pool2d::Kind::Max, 2, 1).is_ok());  // overlapping windows
  // 3×3 plane, all equal: every window's first element wins; overlaps add up.
  const std::vector<float> x(9, 2.0f);
  ASSERT_TRUE(pool.forward(x.data(), shape_of({1, 1, 3, 3})).is_ok());
  ASSERT_EQ(pool.output_shape(), shape_of({1, 1, 2, 2}));
  const std::vector<float> dy = {1, 10, 100, 1000};
  ASSERT_TRUE(pool.backward(dy.data()).is_ok());
  const float want[9] = {1, 10, 0, 100, 1000, 0, 0, 0, 0};
  for (int i = 0; i < 9; ++i) EXPECT_EQ(pool.input_grad()[static_cast<size_t>(i)], want[i]) << i;
  // A tie inside one window: [[1, 3], [3, 2]] sends the gradient to the first 3.
  Pool2d p2;
  ASSERT_TRUE(p2.init(Pool2d::Kind::Max, 2, 2).is_ok());
  const std::vector<float> t = {1, 3, 3, 2, 9, 9};  // 3×2 plane: one window, the last row dropped
  ASSERT_TRUE(p2.forward(t.data(), shape_of({1, 3, 2})).is_ok());
  ASSERT_EQ(p2.output_shape(), shape_of({1, 1, 1}));
  EXPECT_EQ(p2.output()[0], 3.0f);
  const float g = 5;
  ASSERT_TRUE(p2.backward(&g).is_ok());
  const float want2[6] = {0, 5, 0, 0, 0, 0};
  for (int i = 0; i < 6; ++i) EXPECT_EQ(p2.input_grad()[static_cast<size_t>(i)], want2[i]) << i;
}

TEST(Pool2d, MatchDirectFormulasOnAwkwardSizes) {
  const int sizes[][4] = {{1, 1, 1, 1}, {2, 3, 5, 7}, {1, 4, 17, 3}, {3, 2, 4, 4}, {1, 1, 64, 5}};
  for (const auto& d : sizes)
    for (int k : {1, 2, 3})
      for (int s : {1, 2, 3})
        for (Pool2d::Kind kind : {Pool2d::Kind::Max, Pool2d::Kind::Avg}) {
          if (d[2] < k || d[3] < k) continue;
          Pool2d pool;
          ASSERT_TRUE(pool.init(kind, k, s).is_ok());
          const Shape sh = shape_of({d[0], d[1], d[2], d[3]});
          const auto x = randn(sh.numel(), static_cast<uint64_t>(k * 10 + s));
          ASSERT_TRUE(pool.forward(x.data(), sh).is_ok());
          const int oh = (d[2] - k) / s + 1, ow = (d[3] - k) / s + 1;
          ASSERT_EQ(pool.output_shape(), shape_of({d[0], d[1], oh, ow}));
          const auto dy = randn(pool.output().size(), 3);
          ASSERT_TRUE(pool.backward(dy.data()).is_ok());
          std::vector<double> dx(x.size(), 0.0);
          for (int pl = 0; pl < d[0] * d[1]; ++pl)
            for (int y = 0; y < oh; ++y)
              for (int z = 0; z < ow; ++z) {
                const size_t oi = (static_cast<size_t>(pl) * oh + y) * ow + z;
                double best = -INFINITY, sum = 0;
                size_t arg = 0;
                for (int i = 0; i < k; ++i)
                  for (int j = 0; j < k; ++j) {
                    const size_t xi = (static_cast<size_t>(pl) * d[2] + y * s + i) * d[3] + z * s + j;
                    sum += x[xi];
                    if (x[xi] > best) best = x[xi], arg = xi;
                  }
                if (kind == Pool2d::Kind::Max) {
                  EXPECT_EQ(pool.output()[oi], static_cast<float>(best));
                  dx[arg] += dy[oi];
                } else {
                  EXPECT_NEAR(pool.output()[oi], sum / (k * k), 1e-6);
                  for (int i = 0; i < k; ++i)
                    for (int j = 0; j < k; ++j)
                      dx[(static_cast<size_t>(pl) * d[2] + y * s + i) * d[3] + z * s + j] += static_cast<double>(dy[oi]) / (k * k);
                }
              }
          for (size_t i = 0; i < dx.size(); ++i) EXPECT_NEAR(pool.input_grad()[i], dx[i], 1e-5) << pool.kind() << " " << sh.str();
        }
}

TEST(Pool2d, RefusesWindowsLargerThanThePlane) {
  Pool2d pool;
  EXPECT_EQ(pool.init(Pool2d::Kind::Max, 0, 1).code, Code::RangeError);
  EXPECT_EQ(pool.init(Pool2d::Kind::Avg, 2, 0).code, Code::RangeError);
  ASSERT_TRUE(pool.init(Pool2d::Kind::Max, 3, 3).is_ok());
  const std::vector<float> x(8, 1.0f);
  EXPECT_EQ(pool.forward(x.data(), shape_of({1, 2, 2, 2})).code, Code::RangeError);
  EXPECT_EQ(pool.forward(x.data(), shape_of({8})).code, Code::RangeError);
}

TEST(Flatten, KeepsTheBatchAndCopiesBothWays) {
  Flatten f;
  const auto x = randn(2 * 3 * 2 * 2, 1);
  ASSERT_TRUE(f.forward(x.data(), shape_of({2, 3, 2, 2})).is_ok());
  EXPECT_EQ(f.output_shape(), shape_of({2, 12}));
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(f.output()[i], x[i]);
  ASSERT_TRUE(f.backward(x.data()).is_ok());
  for (size_t i = 0; i < x.size(); ++i) EXPECT_EQ(f.input_grad()[i], x[i]);
  EXPECT_EQ(f.forward(x.data(), shape_of({24})).code, Code::RangeError);
}

// Row statistics in double: the biased variance of `m` values from `first`, stepping `stride`.
void row_reference(const std::vector<float>& x, size_t first, size_t m, double* mean, double* var) {
  double s = 0;
  for (size_t i = 0; i < m; ++i) s += x[first + i];
  *mean = s / static_cast<double>(m);
  double q = 0;
  for (size_t i = 0; i < m; ++i) q += (x[first + i] - *mean) * (x[first + i] - *mean);
  *var = q / static_cast<double>(m);
}

TEST(LayerNorm, NormalisesEachRowWithItsOwnStatisticsInTrainAndEval) {
  for (int m : {1, 3, 4, 5, 17, 64, 1000})
    for (double offset : {0.0, 1e3}) {
      LayerNorm ln;
      ASSERT_TRUE(ln.init(shape_of({m}), LayerNormOptions{}).is_ok());
      for (int i = 0; i < m; ++i) {
        ln.weight()[static_cast<size_t>(i)] = 0.5f + 0.01f * static_cast<float>(i % 7);
        ln.bias()[static_cast<size_t>(i)] = -0.25f * static_cast<float>(i % 3);
      }
      const int rows = 3;
      const auto x = randn(static_cast<size_t>(rows * m), static_cast<uint64_t>(m), 2.0, offset);
      for (bool training : {true, false}) {
        ln.set_training(training);
        ASSERT_TRUE(ln.forward(x.data(), shape_of({rows, m})).is_ok());
        for (int r = 0; r < rows; ++r) {
          double mean, var;
          row_reference(x, static_cast<size_t>(r * m), static_cast<size_t>(m), &mean, &var);
          const double is = 1.0 / std::sqrt(var + 1e-5);
          for (int i = 0; i < m; ++i) {
            const size_t k = static_cast<size_t>(r * m + i);
            const double want = (x[k] - mean) * is * ln.weight()[static_cast<size_t>(i)] + ln.bias()[static_cast<size_t>(i)];
            // The offset costs float32 its low bits of x itself: round-off relative to |x|·invstd.
            EXPECT_NEAR(ln.output()[k], want, 1e-5 * (1 + std::fabs(x[k]) * is)) << "m=" << m << " offset=" << offset;
          }
        }
      }
    }
}

TEST(LayerNorm, AndGroupNormGradientsMatchFiniteDifferences) {
  LayerNorm ln;
  ASSERT_TRUE(ln.init(shape_of({3, 2}), LayerNormOptions{}).is_ok());
  for (size_t i = 0; i < 6; ++i) ln.weight()[i] = 0.7f + 0.1f * static_cast<float>(i), ln.bias()[i] = 0.1f * static_cast<float>(i);
  check_input_grad(ln, randn(4 * 3 * 2, 1), shape_of({4, 3, 2}), 2);
  LayerNorm plain;
  ASSERT_TRUE(plain.init(shape_of({5}), LayerNormOptions{1e-3, false}).is_ok());
  check_input_grad(plain, randn(3 * 5, 3), shape_of({3, 5}), 4);
  GroupNorm gn;
  ASSERT_TRUE(gn.init(2, 6, GroupNormOptions{}).is_ok());
  for (size_t i = 0; i < 6; ++i) gn.weight()[i] = 1.5f - 0.2f * static_cast<float>(i), gn.bias()[i] = 0.3f;
  check_input_grad(gn, randn(2 * 6 * 3 * 1, 5), shape_of({2, 6, 3, 1}), 6);
  GroupNorm inst;
  ASSERT_TRUE(inst.init(3, 3, GroupNormOptions{1e-5, false}).is_ok());
  check_input_grad(inst, randn(2 * 3 * 5, 7), shape_of({2, 3, 5}), 8);
}

TEST(GroupNorm, MatchesItsDefinitionAndAccumulatesParameterGradients) {
  const int N = 2, C = 6, G = 3, S = 5;
  GroupNorm gn;
  ASSERT_TRUE(gn.init(G, C, GroupNormOptions{}).is_ok());
  const auto x = randn(static_cast<size_t>(N * C * S), 11, 1.0, 1e3);
  ASSERT_TRUE(gn.forward(x.data(), shape_of({N, C, S})).is_ok());
  const auto dy = randn(x.size(), 12);
  ASSERT_TRUE(gn.backward(dy.data()).is_ok());
  ASSERT_TRUE(gn.backward(dy.data()).is_ok());
  const size_t m = static_cast<size_t>(C / G * S);
  std::vector<double> dg(C, 0.0), dbeta(C, 0.0);
  for (int n = 0; n < N; ++n)
    for (int g = 0; g < G; ++g) {
      double mean, var;
      const size_t first = (static_cast<size_t>(n) * G + g) * m;
      row_reference(x, first, m, &mean, &var);
      const double is = 1.0 / std::sqrt(var + 1e-5);
      for (size_t i = 0; i < m; ++i) {
        const size_t k = first + i;
        const int c = g * (C / G) + static_cast<int>(i) / S;
        const double xh = (x[k] - mean) * is;
        EXPECT_NEAR(gn.output()[k], xh, 1e-5 * (1 + std::fabs(x[k]) * is));
        dg[static_cast<size_t>(c)] += 2 * dy[k] * xh;
        dbeta[static_cast<size_t>(c)] += 2 * dy[k];
      }
    }
  for (int c = 0; c < C; ++c) {
    EXPECT_NEAR(gn.weight_grad()[static_cast<size_t>(c)], dg[static_cast<size_t>(c)], 1e-3);
    EXPECT_NEAR(gn.bias_grad()[static_cast<size_t>(c)], dbeta[static_cast<size_t>(c)], 1e-4);
  }
  GroupNorm bad;
  EXPECT_EQ(bad.init(4, 6, {}).code, Code::RangeError);
  EXPECT_EQ(bad.init(0, 6, {}).code, Code::RangeError);
  EXPECT_EQ(bad.init(1, 6, GroupNormOptions{0.0, true}).code, Code::RangeError);
  EXPECT_EQ(gn.forward(x.data(), shape_of({N * C * S})).code, Code::RangeError);
  EXPECT_EQ(gn.forward(x.data(), shape_of({N, S, C})).code, Code::RangeError);
  LayerNorm ln;
  ASSERT_TRUE(ln.init(shape_of({2, 3}), {}).is_ok());
  EXPECT_EQ(ln.forward(x.data(), shape_of({10, 3, 2})).code, Code::RangeError);
  EXPECT_EQ(ln.forward(x.data(), shape_of({3})).code, Code::RangeError);
}

// 8×8 "images" of two classes: a bright top half or a bright bottom half, with noise.
struct Stripes {
  std::vector<float> x;
  std::vector<int32_t> y;
  explicit Stripes(int n, uint64_t seed) {
    Rng r(seed);
    for (int i = 0; i < n; ++i) {
      const int label = i % 2;
      for (int p = 0; p < 64; ++p) x.push_back(static_cast<float>(((p < 32) == (label == 0) ? 1.0 : 0.0) + 0.3 * r.normal()));
      y.push_back(label);
    }
  }
  DataView view() const { return {x.data(), y.data(), static_cast<int>(y.size()), 64, 2}; }
};

NetConfig cnn(NormKind norm) {
  NetConfig c;
  c.sizes = {64, 2};
  c.conv_channels = {4, 8};
  c.image_channels = 1;
  c.image_height = c.image_width = 8;
  c.norms = {norm};
  c.seed = 3;
  return c;
}

TEST(Trainer, TrainsCnnsWithEveryNormalization) {
  Stripes train(128, 1), test(64, 2);
  for (NormKind norm : {NormKind::None, NormKind::Batch, NormKind::Layer, NormKind::Group}) {
    TrainerConfig cfg;
    cfg.batch_size = 16;
    cfg.sgd.lr = 0.05;
    cfg.eval_every = 10;
    cfg.watch_layer = 1;
    cfg.watch_unit = 7;
    Trainer t;
    ASSERT_TRUE(t.init(cnn(norm), cfg, train.view(), test.view()).is_ok());
    EXPECT_EQ(t.hidden_layers(), 2);
    EXPECT_EQ(t.weight_layers(), 3);
    EXPECT_EQ(t.linear_layers(), 1);
    ASSERT_TRUE(t.run(40).is_ok());
    ASSERT_FALSE(t.diverged());
    EXPECT_EQ(t.grad_norms().size(), 40u * 3);
    EXPECT_EQ(t.percentiles().size(), 40u * 3);
    for (size_t i = 0; i + 2 < t.percentiles().size(); i += 3) {
      EXPECT_LE(t.percentiles()[i], t.percentiles()[i + 1]);
      EXPECT_LE(t.percentiles()[i + 1], t.percentiles()[i + 2]);
    }
    double loss = 0, acc = 0;
    ASSERT_TRUE(t.evaluate(test.view(), 0, &loss, &acc).is_ok());
    EXPECT_GE(acc, 0.95) << "norm " << static_cast<int>(norm);
    std::vector<float> hist(2 * 10);
    ASSERT_TRUE(t.histograms(hist.data(), 10, -4, 4).is_ok());
    double counted = 0;
    for (int b = 0; b < 10; ++b) counted += hist[static_cast<size_t>(b)];
    EXPECT_EQ(counted, 16.0 * 4 * 8 * 8);  // every value of block 0's activation input, last batch
  }
}

TEST(Trainer, RefusesCnnConfigurationsThatDoNotFit) {
  Stripes train(32, 1);
  TrainerConfig cfg;
  cfg.batch_size = 8;
  Trainer t;
  NetConfig c = cnn(NormKind::Group);
  c.groups = 3;  // does not divide 4 channels
  EXPECT_EQ(t.init(c, cfg, train.view(), {}).code, Code::RangeError);
  c = cnn(NormKind::Batch);
  c.image_height = 4;  // 1·4·8 != 64
  EXPECT_EQ(t.init(c, cfg, train.view(), {}).code, Code::RangeError);
  c = cnn(NormKind::Batch);
  c.kernel_size = 2;
  EXPECT_EQ(t.init(c, cfg, train.view(), {}).code, Code::RangeError);
  c = cnn(NormKind::Batch);
  c.norms = {NormKind::Batch, NormKind::Group, NormKind::None};  // 2 blocks
  EXPECT_EQ(t.init(c, cfg, train.view(), {}).code, Code::RangeError);
  c.norms = {NormKind::Batch, NormKind::Group};
  EXPECT_TRUE(t.init(c, cfg, train.view(), {}).is_ok());
}

}  // namespace
}  // namespace bn
