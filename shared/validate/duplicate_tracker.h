// Duplicate identities within one file, in a fixed memory budget allocated once, so memory does
// not grow with the file. When the budget is used up, further identities are not remembered
// (reported by full()); the server still checks every row against the participants it has
// stored.
//
// Layout: the identities seen, as (64-bit hash, row) pairs, in arrays filled in order; and an
// open-addressing index of 32-bit slots over them, each slot holding an entry's position and a
// few more bits of its hash. A lookup reads one or two cache lines of the index (a third of the
// whole budget, 4 bytes a slot), and touches the entries only when those extra bits match: for a
// new identity, about once in a thousand. Random reads stay within the small index, which fits
// the caches and TLBs far better than a table of whole entries would.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/platform.h"

namespace intake {

// 64-bit, well mixed, never 0; stable across versions (file fingerprints are made of it).
uint64_t hash_bytes(std::string_view bytes);

class DuplicateTracker {
 public:
  // `capacity`: identities remembered, at most kMaxCapacity. Memory: 12 bytes per identity for
  // the entries plus the index, 4 bytes per slot for the next power of two at or above 4/3 of
  // the capacity (1.5 Mi identities: 18 + 8 MiB), all allocated and touched here.
  static constexpr size_t kMaxCapacity = (size_t(1) << 24) - 1;
  explicit DuplicateTracker(size_t capacity);
  ~DuplicateTracker();
  DuplicateTracker(const DuplicateTracker&) = delete;
  DuplicateTracker& operator=(const DuplicateTracker&) = delete;

  // Returns the row where `identity` was first seen, or 0 after recording it at `row` (row > 0).
  // A 64-bit hash stands for the identity: two different identities colliding is possible in
  // principle (about 1 in 10^7 for a million rows) and would be reported as a duplicate.
  uint64_t first_seen(std::string_view identity, uint64_t row) { return first_seen_hash(hash(identity), row); }
  // The hash first_seen() uses for an identity: 64-bit, well mixed, never 0, cheap for short
  // strings; free to change between versions (nothing outside one validation keeps it).
  static uint64_t hash(std::string_view identity);
  // The same with the identity's hash() already computed.
  uint64_t first_seen_hash(uint64_t hash, uint64_t row);
  // Starts loading the index line `hash` probes first, so that a first_seen_hash() issued some
  // work later does not wait for memory. Changes nothing.
  void prefetch(uint64_t hash) const { platform::prefetch(&slots_[home(hash)]); }
  // Where there is no prefetch (wasm): loads the index word `hash` probes first and returns it
  // (the value means nothing to the caller, who only has to keep it alive).
  uint32_t touch(uint64_t hash) const { return slots_[home(hash)]; }

  bool full() const { return full_; }
  size_t size() const { return size_; }

 private:
  size_t home(uint64_t hash) const { return size_t(hash >> 32) & slot_mask_; }
  uint32_t tag(uint64_t hash) const { return uint32_t(hash) >> index_bits_ << index_bits_; }

  platform::Table memory_;
  uint32_t* slots_ = nullptr;   // 0: empty; else tag(hash) | (entry + 1)
  uint64_t* hashes_ = nullptr;  // entry -> hash
  uint32_t* rows_ = nullptr;    // entry -> row (a 4 GB file has fewer than 2^32 rows)
  size_t slot_mask_ = 0;        // slots - 1 (a power of two)
  int index_bits_ = 0;          // low bits of a slot holding entry + 1
  size_t size_ = 0;
  size_t capacity_;
  bool full_ = false;
};

}  // namespace intake
