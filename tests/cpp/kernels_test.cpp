// Kernel tests: every _simd against its _ref, and every _ref against a plain double-precision
// computation. Each test suite is parameterised over the kernels of one signature of the list
// (kernels/kernels.inc, through kernel_table.h) and each instance is named by its kernel, so a
// failure reads e.g. `BnStats.MatchesRefAndDouble/bn_stats_simd`. The _ref instance checks the
// ref against double precision; the _simd instance checks the SIMD kernel against its ref.
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
#include <cfloat>
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

// One kernel of the list under test: an op's ref or its simd, with the ref to compare against.
template <class Fn>
struct Kernel {
  Op op;
  std::string name;  // e.g. "bn_stats_simd"
  bool simd;
  Fn* fn;   // the kernel under test
  Fn* ref;  // its reference (fn itself for a ref)
};
template <class Fn>
void PrintTo(const Kernel<Fn>& k, std::ostream* os) {
  *os << k.name;
}

// The kernels of signature Fn (only those of `ops` if given), both variants of each, in list order.
template <class Fn>
std::vector<Kernel<Fn>> kernels_of(std::initializer_list<Op> ops = {}, bool simd_only = false) {
  std::vector<Kernel<Fn>> v;
  for (const auto& p : kPairs<Fn>) {
    if (ops.size() != 0 && std::find(ops.begin(), ops.end(), p.op) == ops.end()) continue;
    if (!simd_only) v.push_back({p.op, std::string(p.name) + "_ref", false, p.ref, p.ref});
    if (p.simd) v.push_back({p.op, std::string(p.name) + "_simd", true, p.simd, p.ref});
  }
  return v;
}

struct KernelName {
  template <class P>
  std::string operator()(const ::testing::TestParamInfo<P>& info) const {
    return info.param.name;
  }
};

template <class Fn>
class KernelTest : public ::testing::TestWithParam<Kernel<Fn>> {
 protected:
  const Kernel<Fn>& k() const { return this->GetParam(); }
  std::string name_of(const std::string& detail) const { return k().name + " " + detail; }
};

#define BN_KERNEL_SUITE(Suite, Fn, ...)                         \
  class Suite : public KernelTest<Fn> {};                       \
  INSTANTIATE_TEST_SUITE_P(Kernels, Suite, ::testing::ValuesIn(kernels_of<Fn>(__VA_ARGS__)), \
                           KernelName())

BN_KERNEL_SUITE(LinearForward, LinearForwardFn);
BN_KERNEL_SUITE(LinearBackwardInput, LinearBackwardInputFn);
BN_KERNEL_SUITE(LinearBackwardParams, LinearBackwardParamsFn);
BN_KERNEL_SUITE(BnStats, BnStatsFn);
BN_KERNEL_SUITE(BnForward, BnForwardFn);
BN_KERNEL_SUITE(BnBackward, BnBackwardFn);
BN_KERNEL_SUITE(ActivationForward, ActivationForwardFn);
// SIMD against ref only: a ref compared with itself would check nothing.
BN_KERNEL_SUITE(ActivationForwardVsRef, ActivationForwardFn, {}, true);
BN_KERNEL_SUITE(ActivationBackward, ActivationBackwardFn);
BN_KERNEL_SUITE(ReluForward, ActivationForwardFn, {Op::relu_forward});
BN_KERNEL_SUITE(ReluBackward, ActivationBackwardFn, {Op::relu_backward});
BN_KERNEL_SUITE(SgdStep, SgdStepFn);

#undef BN_KERNEL_SUITE

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

// ---- The list ---------------------------------------------------------------------------------

TEST(KernelList, ListsEveryKernelOnceWithBothVariants) {
  std::set<std::string> names;
  int pairs = 0;
  auto add = [&](const auto& list) {
    for (const auto& p : list) {
      EXPECT_TRUE(names.insert(p.name).second) << p.name << " listed twice";
      EXPECT_STREQ(p.name, op_name(p.op));
      EXPECT_NE(p.ref, nullptr) << p.name;
      EXPECT_NE(p.simd, nullptr) << p.name << " (this test binary links the SIMD engine)";
      ++pairs;
    }
  };
  for (int s = 0; s < kSignatureCount; ++s)
    with_signature(static_cast<Signature>(s), [&](auto tag) {
      add(kPairs<typename decltype(tag)::type>);
      return 0;
    });
  const std::set<std::string> all(std::begin(kOpNames), std::end(kOpNames));
  EXPECT_EQ(names, all);
  EXPECT_EQ(pairs, 14);
  EXPECT_EQ(kOpCount, 14);
}

