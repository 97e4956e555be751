// The one platform seam of the core: byte-scanning primitives with SSE2 on x86-64, wasm SIMD
// (-msimd128) under Emscripten, and a portable fallback elsewhere; cache prefetch and the
// allocation of large randomly-probed tables. Every #ifdef for a target lives here; the rest of
// shared/ is plain C++20.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

#if defined(__linux__) && !defined(__EMSCRIPTEN__)
#include <sys/mman.h>
#define INTAKE_MMAP_TABLES 1
#endif

#if defined(__EMSCRIPTEN__) && defined(__wasm_simd128__)
#include <wasm_simd128.h>
#define INTAKE_SIMD_WASM 1
#elif defined(__SSE2__)
#include <emmintrin.h>
#define INTAKE_SIMD_SSE2 1
#endif

namespace intake::platform {

namespace detail {
constexpr uint64_t kOnes = 0x0101010101010101ull;
constexpr uint64_t kHighs = 0x8080808080808080ull;
// High bit set in each byte of `w` equal to `c`, exact for the lowest matching byte (bytes above
// a match may be flagged spuriously, which never matters when only the lowest is used).
inline uint64_t eq_bytes(uint64_t w, char c) {
  uint64_t x = w ^ (kOnes * static_cast<unsigned char>(c));
  return (x - kOnes) & ~x & kHighs;
}
}  // namespace detail

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
  if constexpr (std::endian::native == std::endian::little) {
    while (end - p >= 8) {  // short values: eight bytes at a time in a general register
      uint64_t w;
      std::memcpy(&w, p, 8);
      uint64_t hit = detail::eq_bytes(w, a) | detail::eq_bytes(w, b) | detail::eq_bytes(w, c) |
                     detail::eq_bytes(w, d);
      if (hit) return size_t(p - start) + (std::countr_zero(hit) >> 3);
      p += 8;
    }
  }
  for (; p < end; ++p) {
    char x = *p;
    if (x == a || x == b || x == c || x == d) break;
  }
  return size_t(p - start);
}

// Returns the index of the first byte in [p, end) with the high bit set, or end - p.
inline size_t find_non_ascii(const char* p, const char* end) {
  const char* start = p;
#if defined(INTAKE_SIMD_WASM)
  while (end - p >= 32) {
    v128_t x = wasm_v128_or(wasm_v128_load(p), wasm_v128_load(p + 16));
    if (wasm_i8x16_bitmask(x)) break;
    p += 32;
  }
  while (end - p >= 16) {
    uint32_t bits = wasm_i8x16_bitmask(wasm_v128_load(p));
    if (bits) return size_t(p - start) + std::countr_zero(bits);
    p += 16;
  }
#elif defined(INTAKE_SIMD_SSE2)
  while (end - p >= 32) {
    __m128i x = _mm_or_si128(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)),
                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16)));
    if (_mm_movemask_epi8(x)) break;
    p += 32;
  }
  while (end - p >= 16) {
    uint32_t bits = uint32_t(_mm_movemask_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))));
    if (bits) return size_t(p - start) + std::countr_zero(bits);
    p += 16;
  }
#endif
  while (end - p >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    uint64_t hi = w & detail::kHighs;
    if (hi) {
      if constexpr (std::endian::native == std::endian::little)
        return size_t(p - start) + (std::countr_zero(hi) >> 3);
      break;
    }
    p += 8;
  }
  while (p < end && static_cast<unsigned char>(*p) < 0x80) ++p;
  return size_t(p - start);
}

// Returns how many bytes in [p, end) equal c.
inline size_t count_byte(const char* p, const char* end, char c) {
  size_t count = 0;
#if defined(INTAKE_SIMD_WASM)
  const v128_t vc = wasm_i8x16_splat(c);
  while (end - p >= 16) {
    count += size_t(std::popcount(uint32_t(wasm_i8x16_bitmask(wasm_i8x16_eq(wasm_v128_load(p), vc)))));
    p += 16;
  }
#elif defined(INTAKE_SIMD_SSE2)
  // Per-byte counters (each match adds 1 by subtracting -1), summed every 255 blocks at most:
  // plain SSE2 has no popcount instruction.
  const __m128i vc = _mm_set1_epi8(c);
  while (end - p >= 16) {
    __m128i acc = _mm_setzero_si128();
    for (int blocks = 0; blocks < 255 && end - p >= 16; ++blocks, p += 16)
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)), vc));
    __m128i sums = _mm_sad_epu8(acc, _mm_setzero_si128());
    count += size_t(_mm_cvtsi128_si32(sums)) + size_t(_mm_extract_epi16(sums, 4));
  }
#endif
  for (; p < end; ++p) count += *p == c;
  return count;
}

