// The four playground sets; the exact definitions are in dataset.h.
#include <cmath>
#include <string>
#include <utility>

#include "data/dataset.h"
#include "base/rng.h"

namespace bn {
namespace {

constexpr double kPi = 3.141592653589793;
constexpr double kRadius = 5.0;  // outer radius / half-width of every set

// Angles in float: the points end up as float anyway, and double's sin/cos would add 5 KB of range
// reduction to the module.
double cos_f(double t) { return static_cast<double>(std::cos(static_cast<float>(t))); }
double sin_f(double t) { return static_cast<double>(std::sin(static_cast<float>(t))); }

struct Point {
  double x, y;
};

// A point uniform over the ring r0 <= r <= r1 (area-uniform: r^2 is uniform).
Point in_ring(Rng& rng, double r0, double r1) {
  const double r = std::sqrt(r0 * r0 + (r1 * r1 - r0 * r0) * rng.uniform());
  const double t = 2 * kPi * rng.uniform();
  return {r * cos_f(t), r * sin_f(t)};
}

Point circle(Rng& rng, int label, double noise) {
  Point p = label == 0 ? in_ring(rng, 0.0, 0.5 * kRadius) : in_ring(rng, 0.7 * kRadius, kRadius);
  const double a = noise * 0.5 * kRadius;
  p.x += a * rng.uniform(-1, 1);
  p.y += a * rng.uniform(-1, 1);
  return p;
}

Point xor_point(Rng& rng, int label, double noise) {
  constexpr double kOffAxis = 0.3;
  // Class 1 in quadrants I and III (same signs), class 0 in II and IV.
  const double sx = rng.uniform() < 0.5 ? -1.0 : 1.0;
  const double sy = label == 1 ? sx : -sx;
  const double x = sx * rng.uniform(kOffAxis, kRadius);
  const double y = sy * rng.uniform(kOffAxis, kRadius);
  Point p{x, y};
  const double a = noise * 0.5 * kRadius;
  p.x += a * rng.uniform(-1, 1);
  p.y += a * rng.uniform(-1, 1);
  return p;
}

Point gauss(Rng& rng, int label, double noise) {
  const double centre = label == 0 ? -2.0 : 2.0;
  const double s = 0.5 + 1.5 * noise;
  const double x = centre + s * rng.normal();
  const double y = centre + s * rng.normal();
  return {x, y};
}

Point spiral(Rng& rng, int label, double noise) {
  const double u = rng.uniform();
  const double r = kRadius * u;
  const double t = 3.5 * kPi * u + kPi * label;
  Point p{r * cos_f(t), r * sin_f(t)};
  const double a = noise * 1.0;
  p.x += a * rng.uniform(-1, 1);
  p.y += a * rng.uniform(-1, 1);
  return p;
}

}  // namespace

const char* toy_kind_name(ToyKind kind) {
  switch (kind) {
    case ToyKind::Circle: return "circle";
    case ToyKind::Xor: return "xor";
    case ToyKind::Gauss: return "gauss";
    case ToyKind::Spiral: return "spiral";
  }
  return "?";
}

Status make_toy(Dataset* out, ToyKind kind, int n, double noise, uint64_t seed) {
  if (!out) return Status::range_error("toy dataset: no output dataset");
  const int k = static_cast<int>(kind);
  if (k < 0 || k > 3)
    return Status::range_error("kind must be 0 (circle), 1 (xor), 2 (gauss) or 3 (spiral), got " + std::to_string(k));
  if (n < 2 || n > kMaxToyExamples)
    return Status::range_error("n must be in [2, " + std::to_string(kMaxToyExamples) + "], got " + std::to_string(n));
  if (!(noise >= 0 && noise <= 1)) return Status::range_error("noise must be a number in [0, 1]");

  Dataset d;
  BN_TRY(d.x.resize(size_t{2} * static_cast<size_t>(n)));
  BN_TRY(d.y.resize(static_cast<size_t>(n)));
  Rng rng(seed);
  for (int i = 0; i < n; ++i) {
    const int label = i % 2;
    Point p{};
    switch (kind) {
      case ToyKind::Circle: p = circle(rng, label, noise); break;
      case ToyKind::Xor: p = xor_point(rng, label, noise); break;
      case ToyKind::Gauss: p = gauss(rng, label, noise); break;
      case ToyKind::Spiral: p = spiral(rng, label, noise); break;
    }
    d.x[2 * static_cast<size_t>(i)] = static_cast<float>(p.x);
    d.x[2 * static_cast<size_t>(i) + 1] = static_cast<float>(p.y);
    d.y[static_cast<size_t>(i)] = label;
  }
  d.n = n;
  d.features = 2;
  d.classes = 2;
  *out = std::move(d);
  return Status::ok();
}

}  // namespace bn
