// Checks and normalizes one cell against its field's type: the per-value rules of the product
// (emails, phones in E.164, calendar dates, UTC datetimes, numbers, booleans, enums, IANA
// timezones, text length). Errors are values: a failed check fills a CellError and returns false.
#pragma once

#include <string>
#include <string_view>

#include "schema/field.h"

namespace intake {

// Why a cell was refused. `code` is one of codes::k* in core/row_error.h (static storage);
// `message` says what is expected, e.g. "expected a date like 2024-03-31 (YYYY-MM-DD)".
struct CellError {
  const char* code = nullptr;
  std::string message;
};

// Options that affect checks but are not part of a field definition.
struct CheckOptions {
  std::string default_region = "US";  // ISO 3166-1 alpha-2, for phone numbers without +country
};

// Each check: `in` is the raw cell (not empty — emptiness is handled by the caller through
// `required`). On success the normalized value is APPENDED to `out` and true is returned; on
// failure `out` is left as it was, `err` is filled and false is returned. No allocation on the
// success path beyond growing `out`.
bool check_text(std::string_view in, size_t max_length, std::string& out, CellError& err);
bool check_email(std::string_view in, std::string& out, CellError& err);  // WHATWG valid e-mail; domain lower-cased
bool check_date(std::string_view in, std::string_view format, std::string& out, CellError& err);  // -> YYYY-MM-DD
// ISO 8601 with offset -> YYYY-MM-DDTHH:MM:SSZ. Accepts YYYY-MM-DD, 'T' (or 't' or a space),
// HH:MM[:SS[.1-9 digits]], then Z/z, +HH:MM or +HHMM (offset hours 00-23). The fraction is dropped
// (truncated to whole seconds); leap second :60 and hour 24 are refused; no offset is an error.
bool check_datetime(std::string_view in, std::string& out, CellError& err);
// Decimal with optional sign, '.' fraction (".5" and "1." allowed) and exponent -> the exact same
// value in plain decimal, no exponent: "+1.50" -> "1.5", "-0" -> "0", "1.2e3" -> "1200",
// "5e-3" -> "0.005". Never rounded (no double); values longer than 64 characters written that
// way are refused. No thousands separators, inf, nan or hex.
bool check_number(std::string_view in, std::string& out, CellError& err);
bool check_boolean(std::string_view in, std::string& out, CellError& err);   // true/false yes/no 1/0 -> "true"/"false"
bool check_enum(std::string_view in, const std::vector<std::string>& values, std::string& out, CellError& err);
bool check_timezone(std::string_view in, std::string& out, CellError& err);  // IANA name, any case, links resolved -> canonical ("UTC" -> "Etc/UTC")
// Phone: see phone/phone_number.h; -> E.164 "+14155550123".
bool check_phone(std::string_view in, std::string_view default_region, std::string& out, CellError& err);

// Dispatches on field.type. Leading/trailing ASCII spaces and tabs are trimmed before checking.
// A value that is empty after trimming appends nothing and returns true, or fails with
// required_missing when field.required.
bool check_cell(const Field& field, std::string_view in, const CheckOptions& opts, std::string& out, CellError& err);

// The hot path's form of check_cell (FileValidator's): the normalized value is written at `w`,
// which must have room for in.size() + cell_output_slack(field) bytes, and `w` is moved past
// it. Same results as check_cell; on failure `w` is left where it was.
size_t cell_output_slack(const Field& field);
bool write_cell(const Field& field, std::string_view in, const CheckOptions& opts, char*& w, CellError& err);
// write_cell's per-type step, for callers that look the type up once per column: the value
// (in, size) is already trimmed and not empty; it is written at `w` and its end returned, or
// null on failure. Pointers and sizes by value only: the end comes back by value so that a
// caller's `w` can stay in a register, and the value is not a std::string_view, which wasm's C
// ABI passes through memory.
using CellWriter = char* (*)(const Field& field, const char* in, size_t size, const CheckOptions& opts, char* w,
                             CellError& err);
CellWriter cell_writer(FieldType type);
// write_cell's trimming: leading and trailing ASCII spaces and tabs removed.
inline std::string_view trim_cell(std::string_view v) {
  // Most cells start and end with a byte above ' ': nothing to trim.
  if (!v.empty() && static_cast<unsigned char>(v.front()) > ' ' && static_cast<unsigned char>(v.back()) > ' ') return v;
  size_t b = 0, e = v.size();
  while (b < e && (v[b] == ' ' || v[b] == '\t')) ++b;
  while (e > b && (v[e - 1] == ' ' || v[e - 1] == '\t')) --e;
  return std::string_view(v.data() + b, e - b);
}
// The error write_cell gives an empty cell of a required field.
bool fail_required(CellError& err);
// write_cell with the field's writer already looked up (`write` is cell_writer(field.type)),
// returning the value's end, or null on failure.
inline char* write_cell_with(CellWriter write, const Field& field, std::string_view in, const CheckOptions& opts,
                             char* w, CellError& err) {
  const std::string_view v = trim_cell(in);
  if (v.empty()) return !field.required || fail_required(err) ? w : nullptr;
  return write(field, v.data(), v.size(), opts, w, err);
}

// True when `format` is a date format check_date understands (tokens YYYY, MM, DD, M, D with
// one separator among / - . and space). Empty is ISO.
bool is_known_date_format(std::string_view format);

}  // namespace intake