// Every kernel of the list, in both variants, is the parameter of at least one test here: a
// kernel added to kernels.inc fails this until a suite above covers it.
TEST(KernelList, EveryKernelIsTestedInBothVariants) {
  std::set<std::string> tested;
  const auto* unit = ::testing::UnitTest::GetInstance();
  for (int i = 0; i < unit->total_test_suite_count(); ++i) {
    const auto* suite = unit->GetTestSuite(i);
    for (int j = 0; j < suite->total_test_count(); ++j) {
      const std::string name = suite->GetTestInfo(j)->name();
      const size_t slash = name.rfind('/');
      if (slash != std::string::npos) tested.insert(name.substr(slash + 1));
    }
  }
  for (const char* op : kOpNames)
    for (const char* variant : {"_ref", "_simd"})
      EXPECT_EQ(tested.count(std::string(op) + variant), 1u) << op << variant << " has no test";
}

TEST_P(LinearForward, MatchesRefAndDouble) {
  for (const Dims3& d : linear_shapes()) {
    const int N = d.a, IN = d.b, OUT = d.c;
    for (bool has_bias : {true, false}) {
      Rng rng(seed_of({1, N, IN, OUT, has_bias}));
      const auto inp = rng.uniform(sz(N, IN), -1, 1);
      const auto w = rng.uniform(sz(OUT, IN), -1, 1);
      const auto b = rng.uniform(sz(OUT), -1, 1);
      const float* bias = has_bias ? b.data() : nullptr;
      auto got = nans(sz(N, OUT)), ref = nans(sz(N, OUT));
      k().fn(got.data(), inp.data(), w.data(), bias, N, IN, OUT);
      k().ref(ref.data(), inp.data(), w.data(), bias, N, IN, OUT);
      Check check(name_of(shape("N,IN,OUT", {N, IN, OUT}) + (has_bias ? " bias" : "")));
      for (int n = 0; n < N; ++n) {
        for (int o = 0; o < OUT; ++o) {
          double want = has_bias ? b[sz(o)] : 0.0, mag = std::abs(want);
          for (int i = 0; i < IN; ++i) {
            const double t = static_cast<double>(inp[sz(n, IN) + sz(i)]) * w[sz(o, IN) + sz(i)];
            want += t;
            mag += std::abs(t);
          }
          const size_t j = sz(n, OUT) + sz(o);
          if (!k().simd) {
            check.close("ref", j, got[j], want, kU * std::abs(want) + gamma_d(IN + 1) * mag);
          } else {
            // IN products and a bias: IN + 1 terms; one more u for the ref's own rounding.
            check.close("simd-ref", j, got[j], ref[j], gamma_f(IN + 2) * mag);
          }
        }
      }
    }
  }
}

// Small integers: every product and partial sum is an exact float, so any order gives the exact
// result, and simd must equal ref exactly (and both the exact value). A dropped or doubled term
// cannot hide in a tolerance. The three Linear suites draw the same inputs.
struct IntegerLinear {
  explicit IntegerLinear(const Dims3& d) : N(d.a), IN(d.b), OUT(d.c) {
    Rng rng(seed_of({2, N, IN, OUT}));
    inp = rng.integers(sz(N, IN), -4, 4);
    w = rng.integers(sz(OUT, IN), -4, 4);
    b = rng.integers(sz(OUT), -4, 4);
    dout = rng.integers(sz(N, OUT), -4, 4);
  }
  int N, IN, OUT;
  std::vector<float> inp, w, b, dout;
};

TEST_P(LinearForward, ExactOnIntegerInputs) {
  for (const Dims3& d : linear_shapes()) {
    const IntegerLinear x(d);
    const int N = x.N, IN = x.IN, OUT = x.OUT;
    auto got = nans(sz(N, OUT)), ref = nans(sz(N, OUT));
    k().fn(got.data(), x.inp.data(), x.w.data(), x.b.data(), N, IN, OUT);
    k().ref(ref.data(), x.inp.data(), x.w.data(), x.b.data(), N, IN, OUT);
    Check check(name_of(shape("N,IN,OUT", {N, IN, OUT})));
    for (int n = 0; n < N; ++n) {
      for (int o = 0; o < OUT; ++o) {
        double want = x.b[sz(o)];
        for (int i = 0; i < IN; ++i) want += static_cast<double>(x.inp[sz(n, IN) + sz(i)]) * x.w[sz(o, IN) + sz(i)];
        const size_t j = sz(n, OUT) + sz(o);
        check.same("out", j, got[j], ref[j]);
        check.same("out exact", j, got[j], static_cast<float>(want));
      }
    }
  }
}

