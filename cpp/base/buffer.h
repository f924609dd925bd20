// A growable float array that reports allocation failure as a Status instead of aborting
// (std::vector would call operator new, which aborts the wasm module when the heap is full).
// Capacity only grows, so steady-state training does no heap allocation.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "status.h"

namespace bn {

// Largest tensor the engine accepts, in elements (256 MiB of floats): beyond it, a RangeError
// names the argument long before the 2 GiB wasm heap is exhausted.
inline constexpr size_t kMaxElements = size_t{1} << 26;

class Buffer {
 public:
  Buffer() = default;
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept { swap(o); }
  Buffer& operator=(Buffer&& o) noexcept { swap(o); return *this; }
  ~Buffer() { std::free(data_); }

  // Sets the size to n elements; contents are unspecified after growth.
  Status resize(size_t n) {
    if (n > capacity_) {
      // 16-byte aligned: Emscripten's malloc aligns to 8 only, and SIMD loads that straddle a
      // 16-byte boundary cost up to a third of a kernel's time (measured by npm run bench).
      void* p = std::aligned_alloc(16, ((n ? n : 1) * sizeof(float) + 15) & ~size_t{15});
      if (!p) return Status::out_of_memory("cannot allocate " + std::to_string(n) + " floats");
      std::free(data_);
      data_ = static_cast<float*>(p);
      capacity_ = n;
    }
    size_ = n;
    return Status::ok();
  }
  // resize() then fill with value.
  Status assign(size_t n, float value) {
    BN_TRY(resize(n));
    for (size_t i = 0; i < n; ++i) data_[i] = value;
    return Status::ok();
  }
  void zero() { if (size_) std::memset(data_, 0, size_ * sizeof(float)); }

  float* data() { return data_; }
  const float* data() const { return data_; }
  size_t size() const { return size_; }
  float& operator[](size_t i) { return data_[i]; }
  float operator[](size_t i) const { return data_[i]; }

 private:
  void swap(Buffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  float* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace bn
