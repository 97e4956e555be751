// The one platform seam of the core: byte-scanning primitives with SSE2 on x86-64, wasm SIMD
// (-msimd128) under Emscripten, and a portable fallback elsewhere. Every #ifdef for a target
// lives here; the rest of shared/ is plain C++20.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__EMSCRIPTEN__) && defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define INTAKE_SIMD_WASM 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#define INTAKE_SIMD_SSE2 1
#endif

namespace intake::platform {

// Returns the index of the first byte in [p, end) equal to one of a, b, c, d, or end - p.
inline size_t find_any4(const char* p, const char* end, char a, char b, char c, char d) {
  const char* start = p;
#if defined(INTAKE_SIMD_WASM)
  const v128_t va = wasm_i8x16_splat(a), vb = wasm_i8x16_splat(b);
  const v128_t vc = wasm_i8x16_splat(c), vd = wasm_i8x16_splat(d);
  while (end - p >= 16) {
    v128_t x = wasm_v128_load(p);
    v128_t m = wasm_v128_or(wasm_v128_or(wasm_i8x16_eq(x, va), wasm_i8x16_eq(x, vb)),
                            wasm_v128_or(wasm_i8x16_eq(x, vc), wasm_i8x16_eq(x, vd)));
    uint32_t bits = wasm_i8x16_bitmask(m);
    if (bits) return size_t(p - start) + std::countr_zero(bits);
    p += 16;
  }
#elif defined(INTAKE_SIMD_SSE2)
  const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
  const __m128i vc = _mm_set1_epi8(c), vd = _mm_set1_epi8(d);
  while (end - p >= 16) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, vc), _mm_cmpeq_epi8(x, vd)));
    uint32_t bits = uint32_t(_mm_movemask_epi8(m));
    if (bits) return size_t(p - start) + std::countr_zero(bits);
    p += 16;
  }
#endif
  for (; p < end; ++p) {
    char x = *p;
    if (x == a || x == b || x == c || x == d) break;
  }
  return size_t(p - start);
}

// Returns the index of the first byte in [p, end) with the high bit set, or end - p.
inline size_t find_non_ascii(const char* p, const char* end) {
  const char* start = p;
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t hi = w & 0x8080808080808080ull;
    if (hi) return size_t(p - start) + (std::countr_zero(hi) >> 3);
    p += 8;
  }
  while (p < end && static_cast<unsigned char>(*p) < 0x80) ++p;
  return size_t(p - start);
}

}  // namespace intake::platform
