// Cell checks for text, numbers, booleans and enums, and check_cell, which trims a cell and
// dispatches on the field's type to those and to the checks in email_check.cpp, date_check.cpp,
// timezone_check.cpp and phone_check.cpp.
#include "validate/field_checks.h"

#include <algorithm>
#include <string>

#include "core/platform.h"
#include "core/row_error.h"
#include "timezone/timezone_table.h"
#include "validate/cell_writers.h"

namespace intake {
namespace {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c; }
constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  return true;
}

bool fail(CellError& err, const char* code, std::string message) {
  err.code = code;
  err.message = std::move(message);
  return false;
}

// The failures of write_text and write_enum, out of line: the checks that pass stay small enough
// to be inlined into their callers.
[[gnu::cold, gnu::noinline]] bool fail_too_long(size_t max_length, size_t size, CellError& err) {
  return fail(err, codes::kTooLong,
              "expected at most " + std::to_string(max_length) + " characters (bytes of UTF-8); this value has " +
                  std::to_string(size));
}

[[gnu::cold, gnu::noinline]] bool fail_enum(const std::vector<std::string>& values, CellError& err) {
  constexpr size_t kListed = 20;
  std::string msg = "expected one of: ";
  for (size_t k = 0; k < values.size() && k < kListed; ++k) {
    if (k) msg += ", ";
    msg += values[k];
  }
  if (values.size() > kListed) msg += " (and " + std::to_string(values.size() - kListed) + " more)";
  return fail(err, codes::kInvalidEnum, std::move(msg));
}

// Longest plain-decimal text check_number produces; longer values are refused (see the header).
constexpr size_t kMaxNumberChars = 64;

}  // namespace

