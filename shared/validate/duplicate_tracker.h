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
  // `capacity`: identities remembered (the table has twice as many slots, 16 bytes each).
  explicit DuplicateTracker(size_t capacity);

  // Returns the row where `identity` was first seen, or 0 after recording it at `row` (row > 0).
  // A 64-bit hash stands for the identity: two different identities colliding is possible in
  // principle (about 1 in 10^7 for a million rows) and would be reported as a duplicate.
  uint64_t first_seen(std::string_view identity, uint64_t row);

  bool full() const { return full_; }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash;  // 0 = empty
    uint32_t row_lo;
    uint32_t row_hi;  // rows beyond 2^32 keep working
  };
  std::vector<Slot> slots_;
  size_t mask_;
  size_t size_ = 0;
  size_t capacity_;
  bool full_ = false;
};

uint64_t hash_bytes(std::string_view bytes);  // 64-bit, well mixed, never 0

}  // namespace intake
