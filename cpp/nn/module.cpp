#include "module.h"

#include "base/rng.h"

namespace bn {

std::string Shape::str() const {
  std::string s = "[";
  for (int i = 0; i < rank; ++i) {
    if (i) s += ", ";
    s += std::to_string(dims[i]);
  }
  return s + "]";
}

Status validate_shape(const Shape& s, const char* arg) {
  if (s.rank < 1 || s.rank > 4)
    return Status::range_error(std::string(arg) + ": expected 1 to 4 dimensions, got " +
                               std::to_string(s.rank));
  // 64-bit on purpose: wasm32's size_t would wrap [65536, 65536] to 0 and pass.
  uint64_t n = 1;
  for (int i = 0; i < s.rank; ++i) {
    if (s.dims[i] < 1)
      return Status::range_error(std::string(arg) + ": every dimension must be >= 1, got " + s.str());
    n *= static_cast<uint64_t>(s.dims[i]);
    if (n > kMaxElements)
      return Status::range_error(std::string(arg) + ": " + s.str() + " has more than " +
                                 std::to_string(kMaxElements) + " elements");
  }
  return Status::ok();
}

void Module::state(std::vector<StateEntry>&, const std::string&) {}

void Module::zero_grad() {
  std::vector<StateEntry> entries;
  state(entries, "");
  for (auto& e : entries)
    if (e.kind == StateEntry::Parameter) e.grad->zero();
}

Rng& global_rng() {
  static Rng rng(0);
  return rng;
}

}  // namespace bn
