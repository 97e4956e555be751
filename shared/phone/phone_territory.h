// Internal to shared/phone: one territory's metadata with its patterns compiled — the national
// pattern and the ten number-type patterns determinized into one DFA, and the prefix patterns
// kept as backtracking programs (they need JavaScript match priority and captures).
#pragma once

#include <atomic>
#include <cstdint>
#include <string_view>

#include "phone/digit_pattern.h"
#include "phone/phone_metadata.h"

namespace intake::phone {

struct CompiledTerritory {
  explicit CompiledTerritory(const metadata::Territory& t);

  const metadata::Territory* territory;
  int index;                                 // territory - metadata::kTerritories
  std::string_view region;                   // territory->region
  const metadata::CallingCode* calling_code;  // the calling code's entry; never null
  char code_text[4] = {};                    // the calling code in decimal ("1", "44", "888")
  uint8_t code_text_length = 0;
  DigitPattern national_prefix;  // national prefix for parsing
  DigitPattern idd_prefix;
  DigitPattern leading_digits;
  DigitDfa dfa;                  // bit 0: national pattern; bit i + 1: type i
  uint32_t type_bits = 0;        // DFA bits of the types that have a pattern
  uint32_t types_of_length[32] = {};  // n -> DFA bits of the types with a pattern and length n
  // Bit d set when none of the IDD prefix, the national prefix for parsing and the calling code
  // can start with digit d (so digits typed without '+' that start with d are taken as they are).
  uint16_t plain_first_digits = 0;

  // True when `digits` (not empty) is none of this region's prefixes' business: see plain_first_digits.
  bool starts_plain(std::string_view digits) const {
    return (plain_first_digits >> static_cast<unsigned>(digits[0] - '0')) & 1;
  }
  bool matches_general(std::string_view nsn) const { return dfa.run(nsn) & 1; }
  // libphonenumber's getNumberType() != undefined: the national pattern and one type (pattern
  // and that type's possible lengths) match.
  [[gnu::always_inline]] bool has_number_type(std::string_view nsn) const {
    if (nsn.size() >= 32) return false;  // no type has such a length
    const uint32_t m = dfa.run(nsn);
    return (m & 1) && (m & types_of_length[nsn.size()]);
  }
  // libphonenumber's isValid() for a national significant number of this territory.
  bool is_valid(std::string_view nsn) const;
  std::string_view code() const { return {code_text, code_text_length}; }
};

namespace detail {
// Territories built so far, by index (null until built); constant-initialized, so the lookup
// below needs no guard. Indexes past the array (none in today's metadata) take the slow path.
inline constexpr int kCompiledSlots = 512;
extern std::atomic<const CompiledTerritory*> compiled[kCompiledSlots];
const CompiledTerritory& compile_territory(int index);  // builds once; thread-safe
}  // namespace detail

// The compiled form of metadata::kTerritories[index], built on first use. Thread-safe.
inline const CompiledTerritory& compiled_territory(int index) {
  if (unsigned(index) < unsigned(detail::kCompiledSlots)) {
    if (const CompiledTerritory* built = detail::compiled[index].load(std::memory_order_acquire)) return *built;
  }
  return detail::compile_territory(index);
}

}  // namespace intake::phone