TEST_P(LinearBackwardInput, ExactOnIntegerInputs) {
  for (const Dims3& d : linear_shapes()) {
    const IntegerLinear x(d);
    const int N = x.N, IN = x.IN, OUT = x.OUT;
    auto got = nans(sz(N, IN)), ref = nans(sz(N, IN));
    k().fn(got.data(), x.dout.data(), x.w.data(), N, IN, OUT);
    k().ref(ref.data(), x.dout.data(), x.w.data(), N, IN, OUT);
    Check check(name_of(shape("N,IN,OUT", {N, IN, OUT})));
    for (int n = 0; n < N; ++n) {
      for (int i = 0; i < IN; ++i) {
        double want = 0.0;
        for (int o = 0; o < OUT; ++o) want += static_cast<double>(x.dout[sz(n, OUT) + sz(o)]) * x.w[sz(o, IN) + sz(i)];
        const size_t j = sz(n, IN) + sz(i);
        check.same("dinp", j, got[j], ref[j]);
        check.same("dinp exact", j, got[j], static_cast<float>(want));
      }
    }
  }
}

TEST_P(LinearBackwardParams, ExactOnIntegerInputs) {
  for (const Dims3& d : linear_shapes()) {
    const IntegerLinear x(d);
    const int N = x.N, IN = x.IN, OUT = x.OUT;
    // Called twice from zero: the second call must add exactly the first call's gradient.
    std::vector<float> dw_ref(sz(OUT, IN), 0.0f), db_ref(sz(OUT), 0.0f);
    std::vector<float> dw = dw_ref, db = db_ref;
    k().ref(dw_ref.data(), db_ref.data(), x.dout.data(), x.inp.data(), N, IN, OUT);
    k().fn(dw.data(), db.data(), x.dout.data(), x.inp.data(), N, IN, OUT);
    const auto dw_once = dw, db_once = db;
    k().fn(dw.data(), db.data(), x.dout.data(), x.inp.data(), N, IN, OUT);
    Check check(name_of(shape("N,IN,OUT", {N, IN, OUT})));
    for (int o = 0; o < OUT; ++o) {
      double sum_b = 0.0;
      for (int n = 0; n < N; ++n) sum_b += x.dout[sz(n, OUT) + sz(o)];
      for (int i = 0; i < IN; ++i) {
        double want = 0.0;
        for (int n = 0; n < N; ++n) want += static_cast<double>(x.dout[sz(n, OUT) + sz(o)]) * x.inp[sz(n, IN) + sz(i)];
        const size_t j = sz(o, IN) + sz(i);
        check.same("dweight", j, dw_once[j], dw_ref[j]);
        check.same("dweight exact", j, dw_once[j], static_cast<float>(want));
        check.same("dweight after 2 calls", j, dw[j], 2.0f * dw_once[j]);
      }
      const size_t j = sz(o);
      check.same("dbias", j, db_once[j], db_ref[j]);
      check.same("dbias exact", j, db_once[j], static_cast<float>(sum_b));
      check.same("dbias after 2 calls", j, db[j], 2.0f * db_once[j]);
    }
  }
}

TEST_P(LinearBackwardInput, OverwritesAndMatches) {
  for (const Dims3& d : linear_shapes()) {
    const int N = d.a, IN = d.b, OUT = d.c;
    Rng rng(seed_of({3, N, IN, OUT}));
    const auto dout = rng.uniform(sz(N, OUT), -1, 1);
    const auto w = rng.uniform(sz(OUT, IN), -1, 1);
    // dinp starts as NaN: anything added to instead of overwritten stays NaN and fails.
    auto got = nans(sz(N, IN)), ref = nans(sz(N, IN));
    k().fn(got.data(), dout.data(), w.data(), N, IN, OUT);
    k().ref(ref.data(), dout.data(), w.data(), N, IN, OUT);
    Check check(name_of(shape("N,IN,OUT", {N, IN, OUT})));
    for (int n = 0; n < N; ++n) {
      for (int i = 0; i < IN; ++i) {
        double want = 0.0, mag = 0.0;
        for (int o = 0; o < OUT; ++o) {
          const double t = static_cast<double>(dout[sz(n, OUT) + sz(o)]) * w[sz(o, IN) + sz(i)];
          want += t;
          mag += std::abs(t);
        }
        const size_t j = sz(n, IN) + sz(i);
        if (!k().simd)
          check.close("ref", j, got[j], want, kU * std::abs(want) + gamma_d(OUT) * mag);
        else
          check.close("simd-ref", j, got[j], ref[j], gamma_f(OUT + 1) * mag);
      }
    }
  }
}

