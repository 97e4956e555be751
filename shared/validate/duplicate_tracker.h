// Duplicate identities within one file, in a fixed memory budget: an open-addressing table of
// 64-bit identity hashes and row numbers, allocated once, so memory does not grow with the
// file. When the table is full, further identities are not remembered (reported by full()); the
// server still checks every row against the participants it has stored.
#pragma once

#include <cstdint>
#include <string_view>

#include "core/platform.h"

namespace intake {

// 64-bit, well mixed, never 0; stable across versions (file fingerprints are made of it).
uint64_t hash_bytes(std::string_view bytes);

class DuplicateTracker {
 public:
  // `capacity`: identities remembered. The table takes as much memory as the next power of two
  // at or above 4/3 of that many 12-byte slots (3 Mi identities: 48 MiB), all allocated and
  // touched here, as 64-byte buckets of five (hash, row) slots: one probe reads one cache line.
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
  // Starts loading the bucket `hash` probes first, so that a first_seen_hash() issued some work
  // later does not wait for memory. Changes nothing.
  void prefetch(uint64_t hash) const { platform::prefetch(&table_[bucket_of(hash)]); }

  bool full() const { return full_; }
  size_t size() const { return size_; }

 private:
  struct alignas(64) Bucket {
    uint64_t hash[5];
    uint32_t row[5];  // row numbers fit: a 4 GB file has fewer than 2^32 rows
    uint32_t used;    // slots 0..used-1 are taken
  };
  static_assert(sizeof(Bucket) == 64);
  size_t bucket_of(uint64_t hash) const { return size_t(((hash >> 32) * buckets_) >> 32); }

  platform::Table memory_;
  Bucket* table_ = nullptr;  // memory_.data
  size_t buckets_ = 0;
  size_t size_ = 0;
  size_t capacity_;
  bool full_ = false;
};

}  // namespace intake
