// Duplicate identities within one file, in a fixed memory budget: an open-addressing table of
// 64-bit identity hashes and row numbers, allocated once, so memory does not grow with the
// file. When the table is full, further identities are not remembered (reported by full()); the
// server still checks every row against the participants it has stored.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace intake {

class DuplicateTracker {
 public:
  // `capacity`: identities remembered. The table has the next power of two at or above 4/3 of
  // that many slots, 12 bytes each (3 Mi identities: 48 MiB), all allocated and touched here.
  explicit DuplicateTracker(size_t capacity);

  // Returns the row where `identity` was first seen, or 0 after recording it at `row` (row > 0).
  // A 64-bit hash stands for the identity: two different identities colliding is possible in
  // principle (about 1 in 10^7 for a million rows) and would be reported as a duplicate.
  uint64_t first_seen(std::string_view identity, uint64_t row);

  bool full() const { return full_; }
  size_t size() const { return size_; }

 private:
  std::vector<uint64_t> hashes_;  // 0 = empty slot
  std::vector<uint32_t> rows_;    // row numbers fit: a 4 GB file has fewer than 2^32 rows
  size_t mask_;
  size_t size_ = 0;
  size_t capacity_;
  bool full_ = false;
};

uint64_t hash_bytes(std::string_view bytes);  // 64-bit, well mixed, never 0

}  // namespace intake
