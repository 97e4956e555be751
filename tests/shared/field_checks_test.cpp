// Cell checks for text, numbers, booleans and enums, and check_cell's trimming and dispatch.
#include <doctest/doctest.h>

#include <string>

#include "core/row_error.h"
#include "validate/field_checks.h"

using namespace intake;

namespace {

// Runs `check` and returns the appended output, or "ERR:<code>" on failure (after checking that
// `out` was left untouched and a message was given).
template <typename F>
std::string run(F check) {
  std::string out = "x";
  CellError err;
  if (check(out, err)) return out.substr(1);
  CHECK(out == "x");
  CHECK(!err.message.empty());
  return std::string("ERR:") + err.code;
}

std::string number(std::string_view in) {
  return run([&](std::string& o, CellError& e) { return check_number(in, o, e); });
}
std::string boolean(std::string_view in) {
  return run([&](std::string& o, CellError& e) { return check_boolean(in, o, e); });
}

}  // namespace

TEST_CASE("check_text: length in UTF-8 bytes") {
  CHECK(run([](std::string& o, CellError& e) { return check_text("hello", 5, o, e); }) == "hello");
  CHECK(run([](std::string& o, CellError& e) { return check_text("hello!", 5, o, e); }) == "ERR:too_long");
  CHECK(run([](std::string& o, CellError& e) { return check_text("\xc3\xa9t\xc3\xa9", 5, o, e); }) == "\xc3\xa9t\xc3\xa9");
  CHECK(run([](std::string& o, CellError& e) { return check_text("\xc3\xa9t\xc3\xa9", 4, o, e); }) == "ERR:too_long");
  CellError err;
  std::string out;
  CHECK_FALSE(check_text("abcdef", 3, out, err));
  CHECK(err.message.find("at most 3 characters") != std::string::npos);
}

TEST_CASE("check_number: canonical exact decimal") {
  CHECK(number("0") == "0");
  CHECK(number("-0") == "0");
  CHECK(number("+0.000") == "0");
  CHECK(number("0e10") == "0");
  CHECK(number("42") == "42");
  CHECK(number("+1.50") == "1.5");
  CHECK(number("-1.50") == "-1.5");
  CHECK(number("007") == "7");
  CHECK(number("1.0") == "1");
  CHECK(number("1.") == "1");
  CHECK(number(".5") == "0.5");
  CHECK(number("-.5") == "-0.5");
  CHECK(number("100") == "100");
  CHECK(number("1e3") == "1000");
  CHECK(number("1.2E3") == "1200");
  CHECK(number("1.25e1") == "12.5");
  CHECK(number("12e-3") == "0.012");
  CHECK(number("5e-3") == "0.005");
  CHECK(number("1234.5678e+2") == "123456.78");
  CHECK(number("0.1") == "0.1");
  CHECK(number("0.30000000000000004") == "0.30000000000000004");
  CHECK(number("12345678901234567890123") == "12345678901234567890123");  // not rounded through double
  CHECK(number("-000.000100") == "-0.0001");
  CHECK(number("1" + std::string(63, '0')) == "1" + std::string(63, '0'));  // 64 characters
  CHECK(number("1" + std::string(64, '0')) == "ERR:invalid_number");
  CHECK(number("1e63") == "1" + std::string(63, '0'));
  CHECK(number("1e64") == "ERR:invalid_number");
  CHECK(number("1e999999999999999999") == "ERR:invalid_number");
  CHECK(number("1e-999999999999999999") == "ERR:invalid_number");
  CHECK(number("0e999999999999999999") == "0");
  for (const char* bad : {"", "+", "-", ".", "+.", "e5", ".e5", "1e", "1e+", "1.2.3", "1,000", "1 000", "--1",
                          "+-1", "0x1F", "inf", "-inf", "Infinity", "nan", "NaN", "1e5.5", "1f", "1_000",
                          "١٢", "12abc", " 1", "1 "}) {
    CAPTURE(bad);
    CHECK(number(bad) == "ERR:invalid_number");
  }
  CellError err;
  std::string out;
  CHECK_FALSE(check_number("1,234.5", out, err));
  CHECK(err.message.find("thousands") != std::string::npos);
}

