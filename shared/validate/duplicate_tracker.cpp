// Fixed-budget duplicate detection (see duplicate_tracker.h).
#include "validate/duplicate_tracker.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace intake {

namespace {
uint64_t load8(const char* p) {
  uint64_t w;
  std::memcpy(&w, p, 8);
  return w;
}

// The murmur3 finalizer, kept off 0 (0 would read as "no hash").
uint64_t finish(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return h ? h : 1;
}

// xxHash64's round: the input multiplied (spreading its bits upward), rotated (bringing the
// high bits down), multiplied again, so a change in any input bit reaches every bit.
constexpr uint64_t kP1 = 0x9E3779B185EBCA87ull, kP2 = 0xC2B2AE3D27D4EB4Full;
uint64_t round(uint64_t acc, uint64_t input) { return std::rotl(acc + input * kP2, 31) * kP1; }
}  // namespace

uint64_t hash_bytes(std::string_view s) {
  // 64-bit FNV-1a over 8-byte words, finished with a murmur-style mix. Its values are part of
  // file fingerprints (wasm's hashHex): they must not change.
  uint64_t h = 0xcbf29ce484222325ull ^ s.size();
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    h = (h ^ load8(p)) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  uint64_t tail = 0;
  std::memcpy(&tail, p, n);
  return finish((h ^ tail) * 0x100000001b3ull);
}

uint64_t DuplicateTracker::hash(std::string_view s) {
  // Two independent lanes over 16-byte steps (the last step reads the final 16 bytes,
  // overlapping what came before), so the latency is about two multiplies per 16 bytes rather
  // than one per byte; finished with the same mix as hash_bytes. Identities are short: one or
  // two steps.
  const char* p = s.data();
  const size_t n = s.size();
  uint64_t a = 0x27D4EB2F165667C5ull + uint64_t(n) * kP1, b = 0x165667B19E3779F9ull;
  if (n >= 16) {
    for (size_t i = 0; i + 16 < n; i += 16) {
      a = round(a, load8(p + i));
      b = round(b, load8(p + i + 8));
    }
    a = round(a, load8(p + n - 16));
    b = round(b, load8(p + n - 8));
  } else if (n >= 8) {
    a = round(a, load8(p));
    b = round(b, load8(p + n - 8));
  } else {
    uint64_t w = 0;
    std::memcpy(&w, p, n);
    a = round(a, w);
  }
  return finish(a ^ std::rotl(b, 27) * kP1);
}

DuplicateTracker::DuplicateTracker(size_t capacity) : capacity_(std::min(capacity, kMaxCapacity)) {
  const size_t slots = std::bit_ceil(std::max<size_t>(16, capacity_ + capacity_ / 3));
  slot_mask_ = slots - 1;
  index_bits_ = std::bit_width(capacity_ + 1);  // entry + 1 fits; the bits above are the tag
  // One allocation: slots, then hashes, then rows, each 64-byte aligned.
  auto round = [](size_t n) { return (n + 63) / 64 * 64; };
  const size_t slot_bytes = round(slots * sizeof(uint32_t));
  const size_t hash_bytes = round(std::max<size_t>(capacity_, 1) * sizeof(uint64_t));
  const size_t row_bytes = round(std::max<size_t>(capacity_, 1) * sizeof(uint32_t));
  memory_ = platform::allocate_table(slot_bytes + hash_bytes + row_bytes);
  char* base = static_cast<char*>(memory_.data);
  slots_ = reinterpret_cast<uint32_t*>(base);
  hashes_ = reinterpret_cast<uint64_t*>(base + slot_bytes);
  rows_ = reinterpret_cast<uint32_t*>(base + slot_bytes + hash_bytes);
}

DuplicateTracker::~DuplicateTracker() { platform::free_table(memory_); }

uint64_t DuplicateTracker::first_seen_hash(uint64_t h, uint64_t row) {
  const uint32_t t = tag(h);
  const uint32_t index_mask = (uint32_t(1) << index_bits_) - 1;
  for (size_t s = home(h);; s = (s + 1) & slot_mask_) {
    const uint32_t slot = slots_[s];
    if (slot == 0) {
      if (size_ >= capacity_) {
        full_ = true;
        return 0;
      }
      hashes_[size_] = h;
      rows_[size_] = uint32_t(row);
      slots_[s] = t | uint32_t(size_ + 1);
      ++size_;
      return 0;
    }
    if ((slot & ~index_mask) == t) {
      const size_t entry = (slot & index_mask) - 1;
      if (hashes_[entry] == h) return rows_[entry];
    }
  }
}

}  // namespace intake
