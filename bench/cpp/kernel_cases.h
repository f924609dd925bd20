// What the kernel benchmarks time, shared by the wasm harness (bench/wasm/kbench.cpp, driven from
// node) and the native one (bench/native/bench_native.cpp, Google Benchmark): the same shapes,
// the same buffers and the same kernels, walked through cpp/kernels/kernel_table.h (generated
// from the list in cpp/kernels/kernels.inc) so that a kernel added there is timed without touching
// this file. A kind is a signature of that list (its entries are the kernels with that signature,
// in list order) or one of the composite cases after them.
//
// A Case owns its buffers (seeded values, 64-byte aligned) and runs its work `reps` times per
// run() call; `work` is the flops (matrix products, MLP steps, ceiling) or the bytes (everything
// else) of one repetition. Parameter gradients accumulate over repetitions, as the kernels'
// contract says; the magnitudes stay far from overflow for any repetition count used here.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"
#include "nn/conv.h"
#include "nn/loss.h"
#include "nn/norm.h"
#if BN_HAVE_SIMD
#include "kernels/simd128.h"
#endif

namespace bnbench {

namespace k = bn::kernels;

// What to time. The meaning of `entry` and of the sizes a, b, c depends on the kind. The first
// kinds are the signatures of the list, in its order; entry e is the e-th kernel with that
// signature (k::kPairs<Fn>[e]):
//   kLinearForward, kLinearBackwardInput, kLinearBackwardParams: a, b, c = N, IN, OUT; flops
//   kBnStats, kBnForward, kBnBackward: N, C, S; bytes
//   kActivationForward, kActivationBackward: a = n; bytes
//   kSgdStep: a = n; plain SGD (momentum 0); bytes
enum Kind : int {
#define BN_KERNEL_SIGNATURE(Name, params) k##Name,
#include "kernels/kernels.inc"
  kBnTrain,    // bn_stats + bn_forward + bn_backward, the training pass; entry 0; N, C, S; bytes
  kMlpStep,    // one training step from kernels alone; entry in kModels; flops
  kCeiling,    // 12 independent f32x4 mul+add chains (SIMD builds only); flops
  kConvTrain,  // a Conv2d layer's forward + backward (input and parameter gradients); entry in kConvShapes; flops
  kNormTrain,  // a LayerNorm or GroupNorm layer's forward + backward; entry in kNormShapes; bytes
  kKindCount
};
static_assert(kBnTrain == k::kSignatureCount, "the signature kinds come first");

// The kind's name: the signature's ("LinearForward"), or the composite case's.
inline const char* kind_name(int kind) {
  if (kind >= 0 && kind < k::kSignatureCount) return k::kSignatureNames[kind];
  switch (kind) {
    case kBnTrain: return "BnTrain";
    case kMlpStep: return "MlpStep";
    case kCeiling: return "Ceiling";
    case kConvTrain: return "ConvTrain";
    case kNormTrain: return "NormTrain";
    default: return "";
  }
}

enum Variant : int { kRef = 0, kSimd = 1 };

// The matrix-product shapes of the two models (the rows are the batch).
struct MatmulShape {
  const char* model;
  int n, in, out;
};
inline constexpr MatmulShape kMatmulShapes[] = {
    {"784-256-256-10", 64, 784, 256}, {"784-256-256-10", 64, 256, 256}, {"784-256-256-10", 64, 256, 10},
    {"2-16-16-2", 32, 2, 16},         {"2-16-16-2", 32, 16, 16},        {"2-16-16-2", 32, 16, 2},
};

// BatchNorm inputs (N, C, S): [64, 256] and [32, 16, 8, 8].
struct BnShape {
  const char* name;
  int n, c, s;
};
inline constexpr BnShape kBnShapes[] = {{"[64,256]", 64, 256, 1}, {"[32,16,8,8]", 32, 16, 64}};

// The two BN-MLPs the benchmarks time (the lab's default and a Fashion-MNIST-sized one): Linear → BatchNorm1d → ReLU per hidden layer, then Linear.
struct Model {
  const char* name;
  int sizes[4];
  int batch;
};
inline constexpr Model kModels[] = {{"2-16-16-2", {2, 16, 16, 2}, 32}, {"784-256-256-10", {784, 256, 256, 10}, 64}};

// The layer cases time the engine's layers (cpp/nn), which call kernels::active: the SIMD kernels
// in a SIMD build, the references in a scalar one. So they exist in one variant per build (kSimd
// in a SIMD build, kRef in a scalar one), and "SIMD against scalar" compares the two builds.
//
// The convolutions of the lesson's CNN (1→8→16 channels, 3×3, padding 1, 2×2 pooling between) on
// a batch of 64 Fashion-MNIST images, and of the same CNN on the 8×8 digits. As in a training
// step, the first layer computes no gradient for its input (the images): the trainer skips it.
struct ConvShape {
  const char* name;
  int n, in, out, h, w, k, pad;
  bool input_grad;
};
inline constexpr ConvShape kConvShapes[] = {
    {"[64,1,28,28]->8 (first layer, no input gradient)", 64, 1, 8, 28, 28, 3, 1, false},
    {"[64,8,14,14]->16", 64, 8, 16, 14, 14, 3, 1, true},
    {"[64,1,8,8]->8 (first layer, no input gradient)", 64, 1, 8, 8, 8, 3, 1, false},
    {"[64,8,4,4]->16", 64, 8, 16, 4, 4, 3, 1, true},
};

// LayerNorm and GroupNorm inputs: groups 0 is LayerNorm over the last `norm_rank` dims.
struct NormShape {
  const char* name;
  int n, c, h, w;
  int groups;     // GroupNorm(groups, c); 0: LayerNorm
  int norm_rank;  // LayerNorm's normalized_shape: the last norm_rank dims of the input
};
inline constexpr NormShape kNormShapes[] = {
    {"LayerNorm(256) on [64,256]", 64, 256, 0, 0, 0, 1},
    {"LayerNorm([8,28,28]) on [64,8,28,28]", 64, 8, 28, 28, 0, 3},
    {"GroupNorm(2,8) on [64,8,28,28]", 64, 8, 28, 28, 2, 0},
    {"GroupNorm(4,16) on [64,16,14,14]", 64, 16, 14, 14, 4, 0},
};

// Iterations of one ceiling repetition (each: 12 vectors × 4 lanes × (mul + add) = 96 flops).
inline constexpr int kCeilingIters = 1024;

inline constexpr double kBnEps = 1e-5;

// The catalogue: every kernel of every table at one size of the larger model (the middle Linear
// and BatchNorm layer of 784-256-256-10, its 64 x 256 activations, its 256 x 256 weight for SGD).
struct Sizes {
  int a, b, c;
};
inline Sizes catalogue_sizes(int kind) {
  switch (kind) {
    case kLinearForward:
    case kLinearBackwardInput:
    case kLinearBackwardParams: return {64, 256, 256};
    case kBnStats:
    case kBnForward:
    case kBnBackward:
    case kBnTrain: return {64, 256, 1};
    case kActivationForward:
    case kActivationBackward: return {64 * 256, 0, 0};
    case kSgdStep: return {256 * 256, 0, 0};
    default: return {0, 0, 0};
  }
}

// Calls f(SignatureTag<Fn>{}) for a signature kind, and returns `otherwise` for the others.
template <class F, class R>
R with_kind(int kind, R otherwise, F&& f) {
  if (kind < 0 || kind >= k::kSignatureCount) return otherwise;
  return k::with_signature(static_cast<k::Signature>(kind), [&](auto tag) -> R { return f(tag); });
}

inline int entry_count(int kind) {
  switch (kind) {
    case kMlpStep: return static_cast<int>(std::size(kModels));
    case kConvTrain: return static_cast<int>(std::size(kConvShapes));
    case kNormTrain: return static_cast<int>(std::size(kNormShapes));
    case kBnTrain:
    case kCeiling: return 1;
    default:
      return with_kind(kind, 0, [](auto tag) {
        return static_cast<int>(k::kPairs<typename decltype(tag)::type>.size());
      });
  }
}

inline const char* entry_name(int kind, int e) {
  if (e < 0 || e >= entry_count(kind)) return "";
  switch (kind) {
    case kMlpStep: return kModels[e].name;
    case kConvTrain: return kConvShapes[e].name;
    case kNormTrain: return kNormShapes[e].name;
    case kBnTrain: return "bn_stats+bn_forward+bn_backward";
    case kCeiling: return "mul+add ceiling";
    default:
      return with_kind(kind, "", [e](auto tag) {
        return k::kPairs<typename decltype(tag)::type>[static_cast<size_t>(e)].name;
      });
  }
}

template <class Fn>
Fn* pick(const k::KernelPair<Fn>& p, int variant) { return variant == kSimd ? p.simd : p.ref; }

// The kernel `op` in the given variant (the composite cases name the kernels they chain).
template <class Fn>
Fn* kernel(k::Op op, int variant) {
  const k::KernelPair<Fn>* p = k::find_pair<Fn>(op);
  return p ? pick(*p, variant) : nullptr;
}

// Seeded, aligned float buffers, freed with their owner.
class Buffers {
 public:
  Buffers() = default;
  Buffers(const Buffers&) = delete;
  Buffers& operator=(const Buffers&) = delete;
  ~Buffers() {
    for (float* p : owned_) std::free(p);
  }
  // Where the buffers start: 64-byte aligned by default; misalign(8) starts them 8 bytes past
  // such a boundary, as Emscripten 3.1.6's malloc (8-byte alignment) places half of its blocks.
  static int& offset_bytes() {
    static int offset = 0;
    return offset;
  }
  // n values uniform in [lo, hi) from a fixed-seed generator.
  float* make(size_t n, float lo = -1.0f, float hi = 1.0f) {
    const size_t bytes = ((n * sizeof(float) + 64 + 63) / 64) * 64;
    auto* base = static_cast<float*>(std::aligned_alloc(64, bytes));
    if (!base) std::abort();  // benchmark sizes are small; running out is a bug here
    owned_.push_back(base);
    float* p = base + offset_bytes() / static_cast<int>(sizeof(float));
    for (size_t i = 0; i < n; ++i) {
      state_ = state_ * 6364136223846793005ull + 1442695040888963407ull;
      p[i] = lo + (hi - lo) * static_cast<float>(state_ >> 40) * 0x1.0p-24f;
    }
    return p;
  }
  float* zeros(size_t n) {
    float* p = make(n);
    std::memset(p, 0, n * sizeof(float));
    return p;
  }