// The bytes of an e-mail address by class, bit i for byte i: `other` when not a letter, digit
// or one of @ . - _ +, and the positions of '@', '.', '-', of '_' or '+', and of A-Z.
struct EmailBytes {
  uint64_t other = 0, at = 0, dot = 0, hyphen = 0, underscore_plus = 0, upper = 0;
};

// Classifies the n bytes at p (8 <= n <= 64; only those bytes are read). The bytes are loaded
// straight from p in blocks of 16, the last block overlapping the one before it (or, under 16
// bytes, two overlapping halves of 8): no copy into a buffer, whose narrower stores a vector
// load could not take its bytes from without stalling.
inline EmailBytes classify_email_bytes(const char* p, size_t n) {
  EmailBytes r;
  // A block's masks go in at byte `at` of p.
  auto place = [&](const EmailBytes& m, size_t at) {
    r.other |= m.other << at;
    r.at |= m.at << at;
    r.dot |= m.dot << at;
    r.hyphen |= m.hyphen << at;
    r.underscore_plus |= m.underscore_plus << at;
    r.upper |= m.upper << at;
  };
#if defined(INTAKE_SIMD_WASM) || defined(INTAKE_SIMD_SSE2)
  // Per target: a 16-byte load, two 8-byte loads as one block, and a block's 16-bit masks.
#if defined(INTAKE_SIMD_WASM)
  auto load = [](const char* q) { return wasm_v128_load(q); };
  auto load_halves = [](const char* lo, const char* hi) {
    uint64_t a, b;
    std::memcpy(&a, lo, 8);
    std::memcpy(&b, hi, 8);
    return wasm_i64x2_make(int64_t(a), int64_t(b));
  };
  auto block = [](v128_t x) {
    // Letters: x | 0x20 in 'a'..'z' (which only A-Z and a-z reach); digits: x in '0'..'9'.
    const v128_t letter = wasm_u8x16_le(wasm_i8x16_sub(wasm_v128_or(x, wasm_i8x16_splat(0x20)), wasm_i8x16_splat('a')),
                                        wasm_i8x16_splat(25));
    const v128_t digit = wasm_u8x16_le(wasm_i8x16_sub(x, wasm_i8x16_splat('0')), wasm_i8x16_splat(9));
    const v128_t at = wasm_i8x16_eq(x, wasm_i8x16_splat('@')), dot = wasm_i8x16_eq(x, wasm_i8x16_splat('.'));
    const v128_t hyphen = wasm_i8x16_eq(x, wasm_i8x16_splat('-'));
    const v128_t up = wasm_v128_or(wasm_i8x16_eq(x, wasm_i8x16_splat('_')), wasm_i8x16_eq(x, wasm_i8x16_splat('+')));
    const v128_t known = wasm_v128_or(wasm_v128_or(wasm_v128_or(letter, digit), wasm_v128_or(at, dot)), wasm_v128_or(hyphen, up));
    const v128_t upper = wasm_v128_andnot(letter, wasm_i8x16_ne(wasm_v128_and(x, wasm_i8x16_splat(0x20)), wasm_i8x16_splat(0)));
    return EmailBytes{~uint64_t(wasm_i8x16_bitmask(known)) & 0xFFFF, uint64_t(wasm_i8x16_bitmask(at)),
                      uint64_t(wasm_i8x16_bitmask(dot)), uint64_t(wasm_i8x16_bitmask(hyphen)),
                      uint64_t(wasm_i8x16_bitmask(up)), uint64_t(wasm_i8x16_bitmask(upper))};
  };
#else
  auto load = [](const char* q) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(q)); };
  auto load_halves = [](const char* lo, const char* hi) {
    return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(lo)),
                              _mm_loadl_epi64(reinterpret_cast<const __m128i*>(hi)));
  };
  auto block = [](__m128i x) {
    // Letters: x | 0x20 in 'a'..'z' (which only A-Z and a-z reach); digits: x in '0'..'9'.
    // Unsigned t <= k is min(t, k) == t.
    const __m128i l = _mm_sub_epi8(_mm_or_si128(x, _mm_set1_epi8(0x20)), _mm_set1_epi8('a'));
    const __m128i d = _mm_sub_epi8(x, _mm_set1_epi8('0'));
    const __m128i letter = _mm_cmpeq_epi8(_mm_min_epu8(l, _mm_set1_epi8(25)), l);
    const __m128i digit = _mm_cmpeq_epi8(_mm_min_epu8(d, _mm_set1_epi8(9)), d);
    const __m128i at = _mm_cmpeq_epi8(x, _mm_set1_epi8('@')), dot = _mm_cmpeq_epi8(x, _mm_set1_epi8('.'));
    const __m128i hyphen = _mm_cmpeq_epi8(x, _mm_set1_epi8('-'));
    const __m128i up = _mm_or_si128(_mm_cmpeq_epi8(x, _mm_set1_epi8('_')), _mm_cmpeq_epi8(x, _mm_set1_epi8('+')));
    const __m128i known = _mm_or_si128(_mm_or_si128(_mm_or_si128(letter, digit), _mm_or_si128(at, dot)), _mm_or_si128(hyphen, up));
    const __m128i upper = _mm_and_si128(letter, _mm_cmpeq_epi8(_mm_and_si128(x, _mm_set1_epi8(0x20)), _mm_setzero_si128()));
    return EmailBytes{~uint64_t(uint32_t(_mm_movemask_epi8(known))) & 0xFFFF, uint64_t(uint32_t(_mm_movemask_epi8(at))),
                      uint64_t(uint32_t(_mm_movemask_epi8(dot))), uint64_t(uint32_t(_mm_movemask_epi8(hyphen))),
                      uint64_t(uint32_t(_mm_movemask_epi8(up))), uint64_t(uint32_t(_mm_movemask_epi8(upper)))};
  };
