// The lesson's z-score refresher: z = (x - mean) / sqrt(var + eps), with the statistics in double
// (finite for every finite float32 input). x and z have n elements.
#pragma once

#include <cstddef>

#include "base/status.h"

namespace bn {

struct Standardized {
  double mean = 0, variance = 0;
  double stddev = 0;  // sqrt(variance + eps): the divisor z was computed with
};

// unbiased: divide by n-1 (needs n >= 2). A zero std (constant values, eps 0) gives z = 0
// everywhere rather than 0/0 (the convention of scikit-learn's StandardScaler).
Status standardize(Standardized* out, float* z, const float* x, size_t n, double eps, bool unbiased);

}  // namespace bn
