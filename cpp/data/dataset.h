// Datasets for training: the four 2-D toy sets of neural-network playgrounds, generated from a
// seed, and image sets parsed from the compact BNDS byte format the page passes in from JS.
//
// A Dataset is N examples of D float features, row-major (N, D), with an int32 label in [0, K)
// each. Image sets are stored flat (D = H * W, pixel (r, c) at r * W + c), scaled to [0, 1].
#pragma once

#include <cstddef>
#include <cstdint>

#include "base/buffer.h"
#include "base/limits.h"
#include "base/status.h"

namespace bn {

struct Dataset {
  Buffer x;           // (N, D) features: x.size() == n * features
  IntBuffer y;        // (N) labels in [0, classes)
  int n = 0;          // N: number of examples
  int features = 0;   // D: 2 for toy sets, height * width for image sets
  int classes = 0;    // K
  int height = 0;     // image sets: H (0 otherwise)
  int width = 0;      // image sets: W (0 otherwise)
};

// ---- Toy sets ---------------------------------------------------------------------------------
//
// Two classes, points on TensorFlow Playground's scale (roughly [-6, 6]^2, not normalised: the
// inputs are left as a first layer would see them). Example i has label i % 2, so every prefix is
// balanced (class 0 gets the extra example when n is odd) and points are drawn i.i.d., so any
// prefix also covers the whole shape. noise in [0, 1]; 1 is the hardest setting that still shows
// the shape. "U(a, b)" is uniform; the offsets are independent per coordinate.
//
//   Circle  class 0: uniform over the disk r <= 2.5; class 1: uniform over the ring 3.5 <= r <= 5.
//           noise: each coordinate + U(-1, 1) * noise * 2.5 (half the outer radius).
//   Xor     |x|, |y| ~ U(0.3, 5) (kept off the axes); class 1 where x and y have the same sign
//           (quadrants I and III), class 0 in II and IV. noise: + U(-1, 1) * noise * 2.5.
//   Gauss   class 0 ~ N((-2, -2), s^2 I), class 1 ~ N((2, 2), s^2 I), s = 0.5 + 1.5 * noise.
//   Spiral  u ~ U(0, 1), radius 5u, angle 3.5 pi u + pi * label (two arms of 1.75 turns, half a
//           turn apart). noise: + U(-1, 1) * noise * 1.0 (arms are ~1.4 apart).
//
// The label is the class a point was drawn for, before noise: noise makes classes overlap.
// At noise 0, Circle, Xor and Spiral are exactly separable; the Gauss centres are 5.66 apart
// (11 s at noise 0, 2.8 s at noise 1).
// Deterministic for a seed (bn::Rng). Native (glibc) and wasm builds gave bit-identical sets in a
// check of 100,000 points per kind, but libm's sin/cos/log are not guaranteed to round alike.
enum class ToyKind : int { Circle = 0, Xor = 1, Gauss = 2, Spiral = 3 };

const char* toy_kind_name(ToyKind kind);  // "circle", "xor", "gauss", "spiral"; "?" if invalid

// out gets n examples (n in [2, kMaxToyExamples]), features 2, classes 2, height = width = 0.
// On error out is unchanged.
Status make_toy(Dataset* out, ToyKind kind, int n, double noise, uint64_t seed);

// ---- BNDS: the compact image-dataset format ---------------------------------------------------
//
// Little-endian, no padding:
//   offset  size  field
//        0     4  magic "BNDS"
//        4     4  u32 version (1)
//        8     4  u32 count N (>= 2)
//       12     4  u32 n_train: the first n_train examples are the training set, the rest the test
//                 set; both must be non-empty
//       16     4  u32 height H, in [1, kMaxImageSide]
//       20     4  u32 width W, in [1, kMaxImageSide]
//       24     4  u32 classes K, in [2, 256]
//       28     4  u32 max pixel value M, in [1, 255]; a pixel p becomes p / M
//       32 N*H*W  u8 pixels, example-major, then row-major (rows of W)
//        …     N  u8 labels, each < K
// and nothing after: the file's length is exactly 32 + N*H*W + N. N*H*W must not exceed
// kMaxElements.
inline constexpr size_t kBndsHeaderBytes = 32;
inline constexpr uint32_t kBndsVersion = 1;
inline constexpr uint32_t kMaxImageSide = 1024;
inline constexpr uint32_t kMaxClasses = 256;

// Parses untrusted bytes: every field, size and value is checked before use, and nothing is read
// outside [bytes, bytes + length). A malformed input gives a RangeError whose message starts with
// "dataset: " and says what is wrong; an allocation failure gives OutOfMemory. On any error
// train and test are unchanged. bytes may be null when length is 0.
Status parse_image_dataset(Dataset* train, Dataset* test, const uint8_t* bytes, size_t length);

}  // namespace bn
