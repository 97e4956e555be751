// check_date (ISO or a field's day/month/year format -> YYYY-MM-DD), check_datetime (ISO 8601
// with a UTC offset -> YYYY-MM-DDTHH:MM:SSZ) and is_known_date_format. Calendar validity comes
// from std::chrono (proleptic Gregorian, leap years included); years are 0001-9999.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>

#include "core/row_error.h"
#include "validate/cell_writers.h"
#include "validate/field_checks.h"

namespace intake {
namespace {

constexpr bool is_digit(char c) { return c >= '0' && c <= '9'; }

enum class Token : uint8_t { year, month2, month1, day2, day1 };

// A parsed date format: three tokens with one separator between them.
struct DateFormat {
  Token tokens[3] = {Token::year, Token::month2, Token::day2};
  char sep = '-';
};

bool parse_format(std::string_view f, DateFormat& out) {
  if (f.empty()) {
    out = DateFormat{};
    return true;
  }
  bool seen_y = false, seen_m = false, seen_d = false;
  size_t i = 0;
  for (int t = 0; t < 3; ++t) {
    if (t > 0) {
      if (i >= f.size()) return false;
      const char s = f[i++];
      if (s != '/' && s != '-' && s != '.' && s != ' ') return false;
      if (t == 1) out.sep = s;
      else if (s != out.sep) return false;
    }
    if (i >= f.size()) return false;
    const char c = f[i];
    size_t run = 0;
    while (i + run < f.size() && f[i + run] == c) ++run;
    i += run;
    if (c == 'Y' && run == 4 && !seen_y) {
      seen_y = true;
      out.tokens[t] = Token::year;
    } else if (c == 'M' && run <= 2 && !seen_m) {
      seen_m = true;
      out.tokens[t] = run == 2 ? Token::month2 : Token::month1;
    } else if (c == 'D' && run <= 2 && !seen_d) {
      seen_d = true;
      out.tokens[t] = run == 2 ? Token::day2 : Token::day1;
    } else {
      return false;
    }
  }
  return i == f.size();
}

// Reads between min and max digits at in[i...] into `value`.
bool read_digits(std::string_view in, size_t& i, size_t min, size_t max, int& value) {
  size_t k = 0;
  int v = 0;
  while (k < max && i + k < in.size() && is_digit(in[i + k])) v = v * 10 + (in[i + k++] - '0');
  if (k < min) return false;
  i += k;
  value = v;
  return true;
}

bool read_char(std::string_view in, size_t& i, char c) {
  if (i < in.size() && in[i] == c) return ++i, true;
  return false;
}

// Writes v as `width` decimal digits at p; returns the end.
char* put_digits(char* p, int v, int width) {
  for (int k = width - 1; k >= 0; --k, v /= 10) p[k] = static_cast<char>('0' + v % 10);
  return p + width;
}

// Appends YYYY-MM-DD.
char* put_date(char* p, int y, int m, int d) {
  p = put_digits(p, y, 4);
  *p++ = '-';
  p = put_digits(p, m, 2);
  *p++ = '-';
  return put_digits(p, d, 2);
}

// "31/03/2024 (DD/MM/YYYY)": the format's spelling of 2024-03-31, for messages.
std::string example(const DateFormat& f, std::string_view spelled) {
  std::string s;
  for (int t = 0; t < 3; ++t) {
    if (t) s.push_back(f.sep);
    switch (f.tokens[t]) {
      case Token::year: s += "2024"; break;
      case Token::month2: s += "03"; break;
      case Token::month1: s += "3"; break;
      case Token::day2:
      case Token::day1: s += "31"; break;
    }
  }
  return s + " (" + std::string(spelled.empty() ? "YYYY-MM-DD" : spelled) + ")";
}

bool fail(CellError& err, const char* code, std::string message) {
  err.code = code;
  err.message = std::move(message);
  return false;
}

bool calendar_ok(int y, int m, int d) {
  using namespace std::chrono;
  return y >= 1 && y <= 9999 && year_month_day{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}}.ok();
}

constexpr const char* kDatetimeExample = "2024-03-31T14:30:00Z or 2024-03-31T14:30:00+02:00";

}  // namespace

bool is_known_date_format(std::string_view format) {
  DateFormat f;
  return parse_format(format, f);
}

