// Datasets: the toy sets (determinism, balance, ranges, exact separability without noise) and the
// BNDS parser (round trip, and a RangeError for every malformed input, never an out-of-bounds
// read: every input below sits in a heap block of exactly its length, so ASan sees any overrun).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "base/rng.h"

namespace bn {
namespace {

constexpr ToyKind kKinds[] = {ToyKind::Circle, ToyKind::Xor, ToyKind::Gauss, ToyKind::Spiral};

std::vector<float> features_of(const Dataset& d) { return {d.x.data(), d.x.data() + d.x.size()}; }
std::vector<int32_t> labels_of(const Dataset& d) { return {d.y.data(), d.y.data() + d.y.size()}; }

Dataset toy(ToyKind kind, int n, double noise, uint64_t seed) {
  Dataset d;
  const Status s = make_toy(&d, kind, n, noise, seed);
  EXPECT_TRUE(s.is_ok()) << toy_kind_name(kind) << ": " << s.message;
  return d;
}

TEST(ToyData, SameSeedSameData) {
  for (ToyKind kind : kKinds) {
    const Dataset a = toy(kind, 301, 0.3, 7), b = toy(kind, 301, 0.3, 7);
    EXPECT_EQ(features_of(a), features_of(b)) << toy_kind_name(kind);
    EXPECT_EQ(labels_of(a), labels_of(b)) << toy_kind_name(kind);
  }
}

TEST(ToyData, DifferentSeedsDiffer) {
  for (ToyKind kind : kKinds) {
    const Dataset a = toy(kind, 100, 0.3, 1), b = toy(kind, 100, 0.3, 2);
    int same = 0;
    for (size_t i = 0; i < a.x.size(); ++i) same += a.x[i] == b.x[i];
    EXPECT_EQ(same, 0) << toy_kind_name(kind);
  }
}

TEST(ToyData, ShapeAndBalancedLabels) {
  for (ToyKind kind : kKinds) {
    for (int n : {2, 3, 1000, 1001}) {
      const Dataset d = toy(kind, n, 0.5, 3);
      EXPECT_EQ(d.n, n);
      EXPECT_EQ(d.features, 2);
      EXPECT_EQ(d.classes, 2);
      EXPECT_EQ(d.height, 0);
      EXPECT_EQ(d.width, 0);
      ASSERT_EQ(d.x.size(), size_t{2} * n);
      ASSERT_EQ(d.y.size(), size_t(n));
      // Labels alternate, so every prefix is balanced and class 0 gets the odd one.
      for (int i = 0; i < n; ++i) ASSERT_EQ(d.y[i], i % 2);
      for (size_t i = 0; i < d.x.size(); ++i) ASSERT_TRUE(std::isfinite(d.x[i]));
    }
  }
}

// The bounds dataset.h documents: |x|, |y| <= 5 + offset for Circle, Xor and Spiral.
TEST(ToyData, PointsStayInDocumentedRange) {
  struct Case { ToyKind kind; double noise, bound; };
  const Case cases[] = {{ToyKind::Circle, 0, 5}, {ToyKind::Circle, 1, 7.5}, {ToyKind::Xor, 0, 5},
                        {ToyKind::Xor, 1, 7.5},  {ToyKind::Spiral, 0, 5}, {ToyKind::Spiral, 1, 6}};
  for (const Case& c : cases) {
    const Dataset d = toy(c.kind, 4000, c.noise, 11);
    float lo = 0, hi = 0;
    for (size_t i = 0; i < d.x.size(); ++i) {
      lo = std::min(lo, d.x[i]);
      hi = std::max(hi, d.x[i]);
    }
    EXPECT_GE(lo, -c.bound - 1e-5) << toy_kind_name(c.kind) << " noise " << c.noise;
    EXPECT_LE(hi, c.bound + 1e-5) << toy_kind_name(c.kind) << " noise " << c.noise;
    EXPECT_LT(lo, -0.8 * c.bound) << "the set should fill its range";
    EXPECT_GT(hi, 0.8 * c.bound) << "the set should fill its range";
  }
}

TEST(ToyData, CircleWithoutNoiseIsSplitByRadius) {
  const Dataset d = toy(ToyKind::Circle, 2000, 0.0, 5);
  for (int i = 0; i < d.n; ++i) {
    const double r = std::hypot(d.x[2 * i], d.x[2 * i + 1]);
    if (d.y[i] == 0) ASSERT_LE(r, 2.5 + 1e-5) << i;
    else ASSERT_GE(r, 3.5 - 1e-5) << i;
    ASSERT_LE(r, 5 + 1e-5) << i;
  }
}

TEST(ToyData, XorWithoutNoiseIsSplitBySignOfProduct) {
  const Dataset d = toy(ToyKind::Xor, 2000, 0.0, 5);
  for (int i = 0; i < d.n; ++i) {
    const float x = d.x[2 * i], y = d.x[2 * i + 1];
    ASSERT_GE(std::fabs(x), 0.3f - 1e-6f);
    ASSERT_GE(std::fabs(y), 0.3f - 1e-6f);
    ASSERT_EQ(x * y > 0, d.y[i] == 1) << i;
  }
}

TEST(ToyData, SpiralWithoutNoiseLiesOnItsArm) {
  const Dataset d = toy(ToyKind::Spiral, 2000, 0.0, 5);
  const double pi = 3.141592653589793;
  for (int i = 0; i < d.n; ++i) {
    const double x = d.x[2 * i], y = d.x[2 * i + 1];
    const double r = std::hypot(x, y);
    const double t = 3.5 * pi * (r / 5) + pi * d.y[i];
    ASSERT_NEAR(x, r * std::cos(t), 1e-4) << i;
    ASSERT_NEAR(y, r * std::sin(t), 1e-4) << i;
  }
}

TEST(ToyData, GaussClustersHaveDocumentedMeanAndSpread) {
  for (double noise : {0.0, 1.0}) {
    const Dataset d = toy(ToyKind::Gauss, 20000, noise, 9);
    const double s = 0.5 + 1.5 * noise;
    double sum[2][2] = {}, sq[2][2] = {};
    int wrong_side = 0;
    for (int i = 0; i < d.n; ++i)
      for (int j = 0; j < 2; ++j) {
        sum[d.y[i]][j] += d.x[2 * i + j];
        sq[d.y[i]][j] += double(d.x[2 * i + j]) * d.x[2 * i + j];
        if (j == 0) wrong_side += (d.x[2 * i] + d.x[2 * i + 1] > 0) != (d.y[i] == 1);
      }
    const double m = d.n / 2.0;
    for (int c = 0; c < 2; ++c)
      for (int j = 0; j < 2; ++j) {
        const double mean = sum[c][j] / m, sd = std::sqrt(sq[c][j] / m - mean * mean);
        // 5 standard errors: s / sqrt(m) for the mean, s / sqrt(2m) for the standard deviation.
        EXPECT_NEAR(mean, c == 0 ? -2.0 : 2.0, 5 * s / std::sqrt(m));
        EXPECT_NEAR(sd, s, 5 * s / std::sqrt(2 * m));
      }
    // The centres are 2.83 from the line x + y = 0: 5.7 s at noise 0 (error rate 1e-8), 1.4 s at
    // noise 1 (Phi(-1.41) = 7.9%).
    if (noise == 0) EXPECT_EQ(wrong_side, 0);
    else EXPECT_NEAR(wrong_side / double(d.n), 0.079, 0.01);
  }
}

TEST(ToyData, NoiseMakesClassesOverlap) {
  const Dataset c = toy(ToyKind::Circle, 2000, 1.0, 5);
  int inner_outside = 0;
  for (int i = 0; i < c.n; i += 2) inner_outside += std::hypot(c.x[2 * i], c.x[2 * i + 1]) > 3.5;
  EXPECT_GT(inner_outside, 0);
  const Dataset x = toy(ToyKind::Xor, 2000, 1.0, 5);
  int flipped = 0;
  for (int i = 0; i < x.n; ++i) flipped += (x.x[2 * i] * x.x[2 * i + 1] > 0) != (x.y[i] == 1);
  EXPECT_GT(flipped, 0);
}

TEST(ToyData, RejectsBadArgumentsAndLeavesOutputAlone) {
  Dataset d = toy(ToyKind::Circle, 10, 0, 1);
  const std::vector<float> before = features_of(d);
  const double nan = std::nan("");
  struct Case { int kind, n; double noise; const char* word; };
  const Case cases[] = {{0, 1, 0, "n must"},  {0, 0, 0, "n must"},       {0, -5, 0, "n must"},
                        {0, kMaxToyExamples + 1, 0, "n must"},           {0, 10, -0.01, "noise"},
                        {0, 10, 1.01, "noise"}, {0, 10, nan, "noise"},   {4, 10, 0, "kind"},
                        {-1, 10, 0, "kind"}};
  for (const Case& c : cases) {
    const Status s = make_toy(&d, static_cast<ToyKind>(c.kind), c.n, c.noise, 1);
    EXPECT_EQ(s.code, Code::RangeError) << c.kind << " " << c.n << " " << c.noise;
    EXPECT_NE(s.message.find(c.word), std::string::npos) << s.message;
  }
  EXPECT_EQ(d.n, 10);
  EXPECT_EQ(features_of(d), before);
}

// ---- BNDS ---------------------------------------------------------------------------------

struct Header {
  char magic[4] = {'B', 'N', 'D', 'S'};
  uint32_t version = 1, count = 0, n_train = 0, height = 0, width = 0, classes = 0, max_value = 0;
};

// Written independently of the parser, from the table in dataset.h.
std::vector<uint8_t> serialise(const Header& h, const std::vector<uint8_t>& pixels,
                               const std::vector<uint8_t>& labels) {
  std::vector<uint8_t> b(h.magic, h.magic + 4);
  for (uint32_t v : {h.version, h.count, h.n_train, h.height, h.width, h.classes, h.max_value})
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(v >> (8 * k)));
  b.insert(b.end(), pixels.begin(), pixels.end());
  b.insert(b.end(), labels.begin(), labels.end());
  return b;
}

// 7 images of 3x4, 5 for training, 3 classes, pixels 0..200.
struct Small {
  Header h;
  std::vector<uint8_t> pixels, labels;
  Small() {
    h.count = 7, h.n_train = 5, h.height = 3, h.width = 4, h.classes = 3, h.max_value = 200;
    Rng r(42);
    for (int i = 0; i < 7 * 12; ++i) pixels.push_back(static_cast<uint8_t>(r.below(201)));
    pixels[0] = 0;
    pixels[1] = 200;
    for (int i = 0; i < 7; ++i) labels.push_back(static_cast<uint8_t>(i % 3));
  }
  std::vector<uint8_t> bytes() const { return serialise(h, pixels, labels); }
};

Status parse(Dataset* train, Dataset* test, const std::vector<uint8_t>& bytes) {
  // A heap block of exactly bytes.size(), so ASan catches a read one past the end.
  std::vector<uint8_t> exact(bytes);
  exact.shrink_to_fit();
  return parse_image_dataset(train, test, exact.data(), exact.size());
}

// The parse fails with a RangeError whose message contains `expected`.
void expect_rejected(const std::vector<uint8_t>& bytes, const std::string& expected) {
  Dataset train, test;
  const Status s = parse(&train, &test, bytes);
  EXPECT_EQ(s.code, Code::RangeError) << "accepted; expected: " << expected;
  EXPECT_EQ(s.message.rfind("dataset: ", 0), 0u) << s.message;
  EXPECT_NE(s.message.find(expected), std::string::npos) << s.message << "\nexpected: " << expected;
  EXPECT_EQ(train.n, 0);
  EXPECT_EQ(test.n, 0);
}

TEST(ImageDataset, RoundTripsAndScalesToUnitInterval) {
  const Small s;
  Dataset train, test;
  const Status st = parse(&train, &test, s.bytes());
  ASSERT_TRUE(st.is_ok()) << st.message;
  const Dataset* parts[] = {&train, &test};
  const int first[] = {0, 5}, count[] = {5, 2};
  for (int p = 0; p < 2; ++p) {
    const Dataset& d = *parts[p];
    EXPECT_EQ(d.n, count[p]);
    EXPECT_EQ(d.features, 12);
    EXPECT_EQ(d.height, 3);
    EXPECT_EQ(d.width, 4);
    EXPECT_EQ(d.classes, 3);
    ASSERT_EQ(d.x.size(), size_t(count[p]) * 12);
    ASSERT_EQ(d.y.size(), size_t(count[p]));
    for (int i = 0; i < count[p]; ++i) {
      EXPECT_EQ(d.y[i], s.labels[first[p] + i]);
      for (int j = 0; j < 12; ++j)
        EXPECT_EQ(d.x[i * 12 + j], float(s.pixels[(first[p] + i) * 12 + j]) / 200.0f);
    }
  }
  EXPECT_EQ(train.x[0], 0.0f);
  EXPECT_EQ(train.x[1], 1.0f);  // the max pixel value is exactly 1
}

TEST(ImageDataset, ReparsingIntoUsedDatasetsReplacesThem) {
  Small s;
  Dataset train, test;
  ASSERT_TRUE(parse(&train, &test, s.bytes()).is_ok());
  s.h.count = 3, s.h.n_train = 1, s.h.height = 2, s.h.width = 2;
  s.pixels.assign(12, 9);
  s.labels.assign(3, 2);
  ASSERT_TRUE(parse(&train, &test, s.bytes()).is_ok());
  EXPECT_EQ(train.n, 1);
  EXPECT_EQ(test.n, 2);
  EXPECT_EQ(test.features, 4);
  EXPECT_EQ(test.x.size(), 8u);
  EXPECT_EQ(test.y[1], 2);
}

TEST(ImageDataset, RejectsEveryTruncation) {
  const std::vector<uint8_t> full = Small().bytes();
  for (size_t len = 0; len < full.size(); ++len) {
    SCOPED_TRACE("length " + std::to_string(len));
    expect_rejected(std::vector<uint8_t>(full.begin(), full.begin() + static_cast<long>(len)), "truncated");
  }
  Dataset train, test;
  EXPECT_EQ(parse_image_dataset(&train, &test, nullptr, 0).code, Code::RangeError);
}

TEST(ImageDataset, TruncationMessageSaysWhatIsMissing) {
  Header h;
  h.count = 1797, h.n_train = 1437, h.height = 8, h.width = 8, h.classes = 10, h.max_value = 16;
  Dataset train, test;
  const Status s = parse(&train, &test, serialise(h, std::vector<uint8_t>(1200, 3), {}));
  EXPECT_EQ(s.code, Code::RangeError);
  EXPECT_EQ(s.message, "dataset: truncated: expected 115008 pixel bytes, got 1200");
  const Status l = parse(&train, &test, serialise(h, std::vector<uint8_t>(115008, 3), {1, 2}));
  EXPECT_EQ(l.message, "dataset: truncated: expected 1797 label bytes, got 2");
}

TEST(ImageDataset, RejectsTrailingBytes) {
  for (size_t extra : {1, 2, 100}) {
    std::vector<uint8_t> b = Small().bytes();
    b.insert(b.end(), extra, 0);
    expect_rejected(b, std::to_string(extra) + " trailing bytes");
  }
}

TEST(ImageDataset, RejectsBadHeaderFields) {
  struct Case { void (*edit)(Header&); const char* expected; };
  const Case cases[] = {
      {[](Header& h) { h.magic[0] = 'X'; }, "not a BNDS file"},
      {[](Header& h) { h.magic[3] = 's'; }, "not a BNDS file"},
      {[](Header& h) { h.version = 0; }, "unsupported format version 0"},
      {[](Header& h) { h.version = 2; }, "unsupported format version 2"},
      {[](Header& h) { h.count = 0; }, "count must be >= 2"},
      {[](Header& h) { h.count = 1; }, "count must be >= 2"},
      {[](Header& h) { h.n_train = 0; }, "n_train must be in [1, count - 1] = [1, 6], got 0"},
      {[](Header& h) { h.n_train = 7; }, "n_train must be in"},
      {[](Header& h) { h.n_train = 0xFFFFFFFFu; }, "n_train must be in"},
      {[](Header& h) { h.height = 0; }, "height must be in [1, 1024], got 0"},
      {[](Header& h) { h.width = 0; }, "width must be in [1, 1024], got 0"},
      {[](Header& h) { h.height = 1025; }, "height must be in"},
      {[](Header& h) { h.width = 0xFFFFFFFFu; }, "width must be in"},
      {[](Header& h) { h.classes = 0; }, "classes must be in [2, 256], got 0"},
      {[](Header& h) { h.classes = 1; }, "classes must be in"},
      {[](Header& h) { h.classes = 257; }, "classes must be in"},
      {[](Header& h) { h.max_value = 0; }, "max pixel value must be in [1, 255], got 0"},
      {[](Header& h) { h.max_value = 256; }, "max pixel value must be in"},
      // Sizes whose product overflows 32 bits (and would overflow 64 bits without the side limit),
      // or merely exceeds what the engine accepts: rejected before any length arithmetic.
      {[](Header& h) { h.count = 0xFFFFFFFFu, h.height = 1024, h.width = 1024; }, "more than the 67108864"},
      {[](Header& h) { h.count = 65537, h.height = 32, h.width = 32; }, "67109888 pixels, more than"},
  };
  const Small s;
  for (const Case& c : cases) {
    Header h = s.h;
    c.edit(h);
    expect_rejected(serialise(h, s.pixels, s.labels), c.expected);
  }
}

TEST(ImageDataset, RejectsLabelsAndPixelsOutOfRange) {
  Small s;
  s.labels[6] = 3;
  expect_rejected(s.bytes(), "label of example 6 is 3, not below classes = 3");
  s = Small();
  s.labels[0] = 255;
  expect_rejected(s.bytes(), "label of example 0 is 255");
  s = Small();
  s.pixels[2 * 12 + 5] = 201;
  expect_rejected(s.bytes(), "pixel 5 of example 2 is 201, above the max pixel value 200");
}

TEST(ImageDataset, FailureLeavesDatasetsUnchanged) {
  Dataset train, test;
  ASSERT_TRUE(parse(&train, &test, Small().bytes()).is_ok());
  std::vector<uint8_t> bad = Small().bytes();
  bad.back() = 9;  // a label >= classes
  EXPECT_EQ(parse(&train, &test, bad).code, Code::RangeError);
  EXPECT_EQ(train.n, 5);
  EXPECT_EQ(test.n, 2);
  EXPECT_EQ(train.x.size(), 60u);
  EXPECT_EQ(parse_image_dataset(&train, &train, bad.data(), bad.size()).code, Code::RangeError);
}

// A small deterministic fuzz: random byte edits of a valid file either parse into consistent
// datasets or give a RangeError. The libFuzzer harness does this at scale.
TEST(ImageDataset, MutatedInputsNeverCrash) {
  const std::vector<uint8_t> valid = Small().bytes();
  Rng r(2015);
  int accepted = 0;
  for (int iter = 0; iter < 3000; ++iter) {
    std::vector<uint8_t> b = valid;
    const int edits = 1 + static_cast<int>(r.below(4));
    for (int e = 0; e < edits; ++e) {
      const uint64_t what = r.below(4);
      if (what == 0 && !b.empty()) b[r.below(b.size())] = static_cast<uint8_t>(r.below(256));
      else if (what == 1 && !b.empty()) b.resize(r.below(b.size()));
      else if (what == 2) b.push_back(static_cast<uint8_t>(r.below(256)));
      else if (!b.empty()) b[4 + r.below(28) % b.size()] ^= static_cast<uint8_t>(1u << r.below(8));
    }
    Dataset train, test;
    const Status s = parse(&train, &test, b);
    if (s.is_ok()) {
      ++accepted;
      ASSERT_EQ(train.x.size(), size_t(train.n) * size_t(train.features));
      ASSERT_EQ(test.y.size(), size_t(test.n));
      for (size_t i = 0; i < train.x.size(); ++i) ASSERT_TRUE(train.x[i] >= 0 && train.x[i] <= 1);
      for (size_t i = 0; i < test.y.size(); ++i) ASSERT_LT(test.y[i], test.classes);
    } else {
      ASSERT_EQ(s.code, Code::RangeError) << s.message;
    }
  }
  EXPECT_GT(accepted, 0);  // some edits (a pixel or label changed in range) stay valid
}

// The file the package ships (scripts/datasets/make-digits.mjs). Wasm tests under node have no
// access to the host's files, so there it is skipped.
TEST(ImageDataset, ParsesTheShippedDigits) {
#ifndef BN_SOURCE_DIR
  GTEST_SKIP() << "BN_SOURCE_DIR is not defined";
#else
  const std::string path = std::string(BN_SOURCE_DIR) + "/web/data/digits.bnds";
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) GTEST_SKIP() << "cannot open " << path;
  std::vector<uint8_t> bytes;
  uint8_t chunk[65536];
  for (size_t got; (got = std::fread(chunk, 1, sizeof chunk, f)) > 0;) bytes.insert(bytes.end(), chunk, chunk + got);
  std::fclose(f);
  Dataset train, test;
  const Status s = parse(&train, &test, bytes);
  ASSERT_TRUE(s.is_ok()) << s.message;
  EXPECT_EQ(train.n, 1437);
  EXPECT_EQ(test.n, 360);
  EXPECT_EQ(train.height, 8);
  EXPECT_EQ(train.width, 8);
  EXPECT_EQ(train.features, 64);
  EXPECT_EQ(train.classes, 10);
  int per_class[2][10] = {};
  for (int i = 0; i < train.n; ++i) ++per_class[0][train.y[i]];
  for (int i = 0; i < test.n; ++i) ++per_class[1][test.y[i]];
  for (int c = 0; c < 10; ++c) {
    EXPECT_GE(per_class[0][c], 135) << c;  // stratified: 139..146 per class
    EXPECT_GE(per_class[1][c], 35) << c;   // 35..37
  }
  float hi = 0;
  for (size_t i = 0; i < train.x.size(); ++i) hi = std::max(hi, train.x[i]);
  EXPECT_EQ(hi, 1.0f);
#endif
}

}  // namespace
}  // namespace bn
