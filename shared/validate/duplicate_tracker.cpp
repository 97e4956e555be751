// Fixed-budget duplicate detection (see duplicate_tracker.h).
#include "validate/duplicate_tracker.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace intake {

uint64_t hash_bytes(std::string_view s) {
  // 64-bit FNV-1a over 8-byte words, finished with a murmur-style mix. Its values are part of
  // file fingerprints (wasm's hashHex): they must not change.
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  while (n >= 8) {
    uint64_t w;
    std::memcpy(&w, p, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
    p += 8;
    n -= 8;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  h = (h ^ tail) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h ? h : 1;
}

namespace {
uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}
uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
}  // namespace

uint64_t DuplicateTracker::hash(std::string_view s) {
  // Two independent multiply lanes over 16-byte steps (the last step reads the final 16 bytes,
  // overlapping what came before), so the latency is about one multiply per 16 bytes rather
  // than per byte; finished with a murmur-style mix. Identities are short: one or two steps.
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t a = 0x9E3779B97F4A7C15ull ^ n, b = 0xC2B2AE3D27D4EB4Full;
  if (n >= 16) {
    size_t i = 0;
    for (; i + 16 < n; i += 16) {
      a = rotl((a ^ load8(p + i)) * 0x87C37B91114253D5ull, 31);
      b = rotl((b ^ load8(p + i + 8)) * 0x4CF5AD432745937Full, 33);
    }
    a = rotl((a ^ load8(p + n - 16)) * 0x87C37B91114253D5ull, 31);
    b = rotl((b ^ load8(p + n - 8)) * 0x4CF5AD432745937Full, 33);
  } else if (n >= 8) {
    a = rotl((a ^ load8(p)) * 0x87C37B91114253D5ull, 31);
    b = rotl((b ^ load8(p + n - 8)) * 0x4CF5AD432745937Full, 33);
  } else {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    a = rotl((a ^ w) * 0x87C37B91114253D5ull, 31);
  }
  uint64_t h = a ^ rotl(b * 0x9E3779B97F4A7C15ull, 27);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h ? h : 1;
}

DuplicateTracker::DuplicateTracker(size_t capacity) : capacity_(capacity) {
  // The memory of a table of 12-byte slots, a power of two at or above 4/3 of the capacity,
  // cut into buckets of five: at most 80% of the slots are ever used.
  size_t slots = std::bit_ceil(std::max<size_t>(16, capacity + capacity / 3));
  buckets_ = std::min<size_t>(slots * 12 / sizeof(Bucket), size_t(1) << 31);
  memory_ = platform::allocate_table(buckets_ * sizeof(Bucket));
  table_ = static_cast<Bucket*>(memory_.data);
}

DuplicateTracker::~DuplicateTracker() { platform::free_table(memory_); }

uint64_t DuplicateTracker::first_seen_hash(uint64_t h, uint64_t row) {
  for (size_t b = bucket_of(h);; b = b + 1 == buckets_ ? 0 : b + 1) {
    Bucket& k = table_[b];
    for (uint32_t i = 0; i < k.used; ++i)
      if (k.hash[i] == h) return k.row[i];
    if (k.used < 5) {
      if (size_ >= capacity_) {
        full_ = true;
        return 0;
      }
      k.hash[k.used] = h;
      k.row[k.used] = uint32_t(row);
      ++k.used;
      ++size_;
      return 0;
    }
  }
}

}  // namespace intake
