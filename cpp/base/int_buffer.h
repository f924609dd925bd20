// A growable int32 array that reports allocation failure as a Status, the label counterpart of
// bn::Buffer (std::vector<int32_t> would abort the wasm module when the heap is full).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <utility>

#include "base/status.h"

namespace bn {

class IntBuffer {
 public:
  IntBuffer() = default;
  IntBuffer(const IntBuffer&) = delete;
  IntBuffer& operator=(const IntBuffer&) = delete;
  IntBuffer(IntBuffer&& o) noexcept { swap(o); }
  IntBuffer& operator=(IntBuffer&& o) noexcept { swap(o); return *this; }
  ~IntBuffer() { std::free(data_); }

  // Sets the size to n elements; contents are unspecified after growth.
  Status resize(size_t n) {
    if (n > capacity_) {
      void* p = std::malloc((n ? n : 1) * sizeof(int32_t));
      if (!p) return Status::out_of_memory("cannot allocate " + std::to_string(n) + " labels");
      std::free(data_);
      data_ = static_cast<int32_t*>(p);
      capacity_ = n;
    }
    size_ = n;
    return Status::ok();
  }

  int32_t* data() { return data_; }
  const int32_t* data() const { return data_; }
  size_t size() const { return size_; }
  int32_t& operator[](size_t i) { return data_[i]; }
  int32_t operator[](size_t i) const { return data_[i]; }

 private:
  void swap(IntBuffer& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(size_, o.size_);
    std::swap(capacity_, o.capacity_);
  }
  int32_t* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace bn