TEST_P(LinearBackwardParams, AccumulatesAndMatches) {
  for (const Dims3& d : linear_shapes()) {
    const int N = d.a, IN = d.b, OUT = d.c;
    for (bool has_dbias : {true, false}) {
      Rng rng(seed_of({4, N, IN, OUT, has_dbias}));
      const auto dout = rng.uniform(sz(N, OUT), -1, 1);
      const auto inp = rng.uniform(sz(N, IN), -1, 1);
      // Nonzero starting gradients: the kernel must add to them (+=), not replace them.
      const auto dw0 = rng.uniform(sz(OUT, IN), 1, 2);
      const auto db0 = rng.uniform(sz(OUT), 1, 2);
      auto dw = dw0, dw_ref = dw0, db = db0, db_ref = db0;
      k().fn(dw.data(), has_dbias ? db.data() : nullptr, dout.data(), inp.data(), N, IN, OUT);
      k().ref(dw_ref.data(), has_dbias ? db_ref.data() : nullptr, dout.data(), inp.data(), N, IN, OUT);
      Check check(name_of(shape("N,IN,OUT", {N, IN, OUT}) + (has_dbias ? " dbias" : "")));
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
          if (!k().simd)  // ref: the double sum rounded, then one float add.
            check.close("dweight ref", j, dw[j], want, gamma_f(2) * mag + gamma_d(N) * mag);
          else  // simd: N products, N - 1 adds, then the add to dw0.
            check.close("dweight simd-ref", j, dw[j], dw_ref[j], gamma_f(N + 3) * mag);
        }
        double sum = 0.0, mag = std::abs(db0[sz(o)]);
        for (int n = 0; n < N; ++n) {
          sum += dout[sz(n, OUT) + sz(o)];
          mag += std::abs(dout[sz(n, OUT) + sz(o)]);
        }
        if (!has_dbias)
          check.same("dbias untouched", sz(o), db[sz(o)], db0[sz(o)]);
        else if (!k().simd)
          check.close("dbias ref", sz(o), db[sz(o)], db0[sz(o)] + sum, gamma_f(2) * mag);
        else
          check.close("dbias simd-ref", sz(o), db[sz(o)], db_ref[sz(o)], gamma_f(N + 2) * mag);
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


TEST_P(BnStats, MatchesRefAndDouble) {
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
    auto mean = nans(sz(C)), var = nans(sz(C));
    k().fn(mean.data(), var.data(), x.data(), N, C, S);
    Check check(name_of(shape("N,C,S", {N, C, S})));
    for (int c = 0; c < C; ++c) {
      const ChannelTruth t = channel_truth(x, N, C, S, c);
      const size_t j = sz(c);
      if (!k().simd) {
        // ref: double sums, one rounding to float each.
        check.close("mean ref", j, mean[j], t.mean, kU * std::abs(t.mean) + 1e-15 * t.mad);
        check.close("var ref", j, var[j], t.var, kU * t.var + 1e-15 * t.var);
      } else {
        check.close("mean simd", j, mean[j], t.mean, mean_tolerance(t, M));
        check.close("var simd", j, var[j], t.var, var_tolerance(t, M));
        check.truth("var simd >= 0", var[j] >= 0.0f);
      }
    }
  }
}

// A channel far from 0 relative to its spread is where a naive E[x²] - E[x]² loses every digit and
// an uncorrected two-pass loses several; the corrected two-pass keeps float round-off, and the
// blocked pairwise sums keep it there for M up to 2^20. Observed: var within 1.1e-7 relative for
// the SIMD kernel, 4.6e-8 (one rounding) for the ref; mean within 4.6e-8 for both. Asserted: mean
// within 2u·|mean| (about one ulp), var within 5e-7 (8u) relative.
TEST_P(BnStats, StayAccurateForLargeMeanAndLargeM) {
  struct Case {
    int N, C, S;
    float center, spread;
  };
  const Case cases[] = {
      {1000, 3, 1, 10000.0f, 1.0f},  {8, 3, 125, 10000.0f, 1.0f},  {1000, 3, 1, 1e-4f, 1e-6f},
      {8, 3, 125, 1e-4f, 1e-6f},     {1000, 3, 1, 1e4f, 0.01f},    {8, 3, 125, 1e4f, 0.01f},
      {1 << 18, 5, 1, 10000.0f, 1.0f}, {16, 2, 1 << 16, 10000.0f, 1.0f}, {64, 17, 1, 1000.f, 1.f},
      {17, 2, 4099, -3000.0f, 2.0f}};
  for (const Case& cs : cases) {
    const int N = cs.N, C = cs.C, S = cs.S;
    Rng rng(seed_of({6, N, C, S}));
    std::vector<float> x(sz(N, C, S));
    for (float& v : x) v = cs.center + cs.spread * rng.uniform(-1, 1);
    std::vector<float> mean(sz(C)), var(sz(C));
    k().fn(mean.data(), var.data(), x.data(), N, C, S);
    Check check(name_of(shape("N,C,S", {N, C, S}) + " center " + std::to_string(cs.center)));
    for (int c = 0; c < C; ++c) {
      const ChannelTruth t = channel_truth(x, N, C, S, c);
      check.close("mean", sz(c), mean[sz(c)], t.mean, 2 * kU * std::abs(t.mean));
      check.close("var", sz(c), var[sz(c)], t.var, 5e-7 * t.var);
    }
  }
}

TEST_P(BnStats, OfConstantChannelAreExact) {
  for (const Dims3& d : std::vector<Dims3>{{1, 3, 1}, {3, 5, 1}, {1000, 17, 1}, {3, 2, 17},
                                           {64, 3, 1000}, {1 << 16, 4, 1}}) {
    const int N = d.a, C = d.b, S = d.c;
    // Values whose float sums round: a float Σx/M would miss them by an ulp or more.
    const float values[] = {0.1f, -12345.678f, 3.3333333e-5f, 7.0f};
    std::vector<float> x(sz(N, C, S));
    for (int n = 0; n < N; ++n)
      for (int c = 0; c < C; ++c)
        for (int s = 0; s < S; ++s) x[at(n, c, s, C, S)] = values[c % 4];
    auto mean = nans(sz(C)), var = nans(sz(C));
    k().fn(mean.data(), var.data(), x.data(), N, C, S);
    Check check(name_of(shape("N,C,S", {N, C, S})));
    for (int c = 0; c < C; ++c) {
      check.same("mean", sz(c), mean[sz(c)], values[c % 4]);
      check.same("var", sz(c), var[sz(c)], 0.0f);
    }
  }
}

// Finite values whose squares (and sums) overflow float32: the mean is finite and matches double,
// and the variance is +inf exactly when the true variance exceeds float32's range (torch's
// answer), finite and accurate otherwise. On the awkward sizes, both variants.
TEST_P(BnStats, AreScaleSafeAtTheEdgeOfFloat) {
  const float big[] = {3e38f, -3e38f, 1e20f, -2e19f, 1e19f};
  for (const Dims3& d : std::vector<Dims3>{{1, 1, 3}, {3, 1, 1}, {4, 3, 1}, {5, 5, 1}, {17, 2, 3},
                                           {64, 4, 1}, {1000, 3, 1}, {3, 2, 1000}}) {
    const int N = d.a, C = d.b, S = d.c;
    std::vector<float> x(sz(N, C, S));
    for (size_t i = 0; i < x.size(); ++i) x[i] = big[(i * 7) % 5] * (i % 3 == 0 ? 1.0f : 0.5f);
    auto mean = nans(sz(C)), var = nans(sz(C));
    k().fn(mean.data(), var.data(), x.data(), N, C, S);
    Check check(name_of(shape("N,C,S", {N, C, S})));
    for (int c = 0; c < C; ++c) {
      const ChannelTruth t = channel_truth(x, N, C, S, c);
      check.truth("mean finite", std::isfinite(mean[sz(c)]));
      check.close("mean", sz(c), mean[sz(c)], t.mean, 2 * kU * std::abs(t.mean) + 1e-6 * t.mad);
      if (t.var > FLT_MAX)
        check.truth("var +inf beyond float32", var[sz(c)] == INFINITY);
      else
        check.close("var", sz(c), var[sz(c)], t.var, 4 * kU * t.var);
    }
  }
}

TEST_P(BnForward, MatchesRefExactlyAndDouble) {
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
      auto out = nans(x.size()), out_ref = nans(x.size());
      auto xh_got = nans(x.size()), xh_ref = nans(x.size());
      k().fn(out.data(), with_xhat ? xh_got.data() : nullptr, x.data(), mean.data(), invstd.data(),
             g, b, N, C, S);
      k().ref(out_ref.data(), with_xhat ? xh_ref.data() : nullptr, x.data(), mean.data(),
              invstd.data(), g, b, N, C, S);
      Check check(name_of(shape("N,C,S", {N, C, S}) + " variant " + std::to_string(variant)));
      for (int n = 0; n < N; ++n) {
        for (int c = 0; c < C; ++c) {
          const double gc = g ? g[c] : 1.0, bc = b ? b[c] : 0.0;
          for (int s = 0; s < S; ++s) {
            const size_t j = at(n, c, s, C, S);
            const double xh = (static_cast<double>(x[j]) - mean[sz(c)]) * invstd[sz(c)];
            if (!k().simd)
              check.close("out ref", j, out[j], xh * gc + bc,
                          gamma_f(4) * (std::abs(xh * gc) + std::abs(bc)));
            else
              check.same("out", j, out[j], out_ref[j]);
            if (!with_xhat)
              check.truth("xhat untouched", std::isnan(xh_got[j]));
            else if (!k().simd)
              check.close("xhat ref", j, xh_got[j], xh, gamma_f(2) * std::abs(xh));
            else
              check.same("xhat", j, xh_got[j], xh_ref[j]);
          }
        }
      }
    }
  }
}