 private:
  std::vector<float*> owned_;
  uint64_t state_ = 0x853c49e6748fea9bull;
};

class Case {
 public:
  virtual ~Case() = default;
  virtual void run(int reps) = 0;
  double work = 0;  // flops or bytes per repetition
 protected:
  Buffers buf_;
};

inline size_t sz(int a) { return static_cast<size_t>(a); }
inline size_t sz(int a, int b) { return static_cast<size_t>(a) * static_cast<size_t>(b); }
inline size_t sz(int a, int b, int c) { return sz(a, b) * static_cast<size_t>(c); }
inline double dbl(size_t n) { return static_cast<double>(n); }

// invstd = 1/√(var + eps) in double, stored as float, as BatchNorm::forward does.
inline void invstd_of(float* invstd, const float* var, int C) {
  for (int c = 0; c < C; ++c) invstd[c] = static_cast<float>(1.0 / std::sqrt(static_cast<double>(var[c]) + kBnEps));
}

// ---- Linear ------------------------------------------------------------------------------------

class LinearForward final : public Case {
 public:
  LinearForward(k::LinearForwardFn* f, int n, int in, int out) : f_(f), n_(n), in_(in), out_(out) {
    o_ = buf_.make(sz(n, out));
    x_ = buf_.make(sz(n, in));
    w_ = buf_.make(sz(out, in), -0.1f, 0.1f);
    b_ = buf_.make(sz(out));
    work = 2.0 * n * in * out;
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(o_, x_, w_, b_, n_, in_, out_);
  }

