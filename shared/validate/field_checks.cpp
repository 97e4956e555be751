// Cell checks for text, numbers, booleans and enums, and check_cell, which trims a cell and
// dispatches on the field's type to those and to the checks in email_check.cpp, date_check.cpp,
// timezone_check.cpp and phone_check.cpp.
#include "validate/field_checks.h"

#include <string>

#include "core/row_error.h"

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

// Longest plain-decimal text check_number produces; longer values are refused (see the header).
constexpr size_t kMaxNumberChars = 64;

}  // namespace

bool check_text(std::string_view in, size_t max_length, std::string& out, CellError& err) {
  if (in.size() > max_length)
    return fail(err, codes::kTooLong,
                "expected at most " + std::to_string(max_length) + " characters (bytes of UTF-8); this value has " +
                    std::to_string(in.size()));
  out.append(in);
  return true;
}

// Grammar: [+-]? (digits [. digits*] | . digits) ([eE] [+-]? digits)?
// Output: the same value in plain decimal — no exponent, no '+', no leading zeros before the
// units digit, no trailing fraction zeros, "0" for any zero; e.g. "+1.50" -> "1.5",
// "-0" -> "0", "1.2e3" -> "1200", "5e-3" -> "0.005". Exact: digits are moved, never rounded.
bool check_number(std::string_view in, std::string& out, CellError& err) {
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
    out.push_back('0');
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
  // Written into a stack buffer and appended once (no per-character calls into std::string).
  char buf[kMaxNumberChars];
  char* p = buf;
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
  out.append(buf, static_cast<size_t>(p - buf));
  return true;
}

bool check_boolean(std::string_view in, std::string& out, CellError& err) {
  static constexpr std::string_view kTrue[] = {"true", "yes", "y", "1"};
  static constexpr std::string_view kFalse[] = {"false", "no", "n", "0"};
  for (std::string_view t : kTrue)
    if (iequals_ascii(in, t)) return out.append("true"), true;
  for (std::string_view f : kFalse)
    if (iequals_ascii(in, f)) return out.append("false"), true;
  return fail(err, codes::kInvalidBoolean, "expected true or false (also yes/no, y/n, 1/0)");
}

bool check_enum(std::string_view in, const std::vector<std::string>& values, std::string& out, CellError& err) {
  for (const std::string& v : values)
    if (iequals_ascii(in, v)) return out.append(v), true;
  constexpr size_t kListed = 20;
  std::string msg = "expected one of: ";
  for (size_t k = 0; k < values.size() && k < kListed; ++k) {
    if (k) msg += ", ";
    msg += values[k];
  }
  if (values.size() > kListed) msg += " (and " + std::to_string(values.size() - kListed) + " more)";
  return fail(err, codes::kInvalidEnum, std::move(msg));
}

bool check_cell(const Field& field, std::string_view in, const CheckOptions& opts, std::string& out, CellError& err) {
  size_t b = 0, e = in.size();
  while (b < e && (in[b] == ' ' || in[b] == '\t')) ++b;
  while (e > b && (in[e - 1] == ' ' || in[e - 1] == '\t')) --e;
  const std::string_view v = in.substr(b, e - b);
  if (v.empty()) {
    if (!field.required) return true;
    return fail(err, codes::kRequiredMissing, "a value is required");
  }
  switch (field.type) {
    case FieldType::text: return check_text(v, field.max_length, out, err);
    case FieldType::email: return check_email(v, out, err);
    case FieldType::phone: return check_phone(v, opts.default_region, out, err);
    case FieldType::date: return check_date(v, field.format, out, err);
    case FieldType::datetime: return check_datetime(v, out, err);
    case FieldType::number: return check_number(v, out, err);
    case FieldType::boolean: return check_boolean(v, out, err);
    case FieldType::enumeration: return check_enum(v, field.values, out, err);
    case FieldType::timezone: return check_timezone(v, out, err);
  }
  return fail(err, codes::kInvalidFields, "unknown field type");
}

}  // namespace intake
