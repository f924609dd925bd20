#include "standardize.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "base/buffer.h"
#include "kernels/dispatch.h"

namespace bn {

Status standardize(Standardized* out, float* z, const float* x, size_t n, double eps, bool unbiased) {
  if (n < 1) return Status::range_error("values must contain at least one number");
  if (unbiased && n < 2) return Status::range_error("values must contain at least two numbers when unbiased is true");
  if (n > kMaxElements) return Status::range_error("values must have at most " + std::to_string(kMaxElements) + " numbers");
  if (!(eps >= 0) || !std::isfinite(eps)) return Status::range_error("eps must be a finite number >= 0");
  for (size_t i = 0; i < n; ++i)
    if (!std::isfinite(x[i]))
      return Status::range_error("values[" + std::to_string(i) + "] must be a finite number");
  float mean = 0, var = 0;
  // One channel of n values: (N, C, S) = (n, 1, 1).
  kernels::active::bn_stats(&mean, &var, x, static_cast<int>(n), 1, 1);
  double variance = var;
  if (unbiased) variance = variance * static_cast<double>(n) / static_cast<double>(n - 1);
  const double sd = std::sqrt(variance + eps);
  // Clamped like BatchNorm's: a tiny eps must not turn 1/sd into inf (0 * inf = NaN).
  const float inv = sd > 0 ? static_cast<float>(std::min(1.0 / sd, static_cast<double>(FLT_MAX))) : 0.0f;
  kernels::active::bn_forward(z, nullptr, x, &mean, &inv, nullptr, nullptr, static_cast<int>(n), 1, 1);
  out->mean = mean;
  out->variance = variance;
  out->stddev = sd;
  return Status::ok();
}

}  // namespace bn
