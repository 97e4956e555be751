// check_date, check_datetime and is_known_date_format: shapes, formats, the real calendar, UTC
// normalization with day/month/year rollover.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "core/row_error.h"
#include "validate/field_checks.h"

using namespace intake;

namespace {

std::string date(std::string_view in, std::string_view format = {}) {
  std::string out = "x";
  CellError err;
  if (check_date(in, format, out, err)) return out.substr(1);
  CHECK(out == "x");
  CHECK(!err.message.empty());
  return std::string("ERR:") + err.code;
}

std::string datetime(std::string_view in, std::string* message = nullptr) {
  std::string out = "x";
  CellError err;
  if (check_datetime(in, out, err)) return out.substr(1);
  CHECK(out == "x");
  CHECK(!err.message.empty());
  if (message) *message = err.message;
  return std::string("ERR:") + err.code;
}

}  // namespace

TEST_CASE("is_known_date_format") {
  for (const char* f : {"", "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "D.M.YYYY", "YYYY/MM/DD", "M/D/YYYY",
                        "DD MM YYYY", "YYYY.M.D", "DD-MM-YYYY", "D/MM/YYYY"})
    CHECK_MESSAGE(is_known_date_format(f), f);
  for (const char* f : {"YY-MM-DD", "YYYYY-MM-DD", "DD/MM/YYYY/", "DD/MM-YYYY", "DDMMYYYY", "YYYY-MM", "DD/DD/YYYY",
                        "MMM/DD/YYYY", "dd/mm/yyyy", "DD,MM,YYYY", "DD/MM/YYYY hh:mm", " DD/MM/YYYY", "DD//MM/YYYY",
                        "YYYY-MM-DD-DD"})
    CHECK_MESSAGE(!is_known_date_format(f), f);
}

TEST_CASE("check_date: ISO by default, real calendar") {
  CHECK(date("2024-03-31") == "2024-03-31");
  CHECK(date("2024-02-29") == "2024-02-29");  // leap year
  CHECK(date("2000-02-29") == "2000-02-29");  // divisible by 400
  CHECK(date("1900-02-29") == "ERR:invalid_date");  // divisible by 100
  CHECK(date("2023-02-29") == "ERR:invalid_date");
  CHECK(date("2024-04-31") == "ERR:invalid_date");
  CHECK(date("2024-13-01") == "ERR:invalid_date");
  CHECK(date("2024-00-10") == "ERR:invalid_date");
  CHECK(date("2024-01-00") == "ERR:invalid_date");
  CHECK(date("0001-01-01") == "0001-01-01");
  CHECK(date("9999-12-31") == "9999-12-31");
  CHECK(date("0000-01-01") == "ERR:invalid_date");
  for (const char* bad : {"2024-3-31", "24-03-31", "2024/03/31", "2024-03-31T00:00", "20240331", "2024-03-311",
                          "+2024-03-31", "2024-03-3a", "", "2024--03-31", "12024-03-31"})
    CHECK_MESSAGE(date(bad) == "ERR:invalid_date", bad);
  std::string out;
  CellError err;
  CHECK_FALSE(check_date("31/03/2024", "", out, err));
  CHECK(err.message == "expected a date like 2024-03-31 (YYYY-MM-DD)");
}

TEST_CASE("check_date: every day of 1999-2001 round-trips") {
  using namespace std::chrono;
  int days = 0;
  for (sys_days d = sys_days{1999y / 1 / 1}; d < sys_days{2002y / 1 / 1}; d += std::chrono::days{1}, ++days) {
    const year_month_day ymd{d};
    char iso[11], dmy[11];
    const int y = static_cast<int>(ymd.year());
    const unsigned m = static_cast<unsigned>(ymd.month()), dd = static_cast<unsigned>(ymd.day());
    std::snprintf(iso, sizeof iso, "%04d-%02u-%02u", y, m, dd);
    std::snprintf(dmy, sizeof dmy, "%u.%u.%04d", dd, m, y);
    CHECK(date(iso) == iso);
    CHECK(date(dmy, "D.M.YYYY") == iso);
  }
  CHECK(days == 365 * 3 + 1);  // 2000 is a leap year
}

