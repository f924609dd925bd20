// Kernel tests: every _simd against its _ref, and every _ref against a plain double-precision
// computation, over the pairs of kernel_table.h.
//
// Tolerances come from the arithmetic, not from a guess. A float sum of k terms, added in any
// order, is within γ_k·Σ|term| of the exact sum, γ_k = k·u/(1 - k·u), u = 2^-24 (Higham,
// "Accuracy and Stability of Numerical Algorithms", §3.1 and §4.2); a dot product of length k
// likewise within γ_k·Σ|x·w|. The refs sum in double and round once, so they are held to one
// rounding (u·|result|) plus a double γ. Elementwise kernels do the ref's float operations in the
// ref's order, so there the SIMD must equal the ref bit for bit. Inputs come from a seeded
// mt19937 turned into floats by hand, so they are the same natively and under wasm.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iomanip>
#include <limits>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kernels/kernel_table.h"

namespace bn::kernels {
namespace {

constexpr double kU = 0x1p-24;   // float unit round-off
constexpr double kUd = 0x1p-53;  // double unit round-off
constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

double gamma_f(double k) { return k * kU / (1.0 - k * kU); }
double gamma_d(double k) { return k * kUd / (1.0 - k * kUd); }

// The sizes every dimension is drawn from: below, at and above the 4-lane vector and the tiles.
const std::vector<int> kSizes = {1, 3, 4, 5, 17, 64, 1000};
const std::vector<int> kSmallSizes = {1, 3, 4, 5, 17, 64};

class Rng {
 public:
  explicit Rng(uint32_t seed) : gen_(seed) {}
  float uniform(float lo, float hi) {  // 24 random bits, exact in float
    return lo + (hi - lo) * static_cast<float>(gen_() >> 8) * 0x1p-24f;
  }
  int integer(int lo, int hi) {
    return lo + static_cast<int>(gen_() % static_cast<uint32_t>(hi - lo + 1));
  }
  std::vector<float> uniform(size_t n, float lo, float hi) {
    std::vector<float> v(n);
    for (float& x : v) x = uniform(lo, hi);
    return v;
  }
  std::vector<float> integers(size_t n, int lo, int hi) {
    std::vector<float> v(n);
    for (float& x : v) x = static_cast<float>(integer(lo, hi));
    return v;
  }

 private:
  std::mt19937 gen_;
};

uint32_t seed_of(std::initializer_list<int> xs) {
  uint32_t h = 2166136261u;
  for (int x : xs) h = (h ^ static_cast<uint32_t>(x)) * 16777619u;
  return h;
}

size_t sz(int a) { return static_cast<size_t>(a); }
size_t sz(int a, int b) { return sz(a) * sz(b); }
size_t sz(int a, int b, int c) { return sz(a) * sz(b) * sz(c); }

std::vector<float> nans(size_t n) { return std::vector<float>(n, kNaN); }

bool same_bits(float a, float b) {
  if (std::isnan(a) && std::isnan(b)) return true;
  uint32_t x, y;
  std::memcpy(&x, &a, 4);
  std::memcpy(&y, &b, 4);
  return x == y;
}

// Element checks report the first few mismatches with their context, not thousands of lines.
class Check {
 public:
  explicit Check(std::string context) : context_(std::move(context)) {}
  Check(const Check&) = delete;
  Check& operator=(const Check&) = delete;
  ~Check() {
    if (fails_ > kShown)
      ADD_FAILURE() << context_ << ": " << (fails_ - kShown) << " more mismatches not shown";
  }
  // |got - want| <= tol; a NaN anywhere fails.
  void close(const char* what, size_t i, double got, double want, double tol) {
    if (std::abs(got - want) <= tol) return;
    fail() << what << "[" << i << "] = " << got << ", want " << want << " ± " << tol
           << " (off by " << std::abs(got - want) << ")";
  }
  void same(const char* what, size_t i, float got, float want) {
    if (same_bits(got, want)) return;
    fail() << what << "[" << i << "] = " << got << ", want exactly " << want;
  }
  // got within `bound` ulps of want (see ulp_error); x is the input, for the message.
  void ulps(const char* what, size_t i, float x, float got, double want, double bound);
  void truth(const char* what, bool ok) {
    if (!ok) fail() << what;
  }

 private:
  static constexpr int kShown = 5;
  // Streams into the failure message; the message is emitted when the returned Failure dies.
  class Failure {
   public:
    Failure(const std::string& context, bool shown) : shown_(shown) {
      if (shown_) os_ << std::setprecision(9) << context << ": ";
    }
    ~Failure() {
      if (shown_) ADD_FAILURE() << os_.str();
    }
    template <class T> Failure& operator<<(const T& x) {
      if (shown_) os_ << x;
      return *this;
    }

   private:
    bool shown_;
    std::ostringstream os_;
  };
  Failure fail() { return Failure(context_, ++fails_ <= kShown); }

