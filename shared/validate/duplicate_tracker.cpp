// Fixed-budget duplicate detection (see duplicate_tracker.h).
#include "validate/duplicate_tracker.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace intake {

uint64_t hash_bytes(std::string_view s) {
  // 64-bit FNV-1a over 8-byte words, finished with a murmur-style mix.
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

DuplicateTracker::DuplicateTracker(size_t capacity) : capacity_(capacity) {
  size_t slots = std::bit_ceil(std::max<size_t>(16, capacity + capacity / 3));
  hashes_.assign(slots, 0);  // touched once, up front: memory is flat from here on
  rows_.assign(slots, 0);
  mask_ = slots - 1;
}

uint64_t DuplicateTracker::first_seen(std::string_view identity, uint64_t row) {
  uint64_t h = hash_bytes(identity);
  for (size_t i = size_t(h) & mask_;; i = (i + 1) & mask_) {
    if (hashes_[i] == h) return rows_[i];
    if (hashes_[i] == 0) {
      if (size_ >= capacity_) {
        full_ = true;
        return 0;
      }
      hashes_[i] = h;
      rows_[i] = uint32_t(row);
      ++size_;
      return 0;
    }
  }
}

}  // namespace intake