TEST_P(BnBackward, MatchesRefAndDouble) {
  const bool eval = k().op == Op::bn_backward_eval;
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
      auto dinp = nans(dout.size()), dinp_ref = nans(dout.size());
      auto dg = dgamma0, dg_ref = dgamma0, db = dbeta0, db_ref = dbeta0;
      k().fn(dinp.data(), grads < 2 ? dg.data() : nullptr, grads < 1 ? db.data() : nullptr,
             dout.data(), xhat.data(), invstd.data(), g, N, C, S);
      k().ref(dinp_ref.data(), grads < 2 ? dg_ref.data() : nullptr,
              grads < 1 ? db_ref.data() : nullptr, dout.data(), xhat.data(), invstd.data(), g, N,
              C, S);
      Check check(name_of(shape("N,C,S", {N, C, S}) + " variant " + std::to_string(variant)));
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
              if (!k().simd)
                check.close("dinp ref", j, dinp[j], dout[j] * kc, gamma_f(2) * std::abs(dout[j] * kc));
              else
                check.same("dinp", j, dinp[j], dinp_ref[j]);
              continue;
            }
            const double mdy = sdy / M, mdyx = sdyx / M;
            const double want = kc * (dout[j] - mdy - xhat[j] * mdyx);
            // Float elementwise on rounded means: k, two subtractions, two products.
            const double terms = std::abs(dout[j]) + std::abs(mdy) + std::abs(xhat[j] * mdyx);
            const double ref_tol = gamma_f(6) * std::abs(kc) * terms;
            if (!k().simd) {
              check.close("dinp ref", j, dinp[j], want, ref_tol);
            } else {
              // simd's means carry its float sums' error too.
              const double sum_err =
                  gamma_f(M + 1) * (mag_dy + std::abs(xhat[j]) * mag_dyx) / M;
              check.close("dinp simd-ref", j, dinp[j], dinp_ref[j],
                          2 * ref_tol + std::abs(kc) * sum_err);
            }
          }
        }
        const size_t j = sz(c);
        if (grads < 2) {
          const double mag = std::abs(dgamma0[j]) + mag_dyx;
          if (!k().simd)
            check.close("dgamma ref", j, dg[j], dgamma0[j] + sdyx, gamma_f(2) * mag);
          else
            check.close("dgamma simd-ref", j, dg[j], dg_ref[j], gamma_f(M + 3) * mag);
        }
        if (grads < 1) {
          const double mag = std::abs(dbeta0[j]) + mag_dy;
          if (!k().simd)
            check.close("dbeta ref", j, db[j], dbeta0[j] + sdy, gamma_f(2) * mag);
          else
            check.close("dbeta simd-ref", j, db[j], db_ref[j], gamma_f(M + 2) * mag);
        } else {
          check.same("dbeta untouched", j, db[j], dbeta0[j]);
        }
        if (grads == 2) check.same("dgamma untouched", j, dg[j], dgamma0[j]);
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