#endif
  if (n < 16) {
    // One block of the first and the last eight bytes: the high half's bits belong at n - 8.
    const EmailBytes m = block(load_halves(p, p + n - 8));
    auto halves = [n](uint64_t v) { return (v & 0xFF) | ((v >> 8) << (n - 8)); };
    place(EmailBytes{halves(m.other), halves(m.at), halves(m.dot), halves(m.hyphen), halves(m.underscore_plus),
                     halves(m.upper)},
          0);
  } else {
    for (size_t at = 0; at + 16 <= n; at += 16) place(block(load(p + at)), at);
    if (n % 16) place(block(load(p + n - 16)), n - 16);
  }
#else
  for (size_t i = 0; i < n; ++i) {
    const char c = p[i];
    const unsigned char f = static_cast<unsigned char>(c) | 0x20;
    EmailBytes m;
    if (c == '@') m.at = 1;
    else if (c == '.') m.dot = 1;
    else if (c == '-') m.hyphen = 1;
    else if (c == '_' || c == '+') m.underscore_plus = 1;
    else if (!((f >= 'a' && f <= 'z') || (c >= '0' && c <= '9'))) m.other = 1;
    else if (c >= 'A' && c <= 'Z') m.upper = 1;
    place(m, i);
  }
#endif
  return r;
}

// The eight bytes of `w` with ASCII upper-case letters turned lower case, other bytes as they
// were (SWAR: no byte can carry into the next).
inline uint64_t lower_ascii8(uint64_t w) {
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  const uint64_t low7 = w & ~kHigh;
  const uint64_t at_least_a = low7 + 0x3F3F3F3F3F3F3F3Full;  // high bit: byte >= 'A'
  const uint64_t above_z = low7 + 0x2525252525252525ull;     // high bit: byte > 'Z'
  return w | ((at_least_a & ~above_z & ~w & kHigh) >> 2);     // 0x80 >> 2 == 0x20
}

// Copies n bytes from src to dst (not overlapping), inline for the short values of a CSV row
// where a call into the library's memcpy costs more than the copy.
inline void copy_bytes(char* dst, const char* src, size_t n) {
  if (n >= 8 && n <= 16) {  // two overlapping 8-byte moves
    uint64_t a, b;
    std::memcpy(&a, src, 8);
    std::memcpy(&b, src + n - 8, 8);
    std::memcpy(dst, &a, 8);
    std::memcpy(dst + n - 8, &b, 8);
  } else if (n >= 4 && n < 8) {
    uint32_t a, b;
    std::memcpy(&a, src, 4);
    std::memcpy(&b, src + n - 4, 4);
    std::memcpy(dst, &a, 4);
    std::memcpy(dst + n - 4, &b, 4);
  } else if (n < 4) {
    for (size_t i = 0; i < n; ++i) dst[i] = src[i];
  } else if (n <= 32) {  // two overlapping 16-byte moves
    char a[16], b[16];
    std::memcpy(a, src, 16);
    std::memcpy(b, src + n - 16, 16);
    std::memcpy(dst, a, 16);
    std::memcpy(dst + n - 16, b, 16);
#if defined(__EMSCRIPTEN__)
  } else if (n <= 256) {
    // 16-byte moves, the last one overlapping: in wasm a longer std::memcpy is memory.copy, a
    // call out of the module that costs more than these moves for a row's line.
    char t[16];
    for (size_t i = 0; i + 16 < n; i += 16) {
      std::memcpy(t, src + i, 16);
      std::memcpy(dst + i, t, 16);
    }
    std::memcpy(t, src + n - 16, 16);
    std::memcpy(dst + n - 16, t, 16);
#endif
  } else {
    std::memcpy(dst, src, n);
  }
}

