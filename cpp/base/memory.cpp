#include "memory.h"

#include <cstdlib>
#include <new>

namespace bn {
namespace {
void* g_reserve = nullptr;
}  // namespace

bool has_room() {
  if (!g_reserve) g_reserve = std::malloc(kReserveBytes);
  if (!g_reserve) return false;
#if defined(__EMSCRIPTEN__) && defined(BN_MAXIMUM_MEMORY)
  // Fast path, almost every call: while the wasm memory can still grow by a few reserves, malloc
  // grows it on demand, so nothing needs probing (a probe costs ~0.8 µs, a third of a small call).
  const size_t now = __builtin_wasm_memory_size(0) * size_t{65536};
  if (now + 4 * kReserveBytes <= size_t{BN_MAXIMUM_MEMORY}) return true;
#endif
  // And as much again for allocations that do not go through operator new (Embind's glue calls
  // malloc directly, e.g. for a returned std::string): probed, then given back.
  void* probe = std::malloc(kReserveBytes);
  std::free(probe);
  return probe != nullptr;
}

// Frees the reserve once malloc has failed; returns whether there was one to free.
bool release_reserve() {
  if (!g_reserve) return false;
  std::free(g_reserve);
  g_reserve = nullptr;
  return true;
}

}  // namespace bn

#ifdef __EMSCRIPTEN__
// Replacements of the global allocation functions (a program may define them). Natively the
// sanitizers' versions stay in place; these exist for the wasm module, where a failed new would
// abort: malloc, with the reserve as the fallback. An allocation that fails even then (the
// reserve is spent and the caller skipped has_room()) aborts as before; nothrow new returns null.
namespace {
void* try_allocate(std::size_t n) noexcept {
  if (n == 0) n = 1;
  for (;;) {
    if (void* p = std::malloc(n)) return p;
    if (!bn::release_reserve()) return nullptr;
  }
}
void* allocate(std::size_t n) {
  void* p = try_allocate(n);
  if (!p) std::abort();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return try_allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return try_allocate(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
#endif
