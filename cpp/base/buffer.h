// Growable arrays that report allocation failure as a Status instead of aborting (std::vector
// would call operator new, which aborts the wasm module when the heap is full). Capacity only
// grows, so steady-state training does no heap allocation. Buffer holds floats (tensors),
// IntBuffer int32 labels (base/int_buffer.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "base/limits.h"
#include "base/status.h"

namespace bn {

// T is a trivially copyable element; `what` names it in the out-of-memory message.
template <class T, const char* What>
class BasicBuffer {
 public:
  BasicBuffer() = default;
  BasicBuffer(const BasicBuffer&) = delete;
  BasicBuffer& operator=(const BasicBuffer&) = delete;
  BasicBuffer(BasicBuffer&& o) noexcept { swap(o); }
  BasicBuffer& operator=(BasicBuffer&& o) noexcept { swap(o); return *this; }
  ~BasicBuffer() { std::free(data_); }

  // Sets the size to n elements; contents are unspecified after growth.
  Status resize(size_t n) {
    if (n > capacity_) {
      // 16-byte aligned: Emscripten's malloc aligns to 8 only, and SIMD loads that straddle a
      // 16-byte boundary cost up to a third of a kernel's time (measured by npm run bench).
      void* p = std::aligned_alloc(16, ((n ? n : 1) * sizeof(T) + 15) & ~size_t{15});
      if (!p) return Status::out_of_memory("cannot allocate " + std::to_string(n) + " " + What);
      std::free(data_);
      data_ = static_cast<T*>(p);
      capacity_ = n;
    }
    size_ = n;
    return Status::ok();
  }
  // resize() then fill with value.
  Status assign(size_t n, T value) {
    BN_TRY(resize(n));
    for (size_t i = 0; i < n; ++i) data_[i] = value;
    return Status::ok();
  }
  void zero() { if (size_) std::memset(data_, 0, size_ * sizeof(T)); }

  T* data() { return data_; }
  const T* data() const { return data_; }
  size_t size() const { return size_; }
  T& operator[](size_t i) { return data_[i]; }
  T operator[](size_t i) const { return data_[i]; }

 private:
  void swap(BasicBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

inline constexpr char kFloatsName[] = "floats";
inline constexpr char kLabelsName[] = "labels";
using Buffer = BasicBuffer<float, kFloatsName>;
using IntBuffer = BasicBuffer<int32_t, kLabelsName>;

}  // namespace bn