TEST_P(ActivationForward, SpecialValues) {
  const float tiny = std::numeric_limits<float>::denorm_min();
  const float fmin = std::numeric_limits<float>::min();
  const float fmax = std::numeric_limits<float>::max();
  const std::vector<float> x = {0.0f,   -0.0f,  tiny,   -tiny,  fmin,  -fmin,  1e-30f, -1e-30f,
                                1e-8f,  -1e-8f, 1e-4f,  -1e-4f, 0.5f,  -0.5f,  0.625f, -0.625f,
                                1.0f,   -1.0f,  10.0f,  -10.0f, 20.0f, -20.0f, 44.0f,  -44.0f,
                                87.0f,  -87.0f, 88.7f,  -88.7f, 89.0f, -89.0f, 100.0f, -100.0f,
                                1e10f,  -1e10f, fmax,   -fmax,  kInf,  -kInf,  kNaN,   -kNaN};
  const std::string name = op_name(k().op);
  auto y = nans(x.size());
  k().fn(y.data(), x.data(), x.size());
  Check check(name_of("special values"));
  check_activation(check, name, k().simd, x.data(), y.data(), x.size());
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

// A dense sweep of [-20, 20], and every 4099th float bit pattern, so every binade of both signs,
// subnormals, infinities and NaNs included.
TEST_P(ActivationForward, SweepsMatchDouble) {
  std::vector<float> x;
  for (int i = -20 * 4096; i <= 20 * 4096; ++i) x.push_back(static_cast<float>(i) / 4096.0f);
  for (uint64_t b = 0; b < (1ull << 32); b += 4099) {
    const uint32_t bits = static_cast<uint32_t>(b);
    float f;
    std::memcpy(&f, &bits, 4);
    x.push_back(f);
  }
  std::vector<float> y(x.size());
  k().fn(y.data(), x.data(), x.size());
  Check check(name_of("sweep"));
  check_activation(check, op_name(k().op), k().simd, x.data(), y.data(), x.size());
}

TEST_P(ActivationForwardVsRef, AgreesOnAllSizes) {
  for (int n : kSizes) {
    Rng rng(seed_of({9, n}));
    const auto x = rng.uniform(sz(n), -12, 12);
    auto ref = nans(sz(n)), got = nans(sz(n));
    k().ref(ref.data(), x.data(), sz(n));
    k().fn(got.data(), x.data(), sz(n));
    Check check(name_of("n=" + std::to_string(n)));
    // Both within their bounds of the exact value, so within the sum of the two of each other
    // (plus one: the ulp is measured at ref, not at the exact value).
    const double bound = 2 * max_ulps(op_name(k().op)) + 1;
    for (size_t i = 0; i < sz(n); ++i) check.ulps("simd-ref", i, x[i], got[i], ref[i], bound);
  }
}

TEST_P(ActivationBackward, MatchesRefExactlyAndDouble) {
  const std::string name = op_name(k().op);
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
    auto got = nans(sz(n)), ref = nans(sz(n));
    k().fn(got.data(), dout.data(), out.data(), sz(n));
    k().ref(ref.data(), dout.data(), out.data(), sz(n));
    Check check(name_of("n=" + std::to_string(n)));
    for (size_t i = 0; i < sz(n); ++i) {
      const double dy = dout[i], y = out[i];
      if (k().simd) {
        check.same("dinp", i, got[i], ref[i]);
      } else if (name == "relu_backward") {
        check.same("dinp ref", i, got[i], y <= 0 ? 0.0f : dout[i]);
      } else if (name == "sigmoid_backward") {
        const double want = dy * y * (1 - y);
        check.close("dinp ref", i, got[i], want, gamma_f(3) * std::abs(want));
      } else {
        const double want = dy * (1 - y * y);
        check.close("dinp ref", i, got[i], want,
                    gamma_f(3) * std::abs(dy) * (y * y + std::abs(1 - y * y)));
      }
    }
  }
}

