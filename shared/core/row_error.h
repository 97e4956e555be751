// Row errors: the one shape every problem with a file takes — row, field, value, code, message.
// Errors are values here: the core never throws for bad input. Codes are stable snake_case
// strings that clients match on; messages say what was expected and are meant for people.
#pragma once

#include <cstdint>
#include <string>

namespace intake {

// One problem with one cell (or a whole row when `field` is empty).
// `row` is the spreadsheet row: the header is row 1, the first data row is row 2.
struct RowError {
  uint64_t row = 0;
  std::string field;    // field key, or "" for a row-level problem
  std::string value;    // the offending raw value (may be truncated to a display limit)
  std::string code;     // stable code, see codes below
  std::string message;  // what is wrong and what is expected

  friend bool operator==(const RowError&, const RowError&) = default;
};

// A problem with the file as a whole (header, encoding) that stops validation.
struct FileError {
  std::string code;
  std::string message;
};

// Stable error codes. Cell problems:
namespace codes {
inline constexpr const char* kRequiredMissing = "required_missing";
inline constexpr const char* kTooLong = "too_long";
inline constexpr const char* kInvalidEmail = "invalid_email";
inline constexpr const char* kInvalidPhone = "invalid_phone";
inline constexpr const char* kInvalidDate = "invalid_date";
inline constexpr const char* kInvalidDatetime = "invalid_datetime";
inline constexpr const char* kInvalidNumber = "invalid_number";
inline constexpr const char* kInvalidBoolean = "invalid_boolean";
inline constexpr const char* kInvalidEnum = "invalid_enum";
inline constexpr const char* kInvalidTimezone = "invalid_timezone";
// Row problems:
inline constexpr const char* kInvalidEncoding = "invalid_encoding";
inline constexpr const char* kMalformedQuotes = "malformed_quotes";
inline constexpr const char* kUnclosedQuote = "unclosed_quote";
inline constexpr const char* kWrongFieldCount = "wrong_field_count";
inline constexpr const char* kFieldTooLarge = "field_too_large";
inline constexpr const char* kRowTooLarge = "row_too_large";
inline constexpr const char* kDuplicateIdentity = "duplicate_identity";
// File problems:
inline constexpr const char* kMissingRequiredColumns = "missing_required_columns";
inline constexpr const char* kDuplicateHeader = "duplicate_header";
inline constexpr const char* kEmptyFile = "empty_file";
inline constexpr const char* kInvalidMapping = "invalid_mapping";
inline constexpr const char* kInvalidFields = "invalid_fields";
}  // namespace codes

}  // namespace intake
