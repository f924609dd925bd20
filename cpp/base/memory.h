// The engine's last line against a full heap. Every large allocation goes through Buffer (which
// reports failure as a Status), but small ones remain: the control block of a shared_ptr, a
// std::string for a message, the vectors Embind builds for a value_object. With exceptions off, a
// failed operator new aborts the wasm module. So operator new (the wasm build replaces it, see
// memory.cpp) falls back on a reserve: kReserveBytes held from the start and released when malloc
// fails, after which the allocation is retried. The JavaScript side calls has_room() before every
// call into the engine; it re-acquires the reserve, or says the heap is full, and the call is then
// refused with a RangeError before anything is allocated. A call's small allocations stay far
// below the reserve, so none of them can fail.
#pragma once

#include <cstddef>

namespace bn {

inline constexpr size_t kReserveBytes = size_t{256} << 10;

// True when the reserve is held (re-acquiring it if an allocation used it up) and malloc can give
// kReserveBytes more; false otherwise: the caller must refuse to go on.
bool has_room();

// Frees the reserve (operator new does this when malloc fails); false if it was not held.
bool release_reserve();

}  // namespace bn