  std::string context_;
  int fails_ = 0;
};

template <class Pair>
std::string name_of(const Pair& p, const std::string& detail) {
  return std::string(p.name) + " " + detail;
}

std::string shape(const char* letters, std::initializer_list<int> dims) {
  std::string s = letters;
  s += "=(";
  bool first = true;
  for (int d : dims) {
    if (!first) s += ",";
    s += std::to_string(d);
    first = false;
  }
  return s + ")";
}

// ---- Linear -------------------------------------------------------------------------------------

struct Dims3 {
  int a, b, c;
};

// Every size of kSizes in every position: all triples of the small sizes, plus each position at
// 1000 with a few partners (1000³ multiply-adds would be slow and add nothing).
std::vector<Dims3> linear_shapes() {
  std::vector<Dims3> v;
  for (int a : kSmallSizes)
    for (int b : kSmallSizes)
      for (int c : kSmallSizes) v.push_back({a, b, c});
  const int partners[][2] = {{1, 1}, {3, 5}, {17, 64}, {64, 4}};
  for (const auto& p : partners) {
    v.push_back({1000, p[0], p[1]});
    v.push_back({p[0], 1000, p[1]});
    v.push_back({p[0], p[1], 1000});
  }
  return v;
}

TEST(KernelTable, ListsEveryKernelOnceWithBothVariants) {
  std::set<std::string> names;
  int pairs = 0;
  auto add = [&](const auto& list) {
    for (const auto& p : list) {
      EXPECT_TRUE(names.insert(p.name).second) << p.name << " listed twice";
      EXPECT_NE(p.ref, nullptr) << p.name;
      EXPECT_NE(p.simd, nullptr) << p.name << " (this test binary links the SIMD engine)";
      ++pairs;
    }
  };
  add(kLinearForward);
  add(kLinearBackwardInput);
  add(kLinearBackwardParams);
  add(kBnStats);
  add(kBnForward);
  add(kBnBackward);
  add(kActivationForward);
  add(kActivationBackward);
  add(kSgdStep);
  const std::set<std::string> all(std::begin(kAllKernelNames), std::end(kAllKernelNames));
  EXPECT_EQ(names, all);
  EXPECT_EQ(pairs, 14);
}

TEST(Linear, ForwardMatchesRefAndDouble) {
  for (const auto& k : kLinearForward) {
    for (const Dims3& d : linear_shapes()) {
      const int N = d.a, IN = d.b, OUT = d.c;
      for (bool has_bias : {true, false}) {
        Rng rng(seed_of({1, N, IN, OUT, has_bias}));
        const auto inp = rng.uniform(sz(N, IN), -1, 1);
        const auto w = rng.uniform(sz(OUT, IN), -1, 1);
        const auto b = rng.uniform(sz(OUT), -1, 1);
        const float* bias = has_bias ? b.data() : nullptr;
        auto ref = nans(sz(N, OUT)), simd = nans(sz(N, OUT));
        k.ref(ref.data(), inp.data(), w.data(), bias, N, IN, OUT);
        k.simd(simd.data(), inp.data(), w.data(), bias, N, IN, OUT);
        Check check(name_of(k, shape("N,IN,OUT", {N, IN, OUT}) + (has_bias ? " bias" : "")));
        for (int n = 0; n < N; ++n) {
          for (int o = 0; o < OUT; ++o) {
            double want = has_bias ? b[sz(o)] : 0.0, mag = std::abs(want);
            for (int i = 0; i < IN; ++i) {
              const double t = static_cast<double>(inp[sz(n, IN) + sz(i)]) * w[sz(o, IN) + sz(i)];
              want += t;
              mag += std::abs(t);
            }
            const size_t j = sz(n, OUT) + sz(o);
            check.close("ref", j, ref[j], want, kU * std::abs(want) + gamma_d(IN + 1) * mag);
            // IN products and a bias: IN + 1 terms; one more u for the ref's own rounding.
            check.close("simd-ref", j, simd[j], ref[j], gamma_f(IN + 2) * mag);
          }
        }
      }
    }
  }
}

// Small integers: every product and partial sum is an exact float, so any order gives the exact
// result, and simd must equal ref exactly. A dropped or doubled term cannot hide in a tolerance.
TEST(Linear, ExactOnIntegerInputs) {
  for (const Dims3& d : linear_shapes()) {
    const int N = d.a, IN = d.b, OUT = d.c;
    Rng rng(seed_of({2, N, IN, OUT}));
    const auto inp = rng.integers(sz(N, IN), -4, 4);
    const auto w = rng.integers(sz(OUT, IN), -4, 4);
    const auto b = rng.integers(sz(OUT), -4, 4);
    const auto dout = rng.integers(sz(N, OUT), -4, 4);
    const std::string where = shape("N,IN,OUT", {N, IN, OUT});
    for (const auto& k : kLinearForward) {
      auto ref = nans(sz(N, OUT)), simd = nans(sz(N, OUT));
      k.ref(ref.data(), inp.data(), w.data(), b.data(), N, IN, OUT);
      k.simd(simd.data(), inp.data(), w.data(), b.data(), N, IN, OUT);
      Check check(name_of(k, where));
      for (size_t j = 0; j < ref.size(); ++j) check.same("out", j, simd[j], ref[j]);
    }
    for (const auto& k : kLinearBackwardInput) {
      auto ref = nans(sz(N, IN)), simd = nans(sz(N, IN));
      k.ref(ref.data(), dout.data(), w.data(), N, IN, OUT);
      k.simd(simd.data(), dout.data(), w.data(), N, IN, OUT);
      Check check(name_of(k, where));
      for (size_t j = 0; j < ref.size(); ++j) check.same("dinp", j, simd[j], ref[j]);
    }
    for (const auto& k : kLinearBackwardParams) {
      // Called twice from zero: the second call must add exactly the first call's gradient.
      std::vector<float> dw_ref(sz(OUT, IN), 0.0f), db_ref(sz(OUT), 0.0f);
      std::vector<float> dw_simd = dw_ref, db_simd = db_ref;
      k.ref(dw_ref.data(), db_ref.data(), dout.data(), inp.data(), N, IN, OUT);
      k.simd(dw_simd.data(), db_simd.data(), dout.data(), inp.data(), N, IN, OUT);
      const auto dw_once = dw_simd, db_once = db_simd;
      k.simd(dw_simd.data(), db_simd.data(), dout.data(), inp.data(), N, IN, OUT);
      Check check(name_of(k, where));
      for (size_t j = 0; j < dw_ref.size(); ++j) {
        check.same("dweight", j, dw_once[j], dw_ref[j]);
        check.same("dweight after 2 calls", j, dw_simd[j], 2.0f * dw_once[j]);
      }
      for (size_t j = 0; j < db_ref.size(); ++j) {
        check.same("dbias", j, db_once[j], db_ref[j]);
        check.same("dbias after 2 calls", j, db_simd[j], 2.0f * db_once[j]);
      }
    }
  }
}

TEST(Linear, BackwardInputOverwritesAndMatches) {
  for (const auto& k : kLinearBackwardInput) {
    for (const Dims3& d : linear_shapes()) {
      const int N = d.a, IN = d.b, OUT = d.c;
      Rng rng(seed_of({3, N, IN, OUT}));
      const auto dout = rng.uniform(sz(N, OUT), -1, 1);
      const auto w = rng.uniform(sz(OUT, IN), -1, 1);
      // dinp starts as NaN: anything added to instead of overwritten stays NaN and fails.
      auto ref = nans(sz(N, IN)), simd = nans(sz(N, IN));
      k.ref(ref.data(), dout.data(), w.data(), N, IN, OUT);
      k.simd(simd.data(), dout.data(), w.data(), N, IN, OUT);
      Check check(name_of(k, shape("N,IN,OUT", {N, IN, OUT})));
      for (int n = 0; n < N; ++n) {
        for (int i = 0; i < IN; ++i) {
          double want = 0.0, mag = 0.0;
          for (int o = 0; o < OUT; ++o) {
            const double t = static_cast<double>(dout[sz(n, OUT) + sz(o)]) * w[sz(o, IN) + sz(i)];
            want += t;
            mag += std::abs(t);
          }
          const size_t j = sz(n, IN) + sz(i);
          check.close("ref", j, ref[j], want, kU * std::abs(want) + gamma_d(OUT) * mag);
          check.close("simd-ref", j, simd[j], ref[j], gamma_f(OUT + 1) * mag);
        }
      }
    }
  }
}

TEST(Linear, BackwardParamsAccumulatesAndMatches) {
  for (const auto& k : kLinearBackwardParams) {
    for (const Dims3& d : linear_shapes()) {
      const int N = d.a, IN = d.b, OUT = d.c;
      for (bool has_dbias : {true, false}) {
        Rng rng(seed_of({4, N, IN, OUT, has_dbias}));
        const auto dout = rng.uniform(sz(N, OUT), -1, 1);
        const auto inp = rng.uniform(sz(N, IN), -1, 1);
        // Nonzero starting gradients: the kernel must add to them (+=), not replace them.
        const auto dw0 = rng.uniform(sz(OUT, IN), 1, 2);
        const auto db0 = rng.uniform(sz(OUT), 1, 2);
        auto dw_ref = dw0, dw_simd = dw0, db_ref = db0, db_simd = db0;
        k.ref(dw_ref.data(), has_dbias ? db_ref.data() : nullptr, dout.data(), inp.data(), N, IN, OUT);
        k.simd(dw_simd.data(), has_dbias ? db_simd.data() : nullptr, dout.data(), inp.data(), N, IN,
               OUT);
        Check check(name_of(k, shape("N,IN,OUT", {N, IN, OUT}) + (has_dbias ? " dbias" : "")));
        for (int o = 0; o < OUT; ++o) {
          for (int i = 0; i < IN; ++i) {
            const size_t j = sz(o, IN) + sz(i);
            double sum = 0.0, mag = 0.0;
            for (int n = 0; n < N; ++n) {
              const double t = static_cast<double>(dout[sz(n, OUT) + sz(o)]) * inp[sz(n, IN) + sz(i)];
              sum += t;
              mag += std::abs(t);
            }
            const double want = dw0[j] + sum;
            mag += std::abs(dw0[j]);
            // ref: the double sum rounded, then one float add.
            check.close("dweight ref", j, dw_ref[j], want, gamma_f(2) * mag + gamma_d(N) * mag);
            // simd: N products, N - 1 adds, then the add to dw0.
            check.close("dweight simd-ref", j, dw_simd[j], dw_ref[j], gamma_f(N + 3) * mag);
          }
          double sum = 0.0, mag = std::abs(db0[sz(o)]);
          for (int n = 0; n < N; ++n) {
            sum += dout[sz(n, OUT) + sz(o)];
            mag += std::abs(dout[sz(n, OUT) + sz(o)]);
          }
          if (has_dbias) {
            check.close("dbias ref", sz(o), db_ref[sz(o)], db0[sz(o)] + sum, gamma_f(2) * mag);
            check.close("dbias simd-ref", sz(o), db_simd[sz(o)], db_ref[sz(o)], gamma_f(N + 2) * mag);
          } else {
            check.same("dbias untouched", sz(o), db_simd[sz(o)], db0[sz(o)]);
          }
        }
      }
    }
  }
}

// ---- BatchNorm ----------------------------------------------------------------------------------

// (N, C, S): S = 1 (2-D input, the kernels vectorise across channels) and S > 1 (along s).
std::vector<Dims3> bn_shapes() {
  std::vector<Dims3> v;
  for (int n : kSmallSizes)
    for (int c : kSmallSizes)
      for (int s : kSmallSizes) v.push_back({n, c, s});
  const Dims3 big[] = {{1000, 3, 1}, {1000, 17, 5}, {1000, 1, 64}, {3, 1000, 1},
                       {5, 1000, 4}, {1, 1000, 17}, {3, 1, 1000}, {4, 5, 1000},
                       {1, 64, 1000}};
  v.insert(v.end(), std::begin(big), std::end(big));
  return v;
}

size_t at(int n, int c, int s, int C, int S) { return (sz(n, C) + sz(c)) * sz(S) + sz(s); }

struct ChannelTruth {
  double mean = 0, var = 0;
  double mad = 0;      // mean |x - mean|
  double maxdev = 0;   // max |x - mean|
};

ChannelTruth channel_truth(const std::vector<float>& x, int N, int C, int S, int c) {
  ChannelTruth t;
  const double M = static_cast<double>(N) * S;
  for (int n = 0; n < N; ++n)
    for (int s = 0; s < S; ++s) t.mean += x[at(n, c, s, C, S)];
  t.mean /= M;
  for (int n = 0; n < N; ++n) {
    for (int s = 0; s < S; ++s) {
      const double d = x[at(n, c, s, C, S)] - t.mean;
      t.var += d * d;
      t.mad += std::abs(d);
      t.maxdev = std::max(t.maxdev, std::abs(d));
    }
  }
  t.var /= M;
  t.mad /= M;
  return t;
}

// Bounds for the corrected two-pass algorithm in float with sums in any order, M values.
// mean0 = (Σx)/M is off by e0 <= γ_{M+2}·(2·maxdev) + u|mean| (pass 1 may be shifted by a value
// of the channel, so Σ|x - shift| <= 2·M·maxdev). Pass 2: d = fl(x - mean0) carries u|d|; Σd
// and Σd² carry γ_M; the closing operations a few u more. Terms in e0² and e0·γ are kept.
double mean_tolerance(const ChannelTruth& t, double M) {
  const double e0 = gamma_f(M + 2) * 2 * t.maxdev + kU * std::abs(t.mean);
  return 3 * kU * std::abs(t.mean) + gamma_f(M + 3) * (t.mad + e0);
}
double var_tolerance(const ChannelTruth& t, double M) {
  const double e0 = gamma_f(M + 2) * 2 * t.maxdev + kU * std::abs(t.mean);
  return gamma_f(M + 6) * (t.var + e0 * e0) + 2 * e0 * gamma_f(M + 1) * (t.mad + e0);
}

TEST(BatchNorm, StatsMatchRefAndDouble) {
  for (const auto& k : kBnStats) {
    for (const Dims3& d : bn_shapes()) {
      const int N = d.a, C = d.b, S = d.c;
      const double M = static_cast<double>(N) * S;
      Rng rng(seed_of({5, N, C, S}));
      std::vector<float> x(sz(N, C, S));
      std::vector<float> offset(sz(C)), scale(sz(C));
      for (int c = 0; c < C; ++c) {
        offset[sz(c)] = rng.uniform(-5, 5);
        scale[sz(c)] = rng.uniform(0.1f, 3);
      }
      for (int n = 0; n < N; ++n)
        for (int c = 0; c < C; ++c)
          for (int s = 0; s < S; ++s)
            x[at(n, c, s, C, S)] = offset[sz(c)] + scale[sz(c)] * rng.uniform(-1, 1);
      auto mean_ref = nans(sz(C)), var_ref = nans(sz(C)), mean_simd = nans(sz(C)),
           var_simd = nans(sz(C));
      k.ref(mean_ref.data(), var_ref.data(), x.data(), N, C, S);
      k.simd(mean_simd.data(), var_simd.data(), x.data(), N, C, S);
      Check check(name_of(k, shape("N,C,S", {N, C, S})));
      for (int c = 0; c < C; ++c) {
        const ChannelTruth t = channel_truth(x, N, C, S, c);
        const size_t j = sz(c);
        // ref: double sums, one rounding to float each.
        check.close("mean ref", j, mean_ref[j], t.mean, kU * std::abs(t.mean) + 1e-15 * t.mad);
        check.close("var ref", j, var_ref[j], t.var, kU * t.var + 1e-15 * t.var);
        check.close("mean simd", j, mean_simd[j], t.mean, mean_tolerance(t, M));
        check.close("var simd", j, var_simd[j], t.var, var_tolerance(t, M));
        check.truth("var simd >= 0", var_simd[j] >= 0.0f);
      }
    }
  }
}

// A channel far from 0 relative to its spread is where a naive E[x²] - E[x]² loses every digit and
// an uncorrected two-pass loses several; the corrected two-pass keeps float round-off, and the
// blocked pairwise sums keep it there for M up to 2^20. Observed: var within 1.1e-7 relative for
// the SIMD kernel, 4.6e-8 (one rounding) for the ref; mean within 4.6e-8 for both. Asserted: mean
// within 2u·|mean| (about one ulp), var within 5e-7 (8u) relative.
TEST(BatchNorm, StatsStayAccurateForLargeMeanAndLargeM) {
  struct Case {
    int N, C, S;
    float center, spread;
  };
  const Case cases[] = {
      {1000, 3, 1, 10000.0f, 1.0f},  {8, 3, 125, 10000.0f, 1.0f},  {1000, 3, 1, 1e-4f, 1e-6f},
      {8, 3, 125, 1e-4f, 1e-6f},     {1000, 3, 1, 1e4f, 0.01f},    {8, 3, 125, 1e4f, 0.01f},
      {1 << 18, 5, 1, 10000.0f, 1.0f}, {16, 2, 1 << 16, 10000.0f, 1.0f}, {64, 17, 1, 1000.f, 1.f},
      {17, 2, 4099, -3000.0f, 2.0f}};
  for (const auto& k : kBnStats) {
    for (const Case& cs : cases) {
      const int N = cs.N, C = cs.C, S = cs.S;
      Rng rng(seed_of({6, N, C, S}));
      std::vector<float> x(sz(N, C, S));
      for (float& v : x) v = cs.center + cs.spread * rng.uniform(-1, 1);
      for (auto fn : {k.ref, k.simd}) {
        std::vector<float> mean(sz(C)), var(sz(C));
        fn(mean.data(), var.data(), x.data(), N, C, S);
        Check check(name_of(k, (fn == k.ref ? "ref " : "simd ") + shape("N,C,S", {N, C, S}) +
                                   " center " + std::to_string(cs.center)));
        for (int c = 0; c < C; ++c) {
          const ChannelTruth t = channel_truth(x, N, C, S, c);
          check.close("mean", sz(c), mean[sz(c)], t.mean, 2 * kU * std::abs(t.mean));
          check.close("var", sz(c), var[sz(c)], t.var, 5e-7 * t.var);
        }
      }
    }
  }
}

TEST(BatchNorm, StatsOfConstantChannelAreExact) {
  for (const auto& k : kBnStats) {
    for (const Dims3& d : std::vector<Dims3>{{1, 3, 1}, {3, 5, 1}, {1000, 17, 1}, {3, 2, 17},
                                             {64, 3, 1000}, {1 << 16, 4, 1}}) {
      const int N = d.a, C = d.b, S = d.c;
      // Values whose float sums round: a float Σx/M would miss them by an ulp or more.
      const float values[] = {0.1f, -12345.678f, 3.3333333e-5f, 7.0f};
      std::vector<float> x(sz(N, C, S));
      for (int n = 0; n < N; ++n)
        for (int c = 0; c < C; ++c)
          for (int s = 0; s < S; ++s) x[at(n, c, s, C, S)] = values[c % 4];
      for (auto fn : {k.ref, k.simd}) {
        auto mean = nans(sz(C)), var = nans(sz(C));
        fn(mean.data(), var.data(), x.data(), N, C, S);
        Check check(name_of(k, (fn == k.ref ? "ref " : "simd ") + shape("N,C,S", {N, C, S})));
        for (int c = 0; c < C; ++c) {
          check.same("mean", sz(c), mean[sz(c)], values[c % 4]);
          check.same("var", sz(c), var[sz(c)], 0.0f);
        }
      }
    }
  }
}

TEST(BatchNorm, ForwardMatchesRefExactlyAndDouble) {
  for (const auto& k : kBnForward) {
    for (const Dims3& d : bn_shapes()) {
      const int N = d.a, C = d.b, S = d.c;
      Rng rng(seed_of({7, N, C, S}));
      const auto x = rng.uniform(sz(N, C, S), -3, 3);
      const auto mean = rng.uniform(sz(C), -1, 1);
      const auto invstd = rng.uniform(sz(C), 0.2f, 5);
      const auto gamma = rng.uniform(sz(C), -2, 2);
      const auto beta = rng.uniform(sz(C), -2, 2);
      for (int variant = 0; variant < 8; ++variant) {
        const bool with_xhat = variant & 1, with_gamma = variant & 2, with_beta = variant & 4;
        const float* g = with_gamma ? gamma.data() : nullptr;
        const float* b = with_beta ? beta.data() : nullptr;
        auto out_ref = nans(x.size()), out_simd = nans(x.size());
        auto xh_ref = nans(x.size()), xh_simd = nans(x.size());
        k.ref(out_ref.data(), with_xhat ? xh_ref.data() : nullptr, x.data(), mean.data(),
              invstd.data(), g, b, N, C, S);
        k.simd(out_simd.data(), with_xhat ? xh_simd.data() : nullptr, x.data(), mean.data(),
               invstd.data(), g, b, N, C, S);
        Check check(name_of(k, shape("N,C,S", {N, C, S}) + " variant " + std::to_string(variant)));
        for (int n = 0; n < N; ++n) {
          for (int c = 0; c < C; ++c) {
            const double gc = g ? g[c] : 1.0, bc = b ? b[c] : 0.0;
            for (int s = 0; s < S; ++s) {
              const size_t j = at(n, c, s, C, S);
              const double xh = (static_cast<double>(x[j]) - mean[sz(c)]) * invstd[sz(c)];
              check.close("out ref", j, out_ref[j], xh * gc + bc,
                          gamma_f(4) * (std::abs(xh * gc) + std::abs(bc)));
              check.same("out", j, out_simd[j], out_ref[j]);
              if (with_xhat) {
                check.close("xhat ref", j, xh_ref[j], xh, gamma_f(2) * std::abs(xh));
                check.same("xhat", j, xh_simd[j], xh_ref[j]);
              } else {
                check.truth("xhat untouched", std::isnan(xh_simd[j]));
              }
            }
          }
        }
      }
    }
  }
}

TEST(BatchNorm, BackwardMatchesRefAndDouble) {
  for (const auto& k : kBnBackward) {
    const bool eval = std::string(k.name) == "bn_backward_eval";
    for (const Dims3& d : bn_shapes()) {
      const int N = d.a, C = d.b, S = d.c;
      const double M = static_cast<double>(N) * S;
      Rng rng(seed_of({8, N, C, S, eval}));
      const auto dout = rng.uniform(sz(N, C, S), -1, 1);
      const auto xhat = rng.uniform(sz(N, C, S), -2, 2);
      const auto invstd = rng.uniform(sz(C), 0.2f, 5);
      const auto gamma = rng.uniform(sz(C), -2, 2);
      const auto dgamma0 = rng.uniform(sz(C), 1, 2), dbeta0 = rng.uniform(sz(C), 1, 2);
      for (int variant = 0; variant < 6; ++variant) {
        const bool with_gamma = variant & 1;
        const int grads = variant >> 1;  // 0: both, 1: dgamma only, 2: neither
        const float* g = with_gamma ? gamma.data() : nullptr;
        auto dinp_ref = nans(dout.size()), dinp_simd = nans(dout.size());
        auto dg_ref = dgamma0, dg_simd = dgamma0, db_ref = dbeta0, db_simd = dbeta0;
        float* dg[2] = {grads < 2 ? dg_ref.data() : nullptr, grads < 2 ? dg_simd.data() : nullptr};
        float* db[2] = {grads < 1 ? db_ref.data() : nullptr, grads < 1 ? db_simd.data() : nullptr};
        k.ref(dinp_ref.data(), dg[0], db[0], dout.data(), xhat.data(), invstd.data(), g, N, C, S);
        k.simd(dinp_simd.data(), dg[1], db[1], dout.data(), xhat.data(), invstd.data(), g, N, C, S);
        Check check(name_of(k, shape("N,C,S", {N, C, S}) + " variant " + std::to_string(variant)));
        for (int c = 0; c < C; ++c) {
          double sdy = 0, sdyx = 0, mag_dy = 0, mag_dyx = 0;
          for (int n = 0; n < N; ++n) {
            for (int s = 0; s < S; ++s) {
              const size_t j = at(n, c, s, C, S);
              sdy += dout[j];
              sdyx += static_cast<double>(dout[j]) * xhat[j];
              mag_dy += std::abs(dout[j]);
              mag_dyx += std::abs(static_cast<double>(dout[j]) * xhat[j]);
            }
          }
          const double kc = (g ? g[c] : 1.0) * invstd[sz(c)];
          for (int n = 0; n < N; ++n) {
            for (int s = 0; s < S; ++s) {
              const size_t j = at(n, c, s, C, S);
              if (eval) {
                check.close("dinp ref", j, dinp_ref[j], dout[j] * kc, gamma_f(2) * std::abs(dout[j] * kc));
                check.same("dinp", j, dinp_simd[j], dinp_ref[j]);
                continue;
              }
              const double mdy = sdy / M, mdyx = sdyx / M;
              const double want = kc * (dout[j] - mdy - xhat[j] * mdyx);
              // Float elementwise on rounded means: k, two subtractions, two products.
              const double terms = std::abs(dout[j]) + std::abs(mdy) + std::abs(xhat[j] * mdyx);
              const double ref_tol = gamma_f(6) * std::abs(kc) * terms;
              check.close("dinp ref", j, dinp_ref[j], want, ref_tol);
              // simd's means carry its float sums' error too.
              const double sum_err =
                  gamma_f(M + 1) * (mag_dy + std::abs(xhat[j]) * mag_dyx) / M;
              check.close("dinp simd-ref", j, dinp_simd[j], dinp_ref[j],
                          2 * ref_tol + std::abs(kc) * sum_err);
            }
          }
          const size_t j = sz(c);
          if (grads < 2) {
            const double mag = std::abs(dgamma0[j]) + mag_dyx;
            check.close("dgamma ref", j, dg_ref[j], dgamma0[j] + sdyx, gamma_f(2) * mag);
            check.close("dgamma simd-ref", j, dg_simd[j], dg_ref[j], gamma_f(M + 3) * mag);
          }
          if (grads < 1) {
            const double mag = std::abs(dbeta0[j]) + mag_dy;
            check.close("dbeta ref", j, db_ref[j], dbeta0[j] + sdy, gamma_f(2) * mag);
            check.close("dbeta simd-ref", j, db_simd[j], db_ref[j], gamma_f(M + 2) * mag);
          } else {
            check.same("dbeta untouched", j, db_simd[j], dbeta0[j]);
          }
          if (grads == 2) check.same("dgamma untouched", j, dg_simd[j], dgamma0[j]);
        }
      }
    }
  }
}

// ---- Activations --------------------------------------------------------------------------------

double truth_forward(const std::string& name, double x) {
  if (name == "relu_forward") return x <= 0 ? 0.0 : x;
  if (name == "sigmoid_forward") return 1.0 / (1.0 + std::exp(-x));
  return std::tanh(x);
}

// |got - want| in units of the float spacing at want, on the side where got lies.
double ulp_error(float got, double want) {
  if (std::isnan(got) || std::isnan(want)) return std::isnan(got) && std::isnan(want) ? 0 : kInf;
  if (std::isinf(got) || std::isinf(want)) return got == want ? 0 : kInf;
  const float aw = std::abs(static_cast<float>(want));
  const float down = aw > 0.0f ? aw - std::nextafter(aw, 0.0f) : std::numeric_limits<float>::denorm_min();
  const float up = std::nextafter(aw, kInf) - aw;  // inf at FLT_MAX
  const bool away = std::abs(static_cast<double>(got)) > std::abs(want);
  const float spacing = away && !std::isinf(up) ? up : down;
  return std::abs(static_cast<double>(got) - want) / spacing;
}

void Check::ulps(const char* what, size_t i, float x, float got, double want, double bound) {
  const double e = ulp_error(got, want);
  if (e <= bound) return;
  fail() << what << "[" << i << "]: f(" << x << ") = " << got << ", want " << want << " within "
         << bound << " ulp, off by " << e << " ulp";
}

// How far either variant may be from the exact value, in ulps. 1/(1 + e) rounds three times (e, the
// sum, the quotient), each within 1 ulp of the final result: 3. Measured over every 7th float:
// sigmoid 2.47 ulp for both variants (the formula's own roundings), tanh 1.51 (simd), 2.16
// (glibc tanhf); the SIMD exp alone is within 1.0 ulp over every float.
double max_ulps(const std::string& name) {
  if (name == "relu_forward") return 0;
  return 3;
}

// Below x = -87.3 the exact sigmoid is subnormal, and below -88.7 the float formula 1/(1 + e^-x)
// (the ref's, and torch's) gives 0 because e^-x overflows. There both variants only have to give a
// non-negative value below FLT_MIN; sigmoid(-100) = 0 exactly is checked separately.
bool sigmoid_subnormal(const std::string& name, double want) {
  return name == "sigmoid_forward" && want < std::numeric_limits<float>::min();
}

void check_activation(Check& check, const std::string& name, bool simd, const float* x,
                      const float* y, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const double want = truth_forward(name, x[i]);
    if (sigmoid_subnormal(name, want)) {
      check.truth("sigmoid of a very negative x in [0, FLT_MIN]",
                  y[i] >= 0.0f && y[i] <= std::numeric_limits<float>::min());
      continue;
    }
    check.ulps(simd ? "simd" : "ref", i, x[i], y[i], want, max_ulps(name));
  }
}

TEST(Activations, ForwardSpecialValues) {
  const float tiny = std::numeric_limits<float>::denorm_min();
  const float fmin = std::numeric_limits<float>::min();
  const float fmax = std::numeric_limits<float>::max();
  const std::vector<float> x = {0.0f,   -0.0f,  tiny,   -tiny,  fmin,  -fmin,  1e-30f, -1e-30f,
                                1e-8f,  -1e-8f, 1e-4f,  -1e-4f, 0.5f,  -0.5f,  0.625f, -0.625f,
                                1.0f,   -1.0f,  10.0f,  -10.0f, 20.0f, -20.0f, 44.0f,  -44.0f,
                                87.0f,  -87.0f, 88.7f,  -88.7f, 89.0f, -89.0f, 100.0f, -100.0f,
                                1e10f,  -1e10f, fmax,   -fmax,  kInf,  -kInf,  kNaN,   -kNaN};
  for (const auto& k : kActivationForward) {
    const std::string name = k.name;
    auto ref = nans(x.size()), simd = nans(x.size());
    k.ref(ref.data(), x.data(), x.size());
    k.simd(simd.data(), x.data(), x.size());
    for (bool is_simd : {false, true}) {
      const auto& y = is_simd ? simd : ref;
      Check check(name + (is_simd ? " simd" : " ref") + " special values");
      check_activation(check, name, is_simd, x.data(), y.data(), x.size());
      for (size_t i = 0; i < x.size(); ++i) {
        if (std::isnan(x[i])) check.truth("NaN in gives NaN out", std::isnan(y[i]));
        if (name == "tanh_forward" && x[i] == 0.0f) check.same("tanh(±0) = ±0", i, y[i], x[i]);
      }
      if (name == "sigmoid_forward") {
        check.same("sigmoid(100)", 0, y[30], 1.0f);
        check.same("sigmoid(-100)", 0, y[31], 0.0f);
        check.same("sigmoid(inf)", 0, y[36], 1.0f);
        check.same("sigmoid(-inf)", 0, y[37], 0.0f);
        check.same("sigmoid(0)", 0, y[0], 0.5f);
      }
      if (name == "tanh_forward") {
        check.same("tanh(100)", 0, y[30], 1.0f);
        check.same("tanh(-100)", 0, y[31], -1.0f);
        check.same("tanh(inf)", 0, y[36], 1.0f);
        check.same("tanh(-inf)", 0, y[37], -1.0f);
        check.same("tanh(tiny)", 0, y[2], tiny);
      }
      if (name == "relu_forward") check.same("relu(-0)", 0, y[1], 0.0f);
    }
  }
}

// A dense sweep of [-20, 20], and every 4099th float bit pattern, so every binade of both signs,
// subnormals, infinities and NaNs included.
TEST(Activations, ForwardSweepsMatchDouble) {
  std::vector<float> x;
  for (int i = -20 * 4096; i <= 20 * 4096; ++i) x.push_back(static_cast<float>(i) / 4096.0f);
  for (uint64_t b = 0; b < (1ull << 32); b += 4099) {
    const uint32_t bits = static_cast<uint32_t>(b);
    float f;
    std::memcpy(&f, &bits, 4);
    x.push_back(f);
  }
  std::vector<float> y(x.size());
  for (const auto& k : kActivationForward) {
    for (bool is_simd : {false, true}) {
      (is_simd ? k.simd : k.ref)(y.data(), x.data(), x.size());
      Check check(std::string(k.name) + (is_simd ? " simd" : " ref") + " sweep");
      check_activation(check, k.name, is_simd, x.data(), y.data(), x.size());
    }
  }
}

TEST(Activations, ForwardSimdAgreesWithRefOnAllSizes) {
  for (const auto& k : kActivationForward) {
    for (int n : kSizes) {
      Rng rng(seed_of({9, n}));
      const auto x = rng.uniform(sz(n), -12, 12);
      auto ref = nans(sz(n)), simd = nans(sz(n));
      k.ref(ref.data(), x.data(), sz(n));
      k.simd(simd.data(), x.data(), sz(n));
      Check check(name_of(k, "n=" + std::to_string(n)));
      // Both within their bounds of the exact value, so within the sum of the two of each other
      // (plus one: the ulp is measured at ref, not at the exact value).
      const double bound = 2 * max_ulps(k.name) + 1;
      for (size_t i = 0; i < sz(n); ++i) check.ulps("simd-ref", i, x[i], simd[i], ref[i], bound);
    }
  }
}

TEST(Activations, BackwardMatchesRefExactlyAndDouble) {
  for (const auto& k : kActivationBackward) {
    const std::string name = k.name;
    for (int n : kSizes) {
      Rng rng(seed_of({10, n}));
      const auto dout = rng.uniform(sz(n), -2, 2);
      auto out = name == "relu_backward" ? rng.uniform(sz(n), -1, 1)
                 : name == "sigmoid_backward" ? rng.uniform(sz(n), 0, 1)
                                              : rng.uniform(sz(n), -1, 1);
      if (n > 3) {  // the edges of each output range
        out[0] = name == "sigmoid_backward" ? 1.0f : -1.0f;
        out[1] = 1.0f;
        out[2] = 0.0f;
      }
      auto ref = nans(sz(n)), simd = nans(sz(n));
      k.ref(ref.data(), dout.data(), out.data(), sz(n));
      k.simd(simd.data(), dout.data(), out.data(), sz(n));
      Check check(name_of(k, "n=" + std::to_string(n)));
      for (size_t i = 0; i < sz(n); ++i) {
        const double dy = dout[i], y = out[i];
        check.same("dinp", i, simd[i], ref[i]);
        if (name == "relu_backward") {
          check.same("dinp ref", i, ref[i], y <= 0 ? 0.0f : dout[i]);
        } else if (name == "sigmoid_backward") {
          const double want = dy * y * (1 - y);
          check.close("dinp ref", i, ref[i], want, gamma_f(3) * std::abs(want));
        } else {
          const double want = dy * (1 - y * y);
          check.close("dinp ref", i, ref[i], want,
                      gamma_f(3) * std::abs(dy) * (y * y + std::abs(1 - y * y)));
        }
      }
    }
  }
}

TEST(Activations, ReluPassesNaNForwardAndGradientThroughLiveUnits) {
  const float x[] = {kNaN, -1.0f, 2.0f, -0.0f, kNaN};
  for (const auto& k : kActivationForward) {
    if (std::string(k.name) != "relu_forward") continue;
    for (auto fn : {k.ref, k.simd}) {
      float y[5];
      fn(y, x, 5);
      EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[4]));
      EXPECT_EQ(y[1], 0.0f);
      EXPECT_EQ(y[2], 2.0f);
      EXPECT_FALSE(std::signbit(y[3]));
    }
  }
  // torch's threshold_backward: dead units (out <= 0) give exactly 0 even for an inf gradient.
  const float out[] = {0.0f, -1.0f, 2.0f, 3.0f, kNaN};
  const float dout[] = {kInf, kNaN, 5.0f, -kInf, 7.0f};
  for (const auto& k : kActivationBackward) {
    if (std::string(k.name) != "relu_backward") continue;
    for (auto fn : {k.ref, k.simd}) {
      float dx[5];
      fn(dx, dout, out, 5);
      EXPECT_EQ(dx[0], 0.0f);
      EXPECT_EQ(dx[1], 0.0f);
      EXPECT_EQ(dx[2], 5.0f);
      EXPECT_EQ(dx[3], -kInf);
      EXPECT_EQ(dx[4], 7.0f);
    }
  }
}

