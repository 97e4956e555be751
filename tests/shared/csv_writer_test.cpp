// Tests of CSV writing and the spreadsheet-safe error report.
#include "report/csv_writer.h"

#include <doctest/doctest.h>

using namespace intake;

TEST_CASE("values are quoted only when needed, and exactly") {
  auto q = [](std::string_view v) { std::string out; append_csv_value(out, v); return out; };
  CHECK(q("plain") == "plain");
  CHECK(q("") == "");
  CHECK(q("a,b") == "\"a,b\"");
  CHECK(q("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(q("l1\nl2") == "\"l1\nl2\"");
  CHECK(q("cr\r") == "\"cr\r\"");
  CHECK(q(" padded ") == "\" padded \"");
}

TEST_CASE("formula injection is neutralized in every text cell (OWASP)") {
  for (std::string_view bad : {"=1+1", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "\nx"}) {
    std::string out;
    append_spreadsheet_safe_value(out, bad);
    CHECK_MESSAGE((out.starts_with("'") || out.starts_with("\"'")), out);
  }
  std::string out;
  append_error_report_line(out, RowError{7, "email", "=HYPERLINK(\"x\")", "invalid_email", "expected, an email"});
  CHECK(out == "7,email,\"'=HYPERLINK(\"\"x\"\")\",invalid_email,\"expected, an email\"\r\n");
  out.clear();
  append_error_report_line(out, RowError{2, "", "", "wrong_field_count", "-3 values"});
  CHECK(out == "2,,,wrong_field_count,'-3 values\r\n");
  CHECK(kErrorReportHeader == "row,field,value,code,message\r\n");
}
