#include "data/dataset.h"

#include <string>
#include <utility>

namespace bn {
namespace {

std::string str(uint64_t v) { return std::to_string(v); }

Status malformed(const std::string& what) { return Status::range_error("dataset: " + what); }

// Byte-wise, so alignment and host byte order do not matter.
uint32_t read_u32le(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}

struct Header {
  uint32_t version, count, n_train, height, width, classes, max_value;
};

// Checks every header field on its own, then the sizes they imply against `length`. After this,
// 32 + N*H*W + N == length and N*H*W <= kMaxElements, so no later index can leave the input.
Status check_header(Header* h, const uint8_t* bytes, size_t length) {
  if (length < kBndsHeaderBytes)
    return malformed("truncated: expected a " + str(kBndsHeaderBytes) + "-byte header, got " +
                     str(length) + " bytes");
  if (bytes[0] != 'B' || bytes[1] != 'N' || bytes[2] != 'D' || bytes[3] != 'S')
    return malformed("not a BNDS file (the first 4 bytes must be \"BNDS\")");
  h->version = read_u32le(bytes + 4);
  h->count = read_u32le(bytes + 8);
  h->n_train = read_u32le(bytes + 12);
  h->height = read_u32le(bytes + 16);
  h->width = read_u32le(bytes + 20);
  h->classes = read_u32le(bytes + 24);
  h->max_value = read_u32le(bytes + 28);

  if (h->version != kBndsVersion)
    return malformed("unsupported format version " + str(h->version) + " (this engine reads version " +
                     str(kBndsVersion) + ")");
  if (h->count < 2) return malformed("count must be >= 2 (a training and a test example), got " + str(h->count));
  if (h->n_train < 1 || h->n_train >= h->count)
    return malformed("n_train must be in [1, count - 1] = [1, " + str(h->count - 1) + "], got " + str(h->n_train));
  if (h->height < 1 || h->height > kMaxImageSide)
    return malformed("height must be in [1, " + str(kMaxImageSide) + "], got " + str(h->height));
  if (h->width < 1 || h->width > kMaxImageSide)
    return malformed("width must be in [1, " + str(kMaxImageSide) + "], got " + str(h->width));
  if (h->classes < 2 || h->classes > kMaxClasses)
    return malformed("classes must be in [2, " + str(kMaxClasses) + "], got " + str(h->classes));
  if (h->max_value < 1 || h->max_value > 255)
    return malformed("max pixel value must be in [1, 255], got " + str(h->max_value));

  // count < 2^32 and height, width <= 2^10: the product is below 2^52, no uint64 overflow.
  const uint64_t pixels = uint64_t{h->count} * h->height * h->width;
  if (pixels > kMaxElements)
    return malformed(str(h->count) + " images of " + str(h->height) + "x" + str(h->width) + " are " +
                     str(pixels) + " pixels, more than the " + str(kMaxElements) + " the engine accepts");
  const uint64_t available = length - kBndsHeaderBytes;
  if (available < pixels)
    return malformed("truncated: expected " + str(pixels) + " pixel bytes, got " + str(available));
  if (available - pixels < h->count)
    return malformed("truncated: expected " + str(h->count) + " label bytes, got " + str(available - pixels));
  if (available - pixels > h->count)
    return malformed(str(available - pixels - h->count) + " trailing bytes after the " + str(h->count) + " labels");
  return Status::ok();
}

// Examples [first, first + n) of the checked input into out (features scaled by 1 / max).
Status fill(Dataset* out, const Header& h, const uint8_t* bytes, uint32_t first, uint32_t n) {
  const size_t features = size_t{h.height} * h.width;
  BN_TRY(out->x.resize(size_t{n} * features));
  BN_TRY(out->y.resize(n));
  const uint8_t* pixels = bytes + kBndsHeaderBytes + size_t{first} * features;
  const uint8_t* labels = bytes + kBndsHeaderBytes + size_t{h.count} * features + first;
  // Multiplying by a rounded 1/max could give 0.99999994 for p == max: divide, so max maps to 1.
  const float max = static_cast<float>(h.max_value);
  for (size_t i = 0; i < size_t{n} * features; ++i) out->x[i] = static_cast<float>(pixels[i]) / max;
  for (uint32_t i = 0; i < n; ++i) out->y[i] = labels[i];
  out->n = static_cast<int>(n);
  out->features = static_cast<int>(features);
  out->classes = static_cast<int>(h.classes);
  out->height = static_cast<int>(h.height);
  out->width = static_cast<int>(h.width);
  return Status::ok();
}

}  // namespace

Status parse_image_dataset(Dataset* train, Dataset* test, const uint8_t* bytes, size_t length) {
  if (!train || !test || train == test) return malformed("train and test must be two distinct datasets");
  if (length > 0 && bytes == nullptr) return malformed("no bytes");
  Header h{};
  BN_TRY(check_header(&h, bytes, length));

  const size_t features = size_t{h.height} * h.width;
  const uint8_t* pixels = bytes + kBndsHeaderBytes;
  const uint8_t* labels = pixels + size_t{h.count} * features;
  for (size_t i = 0; i < size_t{h.count} * features; ++i)
    if (pixels[i] > h.max_value)
      return malformed("pixel " + str(i % features) + " of example " + str(i / features) + " is " +
                       str(pixels[i]) + ", above the max pixel value " + str(h.max_value));
  for (uint32_t i = 0; i < h.count; ++i)
    if (labels[i] >= h.classes)
      return malformed("label of example " + str(i) + " is " + str(labels[i]) + ", not below classes = " +
                       str(h.classes));

  // Build both into temporaries, so a failed allocation leaves the caller's datasets as they were.
  Dataset tr, te;
  BN_TRY(fill(&tr, h, bytes, 0, h.n_train));
  BN_TRY(fill(&te, h, bytes, h.n_train, h.count - h.n_train));
  *train = std::move(tr);
  *test = std::move(te);
  return Status::ok();
}

}  // namespace bn