 private:
  k::LinearForwardFn* f_;
  int n_, in_, out_;
  float *o_, *x_, *w_, *b_;
};

class LinearBackwardInput final : public Case {
 public:
  LinearBackwardInput(k::LinearBackwardInputFn* f, int n, int in, int out) : f_(f), n_(n), in_(in), out_(out) {
    dx_ = buf_.make(sz(n, in));
    dy_ = buf_.make(sz(n, out));
    w_ = buf_.make(sz(out, in), -0.1f, 0.1f);
    work = 2.0 * n * in * out;
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(dx_, dy_, w_, n_, in_, out_);
  }

 private:
  k::LinearBackwardInputFn* f_;
  int n_, in_, out_;
  float *dx_, *dy_, *w_;
};

class LinearBackwardParams final : public Case {
 public:
  LinearBackwardParams(k::LinearBackwardParamsFn* f, int n, int in, int out) : f_(f), n_(n), in_(in), out_(out) {
    dw_ = buf_.zeros(sz(out, in));
    db_ = buf_.zeros(sz(out));
    dy_ = buf_.make(sz(n, out), -0.01f, 0.01f);
    x_ = buf_.make(sz(n, in));
    work = 2.0 * n * in * out;  // the bias sum (N·OUT adds) is not counted
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(dw_, db_, dy_, x_, n_, in_, out_);
  }