// ---- SGD ----------------------------------------------------------------------------------------

TEST(Sgd, SimdEqualsRefBitForBitAndRefMatchesDouble) {
  struct Opts {
    float momentum, dampening, weight_decay;
    bool nesterov, buf_init;
  };
  std::vector<Opts> all;
  for (float m : {0.0f, 0.9f})
    for (float damp : {0.0f, 0.25f})
      for (float wd : {0.0f, 0.01f})
        for (bool nest : {false, true})
          for (bool init : {false, true})
            if (m != 0.0f || (!nest && !init && damp == 0.0f)) all.push_back({m, damp, wd, nest, init});
  const float lr = 0.05f;
  for (const auto& k : kSgdStep) {
    for (const Opts& o : all) {
      for (int n : kSizes) {
        Rng rng(seed_of({11, n}));
        const auto p0 = rng.uniform(sz(n), -1, 1), g = rng.uniform(sz(n), -1, 1);
        const auto b0 = rng.uniform(sz(n), -1, 1);
        auto p_ref = p0, p_simd = p0, b_ref = b0, b_simd = b0;
        const bool mom = o.momentum != 0.0f;
        k.ref(p_ref.data(), mom ? b_ref.data() : nullptr, g.data(), lr, o.momentum, o.dampening,
              o.weight_decay, o.nesterov, o.buf_init, sz(n));
        k.simd(p_simd.data(), mom ? b_simd.data() : nullptr, g.data(), lr, o.momentum, o.dampening,
               o.weight_decay, o.nesterov, o.buf_init, sz(n));
        Check check(name_of(k, "n=" + std::to_string(n) + " momentum " + std::to_string(o.momentum) +
                                   " dampening " + std::to_string(o.dampening) + " wd " +
                                   std::to_string(o.weight_decay) + (o.nesterov ? " nesterov" : "") +
                                   (o.buf_init ? " buf_init" : "")));
        for (size_t i = 0; i < sz(n); ++i) {
          check.same("param", i, p_simd[i], p_ref[i]);
          check.same("buf", i, b_simd[i], b_ref[i]);
          // The same update in double; each float operation rounds its result once.
          double d = g[i] + static_cast<double>(o.weight_decay) * p0[i];
          double dmag = std::abs(g[i]) + std::abs(static_cast<double>(o.weight_decay) * p0[i]);
          if (mom) {
            const double b = o.buf_init ? o.momentum * static_cast<double>(b0[i]) +
                                              (1.0 - static_cast<double>(o.dampening)) * d
                                        : d;
            const double bmag = o.buf_init ? std::abs(o.momentum * static_cast<double>(b0[i])) +
                                                 std::abs((1.0 - o.dampening) * dmag)
                                           : dmag;
            check.close("buf ref", i, b_ref[i], b, gamma_f(6) * bmag);
            d = o.nesterov ? d + o.momentum * b : b;
            dmag = o.nesterov ? dmag + o.momentum * bmag : bmag;
          } else {
            check.same("buf untouched", i, b_ref[i], b0[i]);
          }
          check.close("param ref", i, p_ref[i], p0[i] - lr * d,
                      gamma_f(10) * (std::abs(p0[i]) + lr * dmag));
        }
      }
    }
  }
}

TEST(Sgd, ZeroWeightDecayIgnoresInfiniteParams) {
  for (const auto& k : kSgdStep) {
    for (auto fn : {k.ref, k.simd}) {
      std::vector<float> p(5, kInf);
      const std::vector<float> g(5, 1.0f);
      fn(p.data(), nullptr, g.data(), 0.1f, 0.0f, 0.0f, 0.0f, false, false, p.size());
      for (float v : p) EXPECT_EQ(v, kInf) << k.name;
    }
  }
}

}  // namespace
}  // namespace bn::kernels
