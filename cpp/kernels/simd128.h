// One include for the wasm_* SIMD intrinsics: the real header under Emscripten, SIMDe elsewhere
// (mapped to SSE/AVX), so the very same kernels are tested natively under sanitizers.
#pragma once

#if defined(__EMSCRIPTEN__)
#include <wasm_simd128.h>
#else
#define SIMDE_ENABLE_NATIVE_ALIASES
#include <simde/wasm/simd128.h>
#endif