 private:
  k::LinearBackwardParamsFn* f_;
  int n_, in_, out_;
  float *dw_, *db_, *dy_, *x_;
};

// ---- BatchNorm ---------------------------------------------------------------------------------
// Bytes count each array a kernel touches once: stats reads inp (4·M·C bytes, M = N·S); forward
// reads inp and writes out and xhat (12·M·C); backward reads dout and xhat and writes dinp (12·M·C).
// The per-channel vectors are left out (C values against M·C).

// Buffers of one BatchNorm layer on an (N, C, S) input, with real statistics of that input.
struct BnData {
  BnData(Buffers& b, int n_, int c_, int s_) : n(n_), c(c_), s(s_) {
    const size_t total = sz(n, c, s);
    x = b.make(total);
    out = b.make(total);
    xhat = b.make(total);
    dy = b.make(total, -0.01f, 0.01f);
    dx = b.make(total);
    mean = b.make(sz(c));
    var = b.make(sz(c));
    invstd = b.make(sz(c));
    gamma = b.make(sz(c), 0.5f, 1.5f);
    beta = b.make(sz(c));
    dgamma = b.zeros(sz(c));
    dbeta = b.zeros(sz(c));
    k::bn_stats_ref(mean, var, x, n, c, s);
    invstd_of(invstd, var, c);
    k::bn_forward_ref(out, xhat, x, mean, invstd, gamma, beta, n, c, s);
  }
  int n, c, s;
  float *x, *out, *xhat, *dy, *dx, *mean, *var, *invstd, *gamma, *beta, *dgamma, *dbeta;
};

class BnStats final : public Case {
 public:
  BnStats(k::BnStatsFn* f, int n, int c, int s) : f_(f), d_(buf_, n, c, s) { work = 4.0 * dbl(sz(n, c, s)); }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(d_.mean, d_.var, d_.x, d_.n, d_.c, d_.s);
  }

 private:
  k::BnStatsFn* f_;
  BnData d_;
};

class BnForward final : public Case {
 public:
  BnForward(k::BnForwardFn* f, int n, int c, int s) : f_(f), d_(buf_, n, c, s) { work = 12.0 * dbl(sz(n, c, s)); }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r)
      f_(d_.out, d_.xhat, d_.x, d_.mean, d_.invstd, d_.gamma, d_.beta, d_.n, d_.c, d_.s);
  }

 private:
  k::BnForwardFn* f_;
  BnData d_;
};

class BnBackward final : public Case {
 public:
  BnBackward(k::BnBackwardFn* f, int n, int c, int s) : f_(f), d_(buf_, n, c, s) { work = 12.0 * dbl(sz(n, c, s)); }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r)
      f_(d_.dx, d_.dgamma, d_.dbeta, d_.dy, d_.xhat, d_.invstd, d_.gamma, d_.n, d_.c, d_.s);
  }

 private:
  k::BnBackwardFn* f_;
  BnData d_;
};

// The training pass of a BatchNorm layer: batch statistics, normalise, backward through them.
class BnTrain final : public Case {
 public:
  BnTrain(k::BnStatsFn* st, k::BnForwardFn* fw, k::BnBackwardFn* bw, int n, int c, int s)
      : st_(st), fw_(fw), bw_(bw), d_(buf_, n, c, s) {
    work = 28.0 * dbl(sz(n, c, s));
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) {
      st_(d_.mean, d_.var, d_.x, d_.n, d_.c, d_.s);
      invstd_of(d_.invstd, d_.var, d_.c);
      fw_(d_.out, d_.xhat, d_.x, d_.mean, d_.invstd, d_.gamma, d_.beta, d_.n, d_.c, d_.s);
      bw_(d_.dx, d_.dgamma, d_.dbeta, d_.dy, d_.xhat, d_.invstd, d_.gamma, d_.n, d_.c, d_.s);
    }
  }

 private:
  k::BnStatsFn* st_;
  k::BnForwardFn* fw_;
  k::BnBackwardFn* bw_;
  BnData d_;
};

// ---- Elementwise -------------------------------------------------------------------------------

class ActivationForward final : public Case {
 public:
  ActivationForward(k::ActivationForwardFn* f, int n) : f_(f), n_(sz(n)) {
    o_ = buf_.make(n_);
    x_ = buf_.make(n_, -4.0f, 4.0f);
    work = 8.0 * dbl(n_);
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(o_, x_, n_);
  }

 private:
  k::ActivationForwardFn* f_;
  size_t n_;
  float *o_, *x_;
};

class ActivationBackward final : public Case {
 public:
  // out: the forward output of the matching activation (`forward`, a ref), so that sigmoid's and
  // tanh's derivatives see values in their range.
  ActivationBackward(k::ActivationBackwardFn* f, k::ActivationForwardFn* forward, int n) : f_(f), n_(sz(n)) {
    dx_ = buf_.make(n_);
    dy_ = buf_.make(n_);
    out_ = buf_.make(n_);
    const float* x = buf_.make(n_, -4.0f, 4.0f);
    forward(out_, x, n_);
    work = 12.0 * dbl(n_);
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(dx_, dy_, out_, n_);
  }