TEST_P(ReluForward, PassesNaN) {
  const float x[] = {kNaN, -1.0f, 2.0f, -0.0f, kNaN};
  float y[5];
  k().fn(y, x, 5);
  EXPECT_TRUE(std::isnan(y[0]) && std::isnan(y[4]));
  EXPECT_EQ(y[1], 0.0f);
  EXPECT_EQ(y[2], 2.0f);
  EXPECT_FALSE(std::signbit(y[3]));
}

// torch's threshold_backward: dead units (out <= 0) give exactly 0 even for an inf gradient.
TEST_P(ReluBackward, PassesGradientThroughLiveUnitsOnly) {
  const float out[] = {0.0f, -1.0f, 2.0f, 3.0f, kNaN};
  const float dout[] = {kInf, kNaN, 5.0f, -kInf, 7.0f};
  float dx[5];
  k().fn(dx, dout, out, 5);
  EXPECT_EQ(dx[0], 0.0f);
  EXPECT_EQ(dx[1], 0.0f);
  EXPECT_EQ(dx[2], 5.0f);
  EXPECT_EQ(dx[3], -kInf);
  EXPECT_EQ(dx[4], 7.0f);
}

// ---- SGD ----------------------------------------------------------------------------------------

TEST_P(SgdStep, SimdEqualsRefBitForBitAndRefMatchesDouble) {
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
  for (const Opts& o : all) {
    for (int n : kSizes) {
      Rng rng(seed_of({11, n}));
      const auto p0 = rng.uniform(sz(n), -1, 1), g = rng.uniform(sz(n), -1, 1);
      const auto b0 = rng.uniform(sz(n), -1, 1);
      auto p = p0, p_ref = p0, b = b0, b_ref = b0;
      const bool mom = o.momentum != 0.0f;
      k().fn(p.data(), mom ? b.data() : nullptr, g.data(), lr, o.momentum, o.dampening,
             o.weight_decay, o.nesterov, o.buf_init, sz(n));
      k().ref(p_ref.data(), mom ? b_ref.data() : nullptr, g.data(), lr, o.momentum, o.dampening,
              o.weight_decay, o.nesterov, o.buf_init, sz(n));
      Check check(name_of("n=" + std::to_string(n) + " momentum " + std::to_string(o.momentum) +
                          " dampening " + std::to_string(o.dampening) + " wd " +
                          std::to_string(o.weight_decay) + (o.nesterov ? " nesterov" : "") +
                          (o.buf_init ? " buf_init" : "")));
      for (size_t i = 0; i < sz(n); ++i) {
        if (k().simd) {
          check.same("param", i, p[i], p_ref[i]);
          check.same("buf", i, b[i], b_ref[i]);
          continue;
        }
        // The same update in double; each float operation rounds its result once.
        double d = g[i] + static_cast<double>(o.weight_decay) * p0[i];
        double dmag = std::abs(g[i]) + std::abs(static_cast<double>(o.weight_decay) * p0[i]);
        if (mom) {
          const double bw = o.buf_init ? o.momentum * static_cast<double>(b0[i]) +
                                             (1.0 - static_cast<double>(o.dampening)) * d
                                       : d;
          const double bmag = o.buf_init ? std::abs(o.momentum * static_cast<double>(b0[i])) +
                                               std::abs((1.0 - o.dampening) * dmag)
                                         : dmag;
          check.close("buf ref", i, b[i], bw, gamma_f(6) * bmag);
          d = o.nesterov ? d + o.momentum * bw : bw;
          dmag = o.nesterov ? dmag + o.momentum * bmag : bmag;
        } else {
          check.same("buf untouched", i, b[i], b0[i]);
        }
        check.close("param ref", i, p[i], p0[i] - lr * d,
                    gamma_f(10) * (std::abs(p0[i]) + lr * dmag));
      }
    }
  }
}

TEST_P(SgdStep, ZeroWeightDecayIgnoresInfiniteParams) {
  std::vector<float> p(5, kInf);
  const std::vector<float> g(5, 1.0f);
  k().fn(p.data(), nullptr, g.data(), 0.1f, 0.0f, 0.0f, 0.0f, false, false, p.size());
  for (float v : p) EXPECT_EQ(v, kInf);
}

}  // namespace
}  // namespace bn::kernels
