#include "standardize.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "base/limits.h"

namespace bn {

Status standardize(Standardized* out, float* z, const float* x, size_t n, double eps, bool unbiased) {
  if (n < 1) return Status::range_error("values must contain at least one number");
  if (unbiased && n < 2) return Status::range_error("values must contain at least two numbers when unbiased is true");
  if (n > kMaxElements) return Status::range_error("values must have at most " + std::to_string(kMaxElements) + " numbers");
  if (!(eps >= 0) || !std::isfinite(eps)) return Status::range_error("eps must be a finite number >= 0");
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return Status::range_error("values[" + std::to_string(i) + "] must be a finite number");
  // In double throughout (this is the lesson's refresher, not a hot path): every finite float32
  // input then has finite statistics, also where float32 sums of squares would overflow
  // ([1e20, -1e20] has variance 1e40), and z is the exact quotient rounded once to float32.
  // Corrected two-pass: the mean, then Σd and Σd² of d = x - mean (s2 - s1²/n removes the bias the
  // mean's rounding would add; the mean itself stays the double sum's, see batchnorm_ref.cpp).
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += x[i];
  const double dn = static_cast<double>(n);
  const double mean0 = sum / dn;
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double d = x[i] - mean0;
    s1 += d;
    s2 += d * d;
  }
  const double mean = mean0;
  double variance = std::max(0.0, (s2 - s1 * s1 / dn) / dn);
  if (unbiased) variance = variance * dn / (dn - 1.0);
  const double sd = std::sqrt(variance + eps);
  for (size_t i = 0; i < n; ++i) z[i] = sd > 0 ? static_cast<float>((x[i] - mean) / sd) : 0.0f;
  out->mean = mean;
  out->variance = variance;
  out->stddev = sd;
  return Status::ok();
}

}  // namespace bn