 private:
  k::ActivationBackwardFn* f_;
  size_t n_;
  float *dx_, *dy_, *out_;
};

class SgdStep final : public Case {
 public:
  SgdStep(k::SgdStepFn* f, int n) : f_(f), n_(sz(n)) {
    p_ = buf_.make(n_);
    g_ = buf_.make(n_, -1e-3f, 1e-3f);
    work = 12.0 * dbl(n_);  // reads param and grad, writes param
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) f_(p_, nullptr, g_, 0.01f, 0.0f, 0.0f, 0.0f, false, false, n_);
  }

 private:
  k::SgdStepFn* f_;
  size_t n_;
  float *p_, *g_;
};

// ---- One training step of a BN-MLP from kernels alone ------------------------------------------
// The kernels the engine's layers call for zeroGrad, forward, cross-entropy, backward and a plain
// SGD step, with nothing around them (no layer objects, no input copies, no JS): the floor under
// the engine's own step. Like that step, it skips the first layer's input gradient.
class MlpStep final : public Case {
 public:
  static constexpr int kLayers = 3;

  MlpStep(const Model& m, int variant) : n_(m.batch) {
    lf_ = kernel<k::LinearForwardFn>(k::Op::linear_forward, variant);
    lbi_ = kernel<k::LinearBackwardInputFn>(k::Op::linear_backward_input, variant);
    lbp_ = kernel<k::LinearBackwardParamsFn>(k::Op::linear_backward_params, variant);
    st_ = kernel<k::BnStatsFn>(k::Op::bn_stats, variant);
    bf_ = kernel<k::BnForwardFn>(k::Op::bn_forward, variant);
    bb_ = kernel<k::BnBackwardFn>(k::Op::bn_backward, variant);
    rf_ = kernel<k::ActivationForwardFn>(k::Op::relu_forward, variant);
    rb_ = kernel<k::ActivationBackwardFn>(k::Op::relu_backward, variant);
    sgd_ = kernel<k::SgdStepFn>(k::Op::sgd_step, variant);
    ok = lf_ && lbi_ && lbp_ && st_ && bf_ && bb_ && rf_ && rb_ && sgd_;
    for (int i = 0; i <= kLayers; ++i) size_[i] = m.sizes[i];
    act_[0] = buf_.make(sz(n_, size_[0]));
    targets_.resize(sz(n_));
    for (int i = 0; i < n_; ++i) targets_[sz(i)] = (i * 7 + 3) % size_[kLayers];
    work = 0;
    for (int l = 0; l < kLayers; ++l) {
      const int in = size_[l], out = size_[l + 1];
      const float bound = 1.0f / std::sqrt(static_cast<float>(in));
      w_[l] = buf_.make(sz(out, in), -bound, bound);
      b_[l] = buf_.make(sz(out), -bound, bound);
      dw_[l] = buf_.zeros(sz(out, in));
      db_[l] = buf_.zeros(sz(out));
      z_[l] = buf_.make(sz(n_, out));
      dact_[l] = buf_.make(sz(n_, in));
      dz_[l] = buf_.make(sz(n_, out));
      work += (l == 0 ? 4.0 : 6.0) * n_ * in * out;  // no input gradient for the batch itself
      if (l + 1 < kLayers) {
        const size_t c = sz(out);
        y_[l] = buf_.make(sz(n_, out));
        xhat_[l] = buf_.make(sz(n_, out));
        dy_[l] = buf_.make(sz(n_, out));
        act_[l + 1] = buf_.make(sz(n_, out));
        mean_[l] = buf_.make(c);
        var_[l] = buf_.make(c);
        invstd_[l] = buf_.make(c);
        gamma_[l] = buf_.make(c, 1.0f, 1.0f);
        beta_[l] = buf_.zeros(c);
        dgamma_[l] = buf_.zeros(c);
        dbeta_[l] = buf_.zeros(c);
        rmean_[l] = buf_.zeros(c);
        rvar_[l] = buf_.make(c, 1.0f, 1.0f);
      }
    }
  }

  void run(int reps) override {
    for (int r = 0; r < reps; ++r) step();
  }

  bool ok = false;
  double loss = 0;

