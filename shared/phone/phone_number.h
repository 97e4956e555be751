// Phone numbers: parse what people type ("(415) 555-0123", "+44 20 7946 0958", "00 33 1 ..."),
// decide validity with libphonenumber's metadata (generated at build time from the
// libphonenumber-js package), and format as E.164. No hand-written country tables.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace intake::phone {

enum class PhoneStatus {
  ok,
  not_a_number,        // letters or nothing dialable
  invalid_country,     // +CC unknown, or default region unknown and no +
  too_short,
  too_long,
  invalid_number,      // right length but no number type of the region matches
};

struct PhoneResult {
  PhoneStatus status = PhoneStatus::not_a_number;
  std::string e164;    // "+14155550123" when ok
  std::string_view region;  // ISO region the number belongs to when ok (e.g. "US"); static storage
};

// The same result without allocating (the hot path's form): E.164 in a fixed buffer.
struct ParsedPhone {
  PhoneStatus status = PhoneStatus::not_a_number;
  char e164[24];  // "+14155550123" when ok: e164_length bytes
  uint8_t e164_length = 0;
  std::string_view region;
  std::string_view e164_view() const { return {e164, e164_length}; }
};
PhoneStatus parse_phone_into(std::string_view input, std::string_view default_region, ParsedPhone& out);

// The same, for a writer: the E.164 form is written at `out`, which has room for kE164Room bytes
// (bytes past the number may be overwritten), and its length returned; 0 when the number is
// refused, with `status` saying why (`status` is only written then).
inline constexpr size_t kE164Room = 24;
size_t write_e164(std::string_view input, std::string_view default_region, char* out, PhoneStatus& status);

// Parses and validates `input` with `default_region` (ISO 3166-1 alpha-2, case-insensitive)
// used when the number has no international prefix. Thread-safe; no I/O.
PhoneResult parse_phone(std::string_view input, std::string_view default_region);

// True if `region` is a region the metadata knows ("US", "GB", ...).
bool is_known_region(std::string_view region);

// An example number of `region` (libphonenumber's example mobile number), written the
// international way ("+1 201 555 0123") and the national way ("(201) 555-0123"); "" when
// the region is unknown. Static storage.
std::string_view example_international(std::string_view region);
std::string_view example_national(std::string_view region);

}  // namespace intake::phone