TEST_CASE("check_date: field formats") {
  CHECK(date("31/03/2024", "DD/MM/YYYY") == "2024-03-31");
  CHECK(date("03/31/2024", "MM/DD/YYYY") == "2024-03-31");
  CHECK(date("31/03/2024", "MM/DD/YYYY") == "ERR:invalid_date");
  CHECK(date("1.3.2024", "D.M.YYYY") == "2024-03-01");
  CHECK(date("01.03.2024", "D.M.YYYY") == "2024-03-01");
  CHECK(date("1.3.2024", "DD.MM.YYYY") == "ERR:invalid_date");  // DD and MM need two digits
  CHECK(date("3/5/2024", "M/D/YYYY") == "2024-03-05");
  CHECK(date("12/25/2024", "M/D/YYYY") == "2024-12-25");
  CHECK(date("123/5/2024", "M/D/YYYY") == "ERR:invalid_date");
  CHECK(date("2024/03/31", "YYYY/MM/DD") == "2024-03-31");
  CHECK(date("31 03 2024", "DD MM YYYY") == "2024-03-31");
  CHECK(date("31-03-2024", "DD/MM/YYYY") == "ERR:invalid_date");
  CHECK(date("29/02/2023", "DD/MM/YYYY") == "ERR:invalid_date");
  CHECK(date("31/03/24", "DD/MM/YYYY") == "ERR:invalid_date");
  std::string out;
  CellError err;
  CHECK_FALSE(check_date("2024-03-31", "DD/MM/YYYY", out, err));
  CHECK(err.message == "expected a date like 31/03/2024 (DD/MM/YYYY)");
  CHECK_FALSE(check_date("3/31/24", "M/D/YYYY", out, err));
  CHECK(err.message == "expected a date like 3/31/2024 (M/D/YYYY)");
  CHECK_FALSE(check_date("2024-03-31", "YY-MM-DD", out, err));
  CHECK(std::string(err.code) == codes::kInvalidDate);
  CHECK(err.message.find("not supported") != std::string::npos);
}

TEST_CASE("check_datetime: offsets normalized to UTC") {
  CHECK(datetime("2024-03-31T14:30:00Z") == "2024-03-31T14:30:00Z");
  CHECK(datetime("2024-03-31t14:30:00z") == "2024-03-31T14:30:00Z");
  CHECK(datetime("2024-03-31 14:30Z") == "2024-03-31T14:30:00Z");
  CHECK(datetime("2024-03-31T14:30:15.123456789Z") == "2024-03-31T14:30:15Z");  // fraction dropped
  CHECK(datetime("2024-03-31T14:30:15.9+00:00") == "2024-03-31T14:30:15Z");
  CHECK(datetime("2024-03-31T14:30:00+02:00") == "2024-03-31T12:30:00Z");
  CHECK(datetime("2024-03-31T14:30:00+0200") == "2024-03-31T12:30:00Z");
  CHECK(datetime("2024-03-31T14:30:00-05:30") == "2024-03-31T20:00:00Z");
  CHECK(datetime("2024-03-31T14:30:00-00:00") == "2024-03-31T14:30:00Z");
  // rollover across day, month, year, and leap day
  CHECK(datetime("2024-03-31T23:30:00-01:00") == "2024-04-01T00:30:00Z");
  CHECK(datetime("2024-12-31T22:00:00-02:00") == "2025-01-01T00:00:00Z");
  CHECK(datetime("2025-01-01T01:00:00+02:00") == "2024-12-31T23:00:00Z");
  CHECK(datetime("2024-03-01T00:15:00+01:00") == "2024-02-29T23:15:00Z");
  CHECK(datetime("2023-03-01T00:15:00+01:00") == "2023-02-28T23:15:00Z");
  CHECK(datetime("2024-02-28T23:59:59-23:59") == "2024-02-29T23:58:59Z");
  CHECK(datetime("1970-01-01T00:00:00+00:01") == "1969-12-31T23:59:00Z");
  CHECK(datetime("0001-01-01T00:00:00Z") == "0001-01-01T00:00:00Z");
  CHECK(datetime("9999-12-31T23:59:59Z") == "9999-12-31T23:59:59Z");
  CHECK(datetime("0001-01-01T00:30:00+01:00") == "ERR:invalid_datetime");  // year 0 in UTC
  CHECK(datetime("9999-12-31T23:30:00-01:00") == "ERR:invalid_datetime");  // year 10000 in UTC
}

TEST_CASE("check_datetime: refusals") {
  std::string msg;
  CHECK(datetime("2024-03-31T14:30:00", &msg) == "ERR:invalid_datetime");
  CHECK(msg.find("offset is needed") != std::string::npos);
  CHECK(datetime("2024-03-31T14:30", &msg) == "ERR:invalid_datetime");
  CHECK(msg.find("offset is needed") != std::string::npos);
  for (const char* bad : {"2024-03-31", "2024-03-31T", "2024-03-31T14Z", "2024-03-31T14:3Z", "2024-03-31T14:30:0Z",
                          "2024-03-31T14:30:00.Z", "2024-03-31T14:30:00.1234567890Z", "2024-03-31T14:30:00+02",
                          "2024-03-31T14:30:00+2:00", "2024-03-31T14:30:00+02:0", "2024-03-31T14:30:00+02:000",
                          "2024-03-31T14:30:00 Z", "2024-03-31T14:30:00ZZ", "2024-03-31T14:30:00UTC",
                          "2024-03-31_14:30:00Z", "2024-3-31T14:30:00Z", "2024-03-31T24:00:00Z",
                          "2024-03-31T14:60:00Z", "2024-03-31T14:30:60Z", "2024-03-31T14:30:00+24:00",
                          "2024-03-31T14:30:00+02:60", "2023-02-29T00:00:00Z", "0000-01-01T00:00:00Z",
                          "2024-03-31T14:30:00,5Z", "31/03/2024 14:30Z", ""})
    CHECK_MESSAGE(datetime(bad) == "ERR:invalid_datetime", bad);
}