 private:
  void step() {
    const int N = n_;
    for (int l = 0; l < kLayers; ++l) {  // zeroGrad
      std::memset(dw_[l], 0, sz(size_[l + 1], size_[l]) * sizeof(float));
      std::memset(db_[l], 0, sz(size_[l + 1]) * sizeof(float));
      if (l + 1 < kLayers) {
        std::memset(dgamma_[l], 0, sz(size_[l + 1]) * sizeof(float));
        std::memset(dbeta_[l], 0, sz(size_[l + 1]) * sizeof(float));
      }
    }
    for (int l = 0; l < kLayers; ++l) {  // forward
      const int in = size_[l], C = size_[l + 1];
      lf_(z_[l], act_[l], w_[l], b_[l], N, in, C);
      if (l + 1 == kLayers) break;
      st_(mean_[l], var_[l], z_[l], N, C, 1);
      invstd_of(invstd_[l], var_[l], C);
      const double f = 0.1, unbias = static_cast<double>(N) / (N - 1);
      for (int c = 0; c < C; ++c) {  // running statistics, as BatchNorm::forward
        rmean_[l][c] = static_cast<float>(f * mean_[l][c] + (1.0 - f) * rmean_[l][c]);
        rvar_[l][c] = static_cast<float>(f * (var_[l][c] * unbias) + (1.0 - f) * rvar_[l][c]);
      }
      bf_(y_[l], xhat_[l], z_[l], mean_[l], invstd_[l], gamma_[l], beta_[l], N, C, 1);
      rf_(act_[l + 1], y_[l], sz(N, C));
    }
    const int K = size_[kLayers];
    (void)bn::cross_entropy(&loss, dz_[kLayers - 1], z_[kLayers - 1], targets_.data(), N, K);
    for (int l = kLayers - 1; l >= 0; --l) {  // backward
      const int in = size_[l], out = size_[l + 1];
      // The batch's own gradient is not computed (nothing uses it; neither TF.js nor PyTorch form
      // it for an input that is not a variable): as the engine's step with { inputGrad: false }.
      if (l > 0) lbi_(dact_[l], dz_[l], w_[l], N, in, out);
      lbp_(dw_[l], db_[l], dz_[l], act_[l], N, in, out);
      if (l == 0) break;
      const int C = in, h = l - 1;  // act_[l] = relu(y_[h])
      rb_(dy_[h], dact_[l], act_[l], sz(N, C));
      bb_(dz_[h], dgamma_[h], dbeta_[h], dy_[h], xhat_[h], invstd_[h], gamma_[h], N, C, 1);
    }
    for (int l = 0; l < kLayers; ++l) {  // SGD
      const float lr = 0.01f;
      sgd_(w_[l], nullptr, dw_[l], lr, 0, 0, 0, false, false, sz(size_[l + 1], size_[l]));
      sgd_(b_[l], nullptr, db_[l], lr, 0, 0, 0, false, false, sz(size_[l + 1]));
      if (l + 1 < kLayers) {
        sgd_(gamma_[l], nullptr, dgamma_[l], lr, 0, 0, 0, false, false, sz(size_[l + 1]));
        sgd_(beta_[l], nullptr, dbeta_[l], lr, 0, 0, 0, false, false, sz(size_[l + 1]));
      }
    }
  }

  int n_;
  int size_[kLayers + 1];
  std::vector<int32_t> targets_;
  float *w_[kLayers], *b_[kLayers], *dw_[kLayers], *db_[kLayers], *z_[kLayers], *dz_[kLayers];
  float *act_[kLayers], *dact_[kLayers];
  float *y_[kLayers - 1], *xhat_[kLayers - 1], *dy_[kLayers - 1], *mean_[kLayers - 1], *var_[kLayers - 1];
  float *invstd_[kLayers - 1], *gamma_[kLayers - 1], *beta_[kLayers - 1], *dgamma_[kLayers - 1];
  float *dbeta_[kLayers - 1], *rmean_[kLayers - 1], *rvar_[kLayers - 1];
  k::LinearForwardFn* lf_;
  k::LinearBackwardInputFn* lbi_;
  k::LinearBackwardParamsFn* lbp_;
  k::BnStatsFn* st_;
  k::BnForwardFn* bf_;
  k::BnBackwardFn* bb_;
  k::ActivationForwardFn* rf_;
  k::ActivationBackwardFn* rb_;
  k::SgdStepFn* sgd_;
};

