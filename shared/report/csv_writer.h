// Writing CSV: RFC 4180 quoting for values, and the spreadsheet-safe error report
// (row,field,value,code,message) with formula injection neutralized as OWASP recommends: a cell
// starting with = + - @ tab, CR or LF gets a leading apostrophe.
#pragma once

#include <string>
#include <string_view>

#include "core/row_error.h"

namespace intake {

// Appends `value`, quoted (with inner quotes doubled) only if it contains the delimiter, a quote,
// CR or LF, or starts or ends with a space. Exact: reading it back gives `value`.
void append_csv_value(std::string& out, std::string_view value, char delimiter = ',');

// Appends `value` made safe for spreadsheets, then CSV-quoted.
void append_spreadsheet_safe_value(std::string& out, std::string_view value);

inline constexpr std::string_view kErrorReportHeader = "row,field,value,code,message\r\n";

// Appends one report line (CRLF-terminated) for `error`.
void append_error_report_line(std::string& out, const RowError& error);

}  // namespace intake
