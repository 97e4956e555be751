// The shape of libphonenumber's metadata as the core compiles it in. The tables are generated at
// build time by scripts/gen_phone_metadata.mjs from the npm package libphonenumber-js; patterns
// stay text here and are compiled to digit automata on first use (see digit_pattern.h).
#pragma once

#include <cstddef>
#include <cstdint>

namespace intake::phone::metadata {

inline constexpr int kTypeCount = 10;  // fixed line, mobile, toll free, premium rate, personal,
                                       // voicemail, UAN, pager, VoIP, shared cost

// One numbering plan: a region ("US"), or a non-geographic calling code (region "001").
// Patterns use libphonenumber's regular-expression subset; "" means absent.
// Length masks have bit n set when n digits is a possible national number length.
struct Territory {
  const char* region;
  uint16_t calling_code;
  const char* idd_prefix;                   // international dialling prefix, e.g. "011"
  const char* national_prefix;              // e.g. "1", "0"
  const char* national_prefix_for_parsing;  // defaults to national_prefix
  const char* national_prefix_transform;    // replacement with $1.. for the prefix above
  const char* leading_digits;               // for codes shared by several regions
  const char* general_pattern;              // national number pattern
  uint32_t possible_lengths;
  bool has_types;
  const char* type_patterns[kTypeCount];
  uint32_t type_lengths[kTypeCount];        // the type's own lengths, else possible_lengths
  const char* example_international;        // "+1 201 555 0123", or "" when none
  const char* example_national;             // "(201) 555-0123", or ""
};

// The territories of one calling code are contiguous in kTerritories, the main one first.
struct CallingCode {
  uint16_t code;
  uint16_t first;
  uint16_t count;
  bool non_geographic;
};

extern const Territory kTerritories[];
extern const size_t kTerritoryCount;
extern const CallingCode kCallingCodes[];
extern const size_t kCallingCodeCount;
extern const int16_t kCallingCodeIndex[1000];  // calling code -> kCallingCodes index, or -1
extern const int16_t kRegionIndex[26 * 26];    // "AA".."ZZ" -> kTerritories index, or -1

}  // namespace intake::phone::metadata