// ---- The mul+add ceiling -----------------------------------------------------------------------
// The most f32x4 mul+add work one core does: 12 independent chains acc = acc·m + a, enough to
// cover the mul and add latencies on both vector ports, all in registers (12 + 2 of x86's 16).
// Each chain converges to a/(1 - m) = 1, so no value ever becomes subnormal or infinite.
#if BN_HAVE_SIMD
class Ceiling final : public Case {
 public:
  Ceiling() { work = 96.0 * kCeilingIters; }
  void run(int reps) override {
    // Twelve named accumulators rather than an array: no compiler is tempted to keep them in memory.
    v128_t a0 = seed(0), a1 = seed(1), a2 = seed(2), a3 = seed(3), a4 = seed(4), a5 = seed(5);
    v128_t a6 = seed(6), a7 = seed(7), a8 = seed(8), a9 = seed(9), a10 = seed(10), a11 = seed(11);
    const v128_t m = wasm_f32x4_splat(0.999f), a = wasm_f32x4_splat(0.001f);
    for (int r = 0; r < reps; ++r) {
      for (int i = 0; i < kCeilingIters; ++i) {
#define BN_CEILING_STEP(x) x = wasm_f32x4_add(wasm_f32x4_mul(x, m), a)
        BN_CEILING_STEP(a0); BN_CEILING_STEP(a1); BN_CEILING_STEP(a2); BN_CEILING_STEP(a3);
        BN_CEILING_STEP(a4); BN_CEILING_STEP(a5); BN_CEILING_STEP(a6); BN_CEILING_STEP(a7);
        BN_CEILING_STEP(a8); BN_CEILING_STEP(a9); BN_CEILING_STEP(a10); BN_CEILING_STEP(a11);
#undef BN_CEILING_STEP
      }
    }
    const v128_t s = wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_add(a0, a1), wasm_f32x4_add(a2, a3)),
                                    wasm_f32x4_add(wasm_f32x4_add(a4, a5), wasm_f32x4_add(a6, a7)));
    sink = wasm_f32x4_extract_lane(wasm_f32x4_add(s, wasm_f32x4_add(wasm_f32x4_add(a8, a9), wasm_f32x4_add(a10, a11))), 0);
  }
  volatile float sink = 0;

 private:
  static v128_t seed(int j) { return wasm_f32x4_splat(0.01f * static_cast<float>(j)); }
};

#endif

// ---- The layer cases ---------------------------------------------------------------------------
// The variant the layers run in this build.
inline constexpr int kLayerVariant = BN_HAVE_SIMD ? kSimd : kRef;

inline bn::Shape shape4(int n, int c, int h, int w) {
  bn::Shape s;
  s.rank = 4;
  s.dims[0] = n;
  s.dims[1] = c;
  s.dims[2] = h;
  s.dims[3] = w;
  return s;
}

// Conv2d forward, then backward with the parameter gradients (which accumulate over repetitions)
// and, unless the shape says otherwise, the input gradient. Flops: the matrix products of im2col,
// 2·(N·P)·(IN·k·k)·OUT each (three, or two without the input gradient); the patch copies, col2im
// and the layout transposes are work on top that counts for nothing.
class ConvTrain final : public Case {
 public:
  explicit ConvTrain(const ConvShape& c) : shape_(shape4(c.n, c.in, c.h, c.w)) {
    bn::Rng rng(1);
    bn::Conv2dOptions opts;
    opts.padding = c.pad;
    ok = conv_.init(c.in, c.out, c.k, opts, rng).is_ok();
    conv_.set_input_grad_needed(c.input_grad);
    x_ = buf_.make(shape_.numel());
    ok = ok && conv_.forward(x_, shape_).is_ok();
    if (!ok) return;
    dy_ = buf_.make(conv_.output_shape().numel());
    const double rows = static_cast<double>(conv_.output_shape().numel()) / c.out;  // N·OH·OW
    work = (c.input_grad ? 3 : 2) * 2.0 * rows * c.in * c.k * c.k * c.out;
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) {
      (void)conv_.forward(x_, shape_);
      (void)conv_.backward(dy_);
    }
  }
  bool ok = false;

 private:
  bn::Conv2d conv_;
  bn::Shape shape_;
  Buffers buf_;
  float *x_ = nullptr, *dy_ = nullptr;
};

// LayerNorm or GroupNorm forward (training mode; they behave the same in eval) and backward.
// Bytes: the input read and the output written by the forward, the output gradient read and
// the input gradient written by the backward (4 passes of N·C·H·W floats), as for BnTrain.
class NormTrain final : public Case {
 public:
  explicit NormTrain(const NormShape& s) {
    if (s.h == 0) {
      shape_.rank = 2;
      shape_.dims[0] = s.n;
      shape_.dims[1] = s.c;
    } else {
      shape_ = shape4(s.n, s.c, s.h, s.w);
    }
    if (s.groups > 0) {
      auto* g = new bn::GroupNorm;
      layer_.reset(g);
      ok = g->init(s.groups, s.c, bn::GroupNormOptions{}).is_ok();
    } else {
      auto* l = new bn::LayerNorm;
      layer_.reset(l);
      bn::Shape normalized;
      normalized.rank = s.norm_rank;
      for (int i = 0; i < s.norm_rank; ++i) normalized.dims[i] = shape_.dims[shape_.rank - s.norm_rank + i];
      ok = l->init(normalized, bn::LayerNormOptions{}).is_ok();
    }
    x_ = buf_.make(shape_.numel(), -2.0f, 3.0f);
    dy_ = buf_.make(shape_.numel());
    ok = ok && layer_->forward(x_, shape_).is_ok();
    work = 4.0 * sizeof(float) * static_cast<double>(shape_.numel());
  }
  void run(int reps) override {
    for (int r = 0; r < reps; ++r) {
      (void)layer_->forward(x_, shape_);
      (void)layer_->backward(dy_);
    }
  }
  bool ok = false;