namespace detail {

namespace {

// write_date past its common case, out of line.
[[gnu::noinline]] bool write_date_general(std::string_view in, std::string_view format, char*& w, CellError& err) {
  DateFormat f;
  if (!parse_format(format, f))
    return fail(err, codes::kInvalidDate,
                "the field's date format \"" + std::string(format) +
                    "\" is not supported; use YYYY, MM, DD, M, D with one of / - . or space between them");
  int y = 0, m = 0, d = 0;
  size_t i = 0;
  bool ok = true;
  for (int t = 0; t < 3 && ok; ++t) {
    if (t) ok = read_char(in, i, f.sep);
    if (!ok) break;
    switch (f.tokens[t]) {
      case Token::year: ok = read_digits(in, i, 4, 4, y); break;
      case Token::month2: ok = read_digits(in, i, 2, 2, m); break;
      case Token::month1: ok = read_digits(in, i, 1, 2, m); break;
      case Token::day2: ok = read_digits(in, i, 2, 2, d); break;
      case Token::day1: ok = read_digits(in, i, 1, 2, d); break;
    }
  }
  if (!ok || i != in.size()) return fail(err, codes::kInvalidDate, "expected a date like " + example(f, format));
  if (!calendar_ok(y, m, d))
    return fail(err, codes::kInvalidDate,
                y < 1 ? "year 0000 is not allowed; expected a year from 0001 to 9999"
                      : "no such day in the calendar (check the day and month); expected a date like " +
                            example(f, format));
  w = put_date(w, y, m, d);
  return true;
}

}  // namespace

bool write_date(std::string_view in, std::string_view format, char*& w, CellError& err) {
  // The common case, an ISO field holding YYYY-MM-DD: already in normal form when it is a real day.
  if (format.empty() && in.size() == 10 && in[4] == '-' && in[7] == '-') {
    bool digits = true;
    for (size_t k : {0, 1, 2, 3, 5, 6, 8, 9}) digits = digits && is_digit(in[k]);
    if (digits) {
      auto num = [&](size_t at, size_t len) {
        int v = 0;
        for (size_t k = at; k < at + len; ++k) v = v * 10 + (in[k] - '0');
        return v;
      };
      if (calendar_ok(num(0, 4), num(5, 2), num(8, 2))) {
        put(w, in);
        return true;
      }
    }
  }
  return write_date_general(in, format, w, err);
}

bool write_datetime(std::string_view in, char*& w, CellError& err) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, oh = 0, om = 0;
  size_t i = 0;
  const bool shape = read_digits(in, i, 4, 4, y) && read_char(in, i, '-') && read_digits(in, i, 2, 2, mo) &&
                     read_char(in, i, '-') && read_digits(in, i, 2, 2, d) &&
                     (read_char(in, i, 'T') || read_char(in, i, 't') || read_char(in, i, ' ')) &&
                     read_digits(in, i, 2, 2, h) && read_char(in, i, ':') && read_digits(in, i, 2, 2, mi);
  if (!shape) return fail(err, codes::kInvalidDatetime, std::string("expected a date and time like ") + kDatetimeExample);
  bool ok = true;
  if (read_char(in, i, ':')) {
    ok = read_digits(in, i, 2, 2, s);
    if (ok && read_char(in, i, '.')) {
      const size_t begin = i;
      while (i < in.size() && is_digit(in[i])) ++i;
      ok = i > begin && i - begin <= 9;
    }
  }
  if (!ok) return fail(err, codes::kInvalidDatetime, std::string("expected a date and time like ") + kDatetimeExample);
  if (i == in.size())
    return fail(err, codes::kInvalidDatetime,
                std::string("a UTC offset is needed (Z for UTC, or +HH:MM); expected a date and time like ") +
                    kDatetimeExample);
  int sign = 0;
  if (in[i] == 'Z' || in[i] == 'z') {
    ++i;
  } else if (in[i] == '+' || in[i] == '-') {
    sign = in[i++] == '-' ? -1 : 1;
    ok = read_digits(in, i, 2, 2, oh);
    if (ok) {
      read_char(in, i, ':');  // +HH:MM or +HHMM
      ok = read_digits(in, i, 2, 2, om);
    }
  } else {
    ok = false;
  }
  if (!ok || i != in.size())
    return fail(err, codes::kInvalidDatetime, std::string("expected a date and time like ") + kDatetimeExample);
  if (!calendar_ok(y, mo, d))
    return fail(err, codes::kInvalidDatetime,
                y < 1 ? std::string("year 0000 is not allowed; expected a year from 0001 to 9999")
                      : std::string("no such day in the calendar (check the day and month); expected a date and time like ") +
                            kDatetimeExample);
  if (h > 23 || mi > 59 || s > 59)
    return fail(err, codes::kInvalidDatetime, "time out of range: expected hours 00-23, minutes and seconds 00-59");
  if (oh > 23 || om > 59)
    return fail(err, codes::kInvalidDatetime, "UTC offset out of range: expected +HH:MM with HH 00-23 and MM 00-59");

  using namespace std::chrono;
  const sys_days day_in{year_month_day{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}}};
  int64_t secs = static_cast<int64_t>(day_in.time_since_epoch().count()) * 86400 + h * 3600 + mi * 60 + s -
                 sign * (oh * 3600 + om * 60);
  int64_t days_utc = secs / 86400, rem = secs % 86400;
  if (rem < 0) rem += 86400, --days_utc;
  const year_month_day utc{sys_days{days{days_utc}}};
  const int uy = static_cast<int>(utc.year());
  if (uy < 1 || uy > 9999)
    return fail(err, codes::kInvalidDatetime, "in UTC this falls outside the years 0001-9999");
  char* p = put_date(w, uy, static_cast<int>(static_cast<unsigned>(utc.month())),
                     static_cast<int>(static_cast<unsigned>(utc.day())));
  *p++ = 'T';
  p = put_digits(p, static_cast<int>(rem / 3600), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<int>(rem / 60 % 60), 2);
  *p++ = ':';
  p = put_digits(p, static_cast<int>(rem % 60), 2);
  *p++ = 'Z';
  w = p;
  return true;
}

}  // namespace detail

bool check_date(std::string_view in, std::string_view format, std::string& out, CellError& err) {
  return detail::append_written(out, std::max(in.size(), detail::kDateChars),
                                [&](char*& w) { return detail::write_date(in, format, w, err); });
}

bool check_datetime(std::string_view in, std::string& out, CellError& err) {
  return detail::append_written(out, detail::kDatetimeChars, [&](char*& w) { return detail::write_datetime(in, w, err); });
}

}  // namespace intake
