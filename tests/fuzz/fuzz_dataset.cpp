// libFuzzer harness: bn::parse_image_dataset on arbitrary bytes (the BNDS files a page passes in).
//
// The input is the file itself (libFuzzer hands it over in a heap block of exactly its size, so
// AddressSanitizer catches any read past the end). Contract checked (cpp/data/dataset.h):
//  - never a crash, undefined behaviour or leak;
//  - failure: a RangeError whose message starts with "dataset: " (or OutOfMemory), and both
//    output datasets unchanged;
//  - success: the header's sizes, pixels in [0, 1], labels in [0, classes), and the split the
//    header announces.
#include <cstdint>
#include <cstring>
#include <string>

#include "data/dataset.h"
#include "fuzz_input.h"

namespace {

uint32_t le32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 | static_cast<uint32_t>(p[2]) << 16 |
         static_cast<uint32_t>(p[3]) << 24;
}

// Marks a dataset so that "unchanged" can be checked after a failed parse.
void mark(bn::Dataset& d, int tag) {
  d.n = tag;
  d.features = tag + 1;
  d.classes = tag + 2;
  d.height = tag + 3;
  d.width = tag + 4;
  (void)d.x.assign(3, static_cast<float>(tag));
}

bool unchanged(const bn::Dataset& d, int tag) {
  return d.n == tag && d.features == tag + 1 && d.classes == tag + 2 && d.height == tag + 3 &&
         d.width == tag + 4 && d.x.size() == 3 && d.x[0] == static_cast<float>(tag) &&
         d.x[2] == static_cast<float>(tag) && d.y.size() == 0;
}

void check_part(const bn::Dataset& d, const uint8_t* bytes, uint32_t first, uint32_t n, const char* which) {
  const uint32_t count = le32(bytes + 8), h = le32(bytes + 16), w = le32(bytes + 20);
  const uint32_t classes = le32(bytes + 24), max = le32(bytes + 28);
  const size_t features = size_t{h} * w;
  FUZZ_CHECK(d.n == static_cast<int>(n), "%s.n = %d, header says %u", which, d.n, n);
  FUZZ_CHECK(d.features == static_cast<int>(features) && d.height == static_cast<int>(h) &&
                 d.width == static_cast<int>(w) && d.classes == static_cast<int>(classes),
             "%s: wrong sizes", which);
  FUZZ_CHECK(d.x.size() == size_t{n} * features && d.y.size() == n, "%s: buffer sizes %zu, %zu", which,
             d.x.size(), d.y.size());
  const uint8_t* pixels = bytes + bn::kBndsHeaderBytes + size_t{first} * features;
  const uint8_t* labels = bytes + bn::kBndsHeaderBytes + size_t{count} * features + first;
  for (size_t i = 0; i < d.x.size(); ++i) {
    const float x = d.x[i];
    FUZZ_CHECK(x >= 0.0f && x <= 1.0f, "%s.x[%zu] = %g is outside [0, 1]", which, i, static_cast<double>(x));
    FUZZ_CHECK(x == static_cast<float>(pixels[i]) / static_cast<float>(max), "%s.x[%zu] is not pixel / max", which, i);
  }
  for (uint32_t i = 0; i < n; ++i)
    FUZZ_CHECK(d.y[i] == labels[i] && d.y[i] >= 0 && static_cast<uint32_t>(d.y[i]) < classes,
               "%s.y[%u] = %d (file: %u, classes %u)", which, i, d.y[i], labels[i], classes);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  bn::Dataset train, test;
  mark(train, 1000);
  mark(test, 2000);
  const bn::Status st = bn::parse_image_dataset(&train, &test, size ? data : nullptr, size);
  fuzz::check_status(st, "parse_image_dataset");
  if (!st) {
    FUZZ_CHECK(st.code == bn::Code::RangeError || st.code == bn::Code::OutOfMemory,
               "a malformed file gave code %d: %s", static_cast<int>(st.code), st.message.c_str());
    if (st.code == bn::Code::RangeError)
      FUZZ_CHECK(st.message.rfind("dataset: ", 0) == 0, "message without the \"dataset: \" prefix: %s",
                 st.message.c_str());
    FUZZ_CHECK(unchanged(train, 1000) && unchanged(test, 2000), "a failed parse changed its outputs (%s)",
               st.message.c_str());
  } else {
    FUZZ_CHECK(size >= bn::kBndsHeaderBytes && std::memcmp(data, "BNDS", 4) == 0, "accepted a file without the header");
    const uint32_t count = le32(data + 8), n_train = le32(data + 12);
    FUZZ_CHECK(n_train >= 1 && n_train < count, "accepted n_train %u of %u", n_train, count);
    const uint64_t pixels = uint64_t{count} * le32(data + 16) * le32(data + 20);
    FUZZ_CHECK(size == bn::kBndsHeaderBytes + pixels + count, "accepted %zu bytes for %u images", size, count);
    check_part(train, data, 0, n_train, "train");
    check_part(test, data, n_train, count - n_train, "test");
  }

  // The argument checks that need no file, once per empty input.
  if (size == 0) {
    bn::Dataset same;
    const bn::Status s1 = bn::parse_image_dataset(&same, &same, data, size);
    FUZZ_CHECK(s1.code == bn::Code::RangeError, "train == test was accepted");
    const bn::Status s2 = bn::parse_image_dataset(nullptr, &test, data, size);
    FUZZ_CHECK(s2.code == bn::Code::RangeError, "a null output was accepted");
    const bn::Status s3 = bn::parse_image_dataset(&train, &test, nullptr, 40);
    FUZZ_CHECK(s3.code == bn::Code::RangeError, "null bytes with a length were accepted");
  }
  return 0;
}