 private:
  std::unique_ptr<bn::Module> layer_;
  bn::Shape shape_;
  Buffers buf_;
  float *x_ = nullptr, *dy_ = nullptr;
};

// The case that times kernel f of each signature, at sizes a, b, c.
inline std::unique_ptr<Case> kernel_case(k::LinearForwardFn* f, k::Op, int a, int b, int c) {
  return std::make_unique<LinearForward>(f, a, b, c);
}
inline std::unique_ptr<Case> kernel_case(k::LinearBackwardInputFn* f, k::Op, int a, int b, int c) {
  return std::make_unique<LinearBackwardInput>(f, a, b, c);
}
inline std::unique_ptr<Case> kernel_case(k::LinearBackwardParamsFn* f, k::Op, int a, int b, int c) {
  return std::make_unique<LinearBackwardParams>(f, a, b, c);
}
inline std::unique_ptr<Case> kernel_case(k::BnStatsFn* f, k::Op, int a, int b, int c) {
  return std::make_unique<BnStats>(f, a, b, c);
}
inline std::unique_ptr<Case> kernel_case(k::BnForwardFn* f, k::Op, int a, int b, int c) {
  return std::make_unique<BnForward>(f, a, b, c);
}
inline std::unique_ptr<Case> kernel_case(k::BnBackwardFn* f, k::Op, int a, int b, int c) {
  return std::make_unique<BnBackward>(f, a, b, c);
}
inline std::unique_ptr<Case> kernel_case(k::ActivationForwardFn* f, k::Op, int a, int, int) {
  return std::make_unique<ActivationForward>(f, a);
}
// relu_backward runs on the output of relu_forward, and so on: the forward of the same name.
inline std::unique_ptr<Case> kernel_case(k::ActivationBackwardFn* f, k::Op op, int a, int, int) {
  const std::string name = k::op_name(op);
  const std::string forward = name.substr(0, name.rfind("_backward")) + "_forward";
  for (const auto& p : k::kPairs<k::ActivationForwardFn>)
    if (forward == p.name) return std::make_unique<ActivationBackward>(f, p.ref, a);
  return nullptr;
}
inline std::unique_ptr<Case> kernel_case(k::SgdStepFn* f, k::Op, int a, int, int) {
  return std::make_unique<SgdStep>(f, a);
}

// The case for (kind, entry, variant, sizes), or nullptr when that variant does not exist here
// (no SIMD kernels in a scalar build) or the arguments are out of range.
inline std::unique_ptr<Case> make_case(int kind, int e, int variant, int a, int b, int c) {
  if (e < 0 || e >= entry_count(kind) || (variant != kRef && variant != kSimd)) return nullptr;
  switch (kind) {
    case kBnTrain: {
      auto* st = kernel<k::BnStatsFn>(k::Op::bn_stats, variant);
      auto* fw = kernel<k::BnForwardFn>(k::Op::bn_forward, variant);
      auto* bw = kernel<k::BnBackwardFn>(k::Op::bn_backward, variant);
      if (!st || !fw || !bw) return nullptr;
      return std::make_unique<BnTrain>(st, fw, bw, a, b, c);
    }
    case kMlpStep: {
      auto m = std::make_unique<MlpStep>(kModels[e], variant);
      if (!m->ok) return nullptr;
      return m;
    }
    case kConvTrain: {
      if (variant != kLayerVariant) return nullptr;
      auto m = std::make_unique<ConvTrain>(kConvShapes[e]);
      if (!m->ok) return nullptr;
      return m;
    }
    case kNormTrain: {
      if (variant != kLayerVariant) return nullptr;
      auto m = std::make_unique<NormTrain>(kNormShapes[e]);
      if (!m->ok) return nullptr;
      return m;
    }
    case kCeiling:
#if BN_HAVE_SIMD
      return std::make_unique<Ceiling>();
#else
      return nullptr;
#endif
    default:
      return with_kind(kind, std::unique_ptr<Case>(), [&](auto tag) -> std::unique_ptr<Case> {
        const auto& p = k::kPairs<typename decltype(tag)::type>[static_cast<size_t>(e)];
        auto* f = pick(p, variant);
        if (!f) return nullptr;
        return kernel_case(f, p.op, a, b, c);
      });
  }
}

}  // namespace bnbench
