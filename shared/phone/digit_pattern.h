// Regular expressions over the ten ASCII digits, in the subset libphonenumber's metadata uses:
// digits, \d, classes like [2-9], groups (...) and (?:...), alternation |, quantifiers ? * + {n}
// {n,} {n,m} (optionally lazy), and $. Two executors over one compiled program:
//  - match_prefix: JavaScript semantics (leftmost alternative first, greedy), anchored at the
//    start, with capture groups — for national prefixes, IDD prefixes and leading digits;
//  - DigitDfa: several patterns determinized together for full-string matching in one pass.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

namespace intake::phone {

// A compiled pattern. An empty pattern means "absent": empty() is true and it never matches. A
// pattern outside the subset never matches either (`ok()` is false); the unit tests check that
// every metadata pattern compiles.
class DigitPattern {
 public:
  DigitPattern() = default;
  explicit DigitPattern(std::string_view pattern);

  bool ok() const { return ok_; }
  bool empty() const { return code_.empty(); }
  int group_count() const { return groups_; }

  // Anchored prefix match of `digits` (ASCII '0'..'9'). On success returns true, sets
  // `*match_end` to the length matched and fills `captures` (2 per group: begin, end; -1 when
  // the group did not take part) when it is not null and has room for 2 * group_count().
  // Inline so that the common refusal (the first digit cannot start a match) costs no call.
  bool match_prefix(std::string_view digits, size_t* match_end, int* captures = nullptr) const {
    return may_match_prefix(digits) && run_prefix(digits, match_end, captures);
  }
  // False when match_prefix(digits, ...) is certain to fail: the pattern is absent or broken, or
  // `digits` cannot start a match.
  bool may_match_prefix(std::string_view digits) const {
    return (first_digits_ >> (digits.empty() ? 10u : static_cast<unsigned>(digits[0] - '0'))) & 1;
  }

  struct Inst {
    enum Op : uint8_t { kChar, kSplit, kJmp, kSave, kEnd, kMatch } op;
    uint16_t mask = 0;  // kChar: bit d set when digit d matches
    int32_t x = 0;      // kSplit: preferred target; kJmp: target; kSave: slot
    int32_t y = 0;      // kSplit: other target
  };
  const std::vector<Inst>& code() const { return code_; }

 private:
  bool run_prefix(std::string_view digits, size_t* match_end, int* captures) const;

  std::vector<Inst> code_;
  // Bit d (0-9) set when a match can start with digit d, bit 10 when the empty input can match
  // (then every bit is set: a match can start with anything); 0 when !ok().
  uint16_t first_digits_ = 0;
  int groups_ = 0;
  bool ok_ = false;
};

// Patterns 0..n-1 determinized together. `run` walks the whole input and returns a mask with bit
// i set when pattern i matches the entire input; states are built eagerly at construction.
class DigitDfa {
 public:
  DigitDfa() = default;
  explicit DigitDfa(const std::vector<const DigitPattern*>& patterns);

  // `digits` holds only '0'..'9'. The dead state's row leads back to itself, so the walk needs
  // no exit test: 16 steps per loop test, then the last 0-16 digits without one (national
  // numbers have at most 17 digits, so the loop rarely runs).
  [[gnu::always_inline]] uint32_t run(std::string_view digits) const {
    const uint32_t* table = table_.data();
    const unsigned char* p = reinterpret_cast<const unsigned char*>(digits.data());
    size_t n = digits.size();
    size_t row = kStride;  // state 1's row
    for (; n > 16; n -= 16, p += 16) {
      for (int i = 0; i < 16; ++i) row = table[row + p[i] - '0'];
    }
    const unsigned char* const end = p + n;
    switch (n) {
#define INTAKE_DFA_STEP(k) \
  case k: row = table[row + end[-(k)] - '0']; [[fallthrough]];
      INTAKE_DFA_STEP(16) INTAKE_DFA_STEP(15) INTAKE_DFA_STEP(14) INTAKE_DFA_STEP(13)
      INTAKE_DFA_STEP(12) INTAKE_DFA_STEP(11) INTAKE_DFA_STEP(10) INTAKE_DFA_STEP(9)
      INTAKE_DFA_STEP(8) INTAKE_DFA_STEP(7) INTAKE_DFA_STEP(6) INTAKE_DFA_STEP(5)
      INTAKE_DFA_STEP(4) INTAKE_DFA_STEP(3) INTAKE_DFA_STEP(2) INTAKE_DFA_STEP(1)
#undef INTAKE_DFA_STEP
      default: break;
    }
    return table[row + 10];
  }
  size_t state_count() const { return table_.size() / kStride; }

 private:
  // Row of a state (state * kStride): its ten transitions (digit d -> the next state's row),
  // then the mask of patterns that accept there.
  static constexpr uint32_t kStride = 11;
  std::vector<uint32_t> table_;
};

}  // namespace intake::phone