namespace detail {

bool write_text(std::string_view in, size_t max_length, char*& w, CellError& err) {
  if (in.size() > max_length) [[unlikely]] return fail_too_long(max_length, in.size(), err);
  platform::copy_bytes(w, in.data(), in.size());
  w += in.size();
  return true;
}

// Grammar: [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?
// Output: the same value in plain decimal — no exponent, no '+', no leading zeros before the
// units digit, no trailing fraction zeros, "0" for any zero; e.g. "+1.50" -> "1.5",
// "-0" -> "0", "1.2e3" -> "1200", "5e-3" -> "0.005". Exact: digits are moved, never rounded.
bool write_number(std::string_view in, char*& w, CellError& err) {
  size_t i = 0;
  const size_t n = in.size();
  bool negative = false;
  if (i < n && (in[i] == '+' || in[i] == '-')) negative = in[i++] == '-';
  const size_t int_begin = i;
  while (i < n && is_digit(in[i])) ++i;
  const size_t int_end = i;
  size_t frac_begin = i, frac_end = i;
  if (i < n && in[i] == '.') {
    frac_begin = ++i;
    while (i < n && is_digit(in[i])) ++i;
    frac_end = i;
  }
  const size_t int_len = int_end - int_begin, frac_len = frac_end - frac_begin;
  bool ok = int_len + frac_len > 0;
  long long exponent = 0;
  if (ok && i < n && (in[i] == 'e' || in[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (in[i] == '+' || in[i] == '-')) exp_negative = in[i++] == '-';
    const size_t exp_begin = i;
    while (i < n && is_digit(in[i])) {
      if (exponent < 1000000) exponent = exponent * 10 + (in[i] - '0');  // saturates; refused below
      ++i;
    }
    ok = i > exp_begin;
    if (exp_negative) exponent = -exponent;
  }
  if (!ok || i != n) {
    std::string msg = "expected a number like 1234.5 or -0.25 (digits, optional sign, '.' for decimals";
    if (in.find(',') != std::string_view::npos)
      msg += "; no thousands separators or decimal commas";
    msg += ")";
    return fail(err, codes::kInvalidNumber, std::move(msg));
  }

  // The significant digits are int digits then fraction digits; the decimal point sits after
  // `point` of them. Strip leading and trailing zeros.
  auto digit = [&](size_t k) { return k < int_len ? in[int_begin + k] : in[frac_begin + (k - int_len)]; };
  size_t first = 0, last = int_len + frac_len;  // [first, last)
  while (first < last && digit(first) == '0') ++first;
  while (last > first && digit(last - 1) == '0') --last;
  if (first == last) {
    *w++ = '0';
    return true;
  }
  const long long point = static_cast<long long>(int_len) + exponent - static_cast<long long>(first);
  const long long count = static_cast<long long>(last - first);
  const long long length = (negative ? 1 : 0) +
                           (point <= 0 ? 2 - point + count : point >= count ? point : count + 1);
  if (length > static_cast<long long>(kMaxNumberChars))
    return fail(err, codes::kInvalidNumber,
                "number too large or too precise: expected at most " + std::to_string(kMaxNumberChars) +
                    " characters when written without an exponent, like 1234.5");
  char* p = w;
  if (negative) *p++ = '-';
  if (point <= 0) {
    *p++ = '0';
    *p++ = '.';
    for (long long z = 0; z < -point; ++z) *p++ = '0';
    for (size_t k = first; k < last; ++k) *p++ = digit(k);
  } else if (point >= count) {
    for (size_t k = first; k < last; ++k) *p++ = digit(k);
    for (long long z = count; z < point; ++z) *p++ = '0';
  } else {
    for (size_t k = first; k < last; ++k) {
      if (static_cast<long long>(k - first) == point) *p++ = '.';
      *p++ = digit(k);
    }
  }
  w = p;
  return true;
}

bool write_boolean(std::string_view in, char*& w, CellError& err) {
  static constexpr std::string_view kTrue[] = {"true", "yes", "y", "1"};
  static constexpr std::string_view kFalse[] = {"false", "no", "n", "0"};
  for (std::string_view t : kTrue)
    if (iequals_ascii(in, t)) return put(w, "true"), true;
  for (std::string_view f : kFalse)
    if (iequals_ascii(in, f)) return put(w, "false"), true;
  return fail(err, codes::kInvalidBoolean, "expected true or false (also yes/no, y/n, 1/0)");
}

bool write_enum(std::string_view in, const std::vector<std::string>& values, char*& w, CellError& err) {
  for (const std::string& v : values)
    if (iequals_ascii(in, v)) return put(w, v), true;
  return fail_enum(values, err);
}

size_t timezone_output_slack() {
  static const size_t longest = [] {
    size_t n = 0;
    for (const TimezoneName& t : timezone_names()) n = std::max(n, t.canonical.size());
    return n;
  }();
  return longest;
}

}  // namespace detail

bool check_text(std::string_view in, size_t max_length, std::string& out, CellError& err) {
  return detail::append_written(out, in.size(), [&](char*& w) { return detail::write_text(in, max_length, w, err); });
}
bool check_number(std::string_view in, std::string& out, CellError& err) {
  return detail::append_written(out, detail::kNumberChars, [&](char*& w) { return detail::write_number(in, w, err); });
}
bool check_boolean(std::string_view in, std::string& out, CellError& err) {
  return detail::append_written(out, detail::kBooleanChars, [&](char*& w) { return detail::write_boolean(in, w, err); });
}
bool check_enum(std::string_view in, const std::vector<std::string>& values, std::string& out, CellError& err) {
  size_t room = 0;
  for (const std::string& v : values) room = std::max(room, v.size());
  return detail::append_written(out, room, [&](char*& w) { return detail::write_enum(in, values, w, err); });
}

size_t cell_output_slack(const Field& field) {
  switch (field.type) {
    case FieldType::text:
    case FieldType::email: return 0;  // never longer than the cell
    case FieldType::phone: return detail::kPhoneChars;
    case FieldType::date: return detail::kDateChars;
    case FieldType::datetime: return detail::kDatetimeChars;
    case FieldType::number: return detail::kNumberChars;
    case FieldType::boolean: return detail::kBooleanChars;
    case FieldType::enumeration: {
      size_t room = 0;
      for (const std::string& v : field.values) room = std::max(room, v.size());
      return room;
    }
    case FieldType::timezone: return detail::timezone_output_slack();
  }
  return 0;
}

namespace {
// Each type's writer behind one signature (CellWriter).
char* write_text_cell(const Field& f, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_text(v, f.max_length, w, err) ? w : nullptr;
}
char* write_email_cell(const Field&, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_email(v, w, err) ? w : nullptr;
}
char* write_phone_cell(const Field&, const char* in, size_t size, const CheckOptions& opts, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_phone(v, opts.default_region, w, err) ? w : nullptr;
}
char* write_date_cell(const Field& f, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_date(v, f.format, w, err) ? w : nullptr;
}
char* write_datetime_cell(const Field&, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_datetime(v, w, err) ? w : nullptr;
}
char* write_number_cell(const Field&, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_number(v, w, err) ? w : nullptr;
}
char* write_boolean_cell(const Field&, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_boolean(v, w, err) ? w : nullptr;
}
char* write_enum_cell(const Field& f, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_enum(v, f.values, w, err) ? w : nullptr;
}
char* write_timezone_cell(const Field&, const char* in, size_t size, const CheckOptions&, char* w, CellError& err) {
  const std::string_view v(in, size);
  return detail::write_timezone(v, w, err) ? w : nullptr;
}
char* write_unknown_cell(const Field&, const char*, size_t, const CheckOptions&, char*, CellError& err) {
  fail(err, codes::kInvalidFields, "unknown field type");
  return nullptr;
}
}  // namespace

CellWriter cell_writer(FieldType type) {
  switch (type) {
    case FieldType::text: return write_text_cell;
    case FieldType::email: return write_email_cell;
    case FieldType::phone: return write_phone_cell;
    case FieldType::date: return write_date_cell;
    case FieldType::datetime: return write_datetime_cell;
    case FieldType::number: return write_number_cell;
    case FieldType::boolean: return write_boolean_cell;
    case FieldType::enumeration: return write_enum_cell;
    case FieldType::timezone: return write_timezone_cell;
  }
  return write_unknown_cell;
}

bool fail_required(CellError& err) { return fail(err, codes::kRequiredMissing, "a value is required"); }

bool write_cell(const Field& field, std::string_view in, const CheckOptions& opts, char*& w, CellError& err) {
  char* const end = write_cell_with(cell_writer(field.type), field, in, opts, w, err);
  if (!end) return false;
  w = end;
  return true;
}

bool check_cell(const Field& field, std::string_view in, const CheckOptions& opts, std::string& out, CellError& err) {
  return detail::append_written(out, in.size() + cell_output_slack(field),
                                [&](char*& w) { return write_cell(field, in, opts, w, err); });
}

}  // namespace intake
