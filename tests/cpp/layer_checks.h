// What the layer tests share: shapes, seeded normal data, and the finite-difference check of a
// module's input gradient.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <initializer_list>
#include <vector>

#include "base/rng.h"
#include "nn/module.h"

namespace bn {
namespace {

Shape shape_of(std::initializer_list<int> dims) {
  Shape s;
  for (int d : dims) s.dims[s.rank++] = d;
  return s;
}

std::vector<float> randn(size_t n, uint64_t seed, double scale = 1.0, double offset = 0.0) {
  Rng r(seed);
  std::vector<float> v(n);
  for (auto& x : v) x = static_cast<float>(offset + scale * r.normal());
  return v;
}

// L = Σ w_i * out_i for fixed random w: dL/dout = w. Returns L in double.
double weighted_sum(const Buffer& out, const std::vector<float>& w) {
  double s = 0;
  for (size_t i = 0; i < out.size(); ++i) s += static_cast<double>(out[i]) * w[i];
  return s;
}

// Checks dL/dx from backward against central differences of forward, for every input element.
// Step and tolerance: float32 forward with h = 1e-2 on O(1) values keeps truncation error ~h² and
// round-off ~eps32/h ≈ 1e-5 relative, so 2e-3 relative to the gradient's scale is a real bound.
void check_input_grad(Module& m, std::vector<float> x, const Shape& s, uint64_t seed) {
  ASSERT_TRUE(m.forward(x.data(), s).is_ok());
  const auto w = randn(m.output().size(), seed);
  ASSERT_TRUE(m.backward(w.data()).is_ok());
  std::vector<float> analytic(m.input_grad().data(), m.input_grad().data() + x.size());
  double scale = 1e-3;
  for (float g : analytic) scale = std::max(scale, static_cast<double>(std::fabs(g)));
  const float h = 1e-2f;
  for (size_t i = 0; i < x.size(); ++i) {
    const float keep = x[i];
    x[i] = keep + h;
    ASSERT_TRUE(m.forward(x.data(), s).is_ok());
    const double up = weighted_sum(m.output(), w);
    x[i] = keep - h;
    ASSERT_TRUE(m.forward(x.data(), s).is_ok());
    const double down = weighted_sum(m.output(), w);
    x[i] = keep;
    const double numeric = (up - down) / (2.0 * h);
    EXPECT_NEAR(analytic[i], numeric, 2e-3 * scale) << m.kind() << " input " << i;
  }
}

}  // namespace
}  // namespace bn