// Classifies the 64 bytes at p (all readable): bit i of `special` is set when p[i] is the
// delimiter, a quote, LF or CR; bit i of `quote` when p[i] is a quote.
inline void classify64(const char* p, char delim, uint64_t& special, uint64_t& quote) {
#if defined(INTAKE_SIMD_WASM)
  const v128_t vq = wasm_i8x16_splat('"'), vd = wasm_i8x16_splat(delim);
  const v128_t vn = wasm_i8x16_splat('\n'), vr = wasm_i8x16_splat('\r');
  uint64_t s = 0, q = 0;
  for (int i = 0; i < 4; ++i) {
    v128_t x = wasm_v128_load(p + 16 * i);
    v128_t mq = wasm_i8x16_eq(x, vq);
    v128_t m = wasm_v128_or(wasm_v128_or(mq, wasm_i8x16_eq(x, vd)),
                            wasm_v128_or(wasm_i8x16_eq(x, vn), wasm_i8x16_eq(x, vr)));
    s |= uint64_t(wasm_i8x16_bitmask(m)) << (16 * i);
    q |= uint64_t(wasm_i8x16_bitmask(mq)) << (16 * i);
  }
  special = s;
  quote = q;
#elif defined(INTAKE_SIMD_SSE2)
  const __m128i vq = _mm_set1_epi8('"'), vd = _mm_set1_epi8(delim);
  const __m128i vn = _mm_set1_epi8('\n'), vr = _mm_set1_epi8('\r');
  uint64_t s = 0, q = 0;
  for (int i = 0; i < 4; ++i) {
    __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
    __m128i mq = _mm_cmpeq_epi8(x, vq);
    __m128i m = _mm_or_si128(_mm_or_si128(mq, _mm_cmpeq_epi8(x, vd)),
                             _mm_or_si128(_mm_cmpeq_epi8(x, vn), _mm_cmpeq_epi8(x, vr)));
    s |= uint64_t(uint32_t(_mm_movemask_epi8(m))) << (16 * i);
    q |= uint64_t(uint32_t(_mm_movemask_epi8(mq))) << (16 * i);
  }
  special = s;
  quote = q;
#else
  uint64_t s = 0, q = 0;
  for (int i = 0; i < 64; ++i) {
    char c = p[i];
    bool is_q = c == '"';
    q |= uint64_t(is_q) << i;
    s |= uint64_t(is_q || c == delim || c == '\n' || c == '\r') << i;
  }
  special = s;
  quote = q;
#endif
}

// Asks the CPU to start loading the cache line at p (a hint: no effect on results; a no-op
// where the compiler or target has no prefetch, as in wasm, where kHasPrefetch is false).
#if (defined(__GNUC__) || defined(__clang__)) && !defined(__EMSCRIPTEN__)
inline constexpr bool kHasPrefetch = true;
inline void prefetch(const void* p) { __builtin_prefetch(p, 1, 3); }
#else
inline constexpr bool kHasPrefetch = false;
inline void prefetch(const void*) {}
#endif

// Zeroed memory for a large table probed at random, every page touched here (so resident memory
// does not grow later), 64-byte aligned. On Linux it is asked to live in transparent huge pages
// (fewer TLB misses per probe; where THP is off this changes nothing). Free with free_table.
struct Table {
  void* data = nullptr;
  void* base = nullptr;  // what to release
  size_t length = 0;
};
inline Table allocate_table(size_t bytes) {
  Table t;
#if defined(INTAKE_MMAP_TABLES)
  constexpr size_t kHuge = size_t(2) << 20;
  size_t length = bytes + kHuge;  // room to start on a huge-page boundary
  void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) throw std::bad_alloc();
  uintptr_t start = (reinterpret_cast<uintptr_t>(base) + kHuge - 1) & ~uintptr_t(kHuge - 1);
#if defined(MADV_HUGEPAGE)
  madvise(reinterpret_cast<void*>(start), bytes, MADV_HUGEPAGE);
#endif
  t.data = reinterpret_cast<void*>(start);
  t.base = base;
  t.length = length;
#else
  t.data = std::aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!t.data) throw std::bad_alloc();
  t.base = t.data;
  t.length = bytes;
#endif
#if defined(INTAKE_MMAP_TABLES)
  // Fresh anonymous pages read as zero: one write per page makes them resident.
  for (size_t i = 0; i < bytes; i += 4096) static_cast<volatile char*>(t.data)[i] = 0;
#else
  std::memset(t.data, 0, bytes);
#endif
  return t;  // touched once, up front: memory is flat from here on
}
inline void free_table(Table& t) {
  if (!t.base) return;
#if defined(INTAKE_MMAP_TABLES)
  munmap(t.base, t.length);
#else
  std::free(t.base);
#endif
  t = Table{};
}

}  // namespace intake::platform