TEST_CASE("check_boolean") {
  for (const char* t : {"true", "TRUE", "True", "yes", "YES", "Yes", "y", "Y", "1"}) CHECK(boolean(t) == "true");
  for (const char* f : {"false", "FALSE", "False", "no", "NO", "No", "n", "N", "0"}) CHECK(boolean(f) == "false");
  for (const char* bad : {"", "t", "f", "2", "-1", "yess", "tru", "on", "off", "oui", "01", "true "})
    CHECK(boolean(bad) == "ERR:invalid_boolean");
}

TEST_CASE("check_enum: ASCII case-insensitive, declared spelling out") {
  const std::vector<std::string> values = {"Gold", "Silver", "Bronze-Plus"};
  auto en = [&](std::string_view in) {
    return run([&](std::string& o, CellError& e) { return check_enum(in, values, o, e); });
  };
  CHECK(en("Gold") == "Gold");
  CHECK(en("gold") == "Gold");
  CHECK(en("SILVER") == "Silver");
  CHECK(en("bronze-plus") == "Bronze-Plus");
  CHECK(en("Golden") == "ERR:invalid_enum");
  CHECK(en("Gol") == "ERR:invalid_enum");
  CellError err;
  std::string out;
  CHECK_FALSE(check_enum("Platinum", values, out, err));
  CHECK(err.message == "expected one of: Gold, Silver, Bronze-Plus");
}

TEST_CASE("check_cell: trims spaces and tabs, dispatches on type") {
  CheckOptions opts;
  auto cell = [&](const Field& f, std::string_view in) {
    return run([&](std::string& o, CellError& e) { return check_cell(f, in, opts, o, e); });
  };
  Field f;
  f.type = FieldType::text;
  f.max_length = 3;
  CHECK(cell(f, " \tabc\t ") == "abc");
  CHECK(cell(f, " a b ") == "a b");
  CHECK(cell(f, "abcd") == "ERR:too_long");
  CHECK(cell(f, "\nabc") == "ERR:too_long");  // only spaces and tabs are trimmed
  CHECK(cell(f, "   ") == "");
  f.required = true;
  CHECK(cell(f, " \t ") == "ERR:required_missing");

  Field e;
  e.type = FieldType::email;
  CHECK(cell(e, "  Ann@Example.COM ") == "Ann@example.com");
  CHECK(cell(e, "ann") == "ERR:invalid_email");

  Field d;
  d.type = FieldType::date;
  CHECK(cell(d, " 2024-02-29 ") == "2024-02-29");
  d.format = "DD/MM/YYYY";
  CHECK(cell(d, "29/02/2024") == "2024-02-29");
  CHECK(cell(d, "2024-02-29") == "ERR:invalid_date");

  Field dt;
  dt.type = FieldType::datetime;
  CHECK(cell(dt, "2024-03-31 23:30+01:00\t") == "2024-03-31T22:30:00Z");

  Field n;
  n.type = FieldType::number;
  CHECK(cell(n, " +1.50 ") == "1.5");

  Field b;
  b.type = FieldType::boolean;
  CHECK(cell(b, "\tYes") == "true");

  Field en;
  en.type = FieldType::enumeration;
  en.values = {"Email", "SMS"};
  CHECK(cell(en, " sms ") == "SMS");
  CHECK(cell(en, "fax") == "ERR:invalid_enum");

  Field tz;
  tz.type = FieldType::timezone;
  CHECK(cell(tz, " us/eastern ") == "America/New_York");
  CHECK(cell(tz, "Mars/Olympus") == "ERR:invalid_timezone");
}
