// Internal to shared/validate: each cell check in its writing form. `in` is the trimmed, non-empty
// cell; the normalized value is written at `w` (room for in.size() + the type's slack, see
// cell_output_slack) and `w` is moved past it; on failure `w` stays and `err` is filled. The
// std::string forms in field_checks.h are these plus appending.
#pragma once

#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/platform.h"
#include "validate/field_checks.h"

namespace intake::detail {

// Longest outputs of the types whose output does not grow with the input.
inline constexpr size_t kDateChars = 10;      // YYYY-MM-DD
inline constexpr size_t kDatetimeChars = 20;  // YYYY-MM-DDTHH:MM:SSZ
inline constexpr size_t kNumberChars = 64;    // see check_number
inline constexpr size_t kBooleanChars = 5;    // false
inline constexpr size_t kPhoneChars = 24;     // + country code (3) + national number (17), rounded up

bool write_text(std::string_view in, size_t max_length, char*& w, CellError& err);
bool write_email(std::string_view in, char*& w, CellError& err);
bool write_date(std::string_view in, std::string_view format, char*& w, CellError& err);
bool write_datetime(std::string_view in, char*& w, CellError& err);
bool write_number(std::string_view in, char*& w, CellError& err);
bool write_boolean(std::string_view in, char*& w, CellError& err);
bool write_enum(std::string_view in, const std::vector<std::string>& values, char*& w, CellError& err);
bool write_timezone(std::string_view in, char*& w, CellError& err);
bool write_phone(std::string_view in, std::string_view default_region, char*& w, CellError& err);
size_t timezone_output_slack();  // the longest canonical zone name

inline void put(char*& w, std::string_view v) {
  platform::copy_bytes(w, v.data(), v.size());
  w += v.size();
}

// Appends to `out` what `write(char*& w)` writes in at most `room` bytes; returns its result.
template <class Write>
bool append_written(std::string& out, size_t room, Write&& write) {
  const size_t at = out.size();
  out.resize(at + room);
  char* w = out.data() + at;
  const bool ok = write(w);
  out.resize(ok ? size_t(w - out.data()) : at);
  return ok;
}

}  // namespace intake::detail
