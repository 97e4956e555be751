// CSV writing and the spreadsheet-safe error report (see csv_writer.h).
#include "report/csv_writer.h"

#include "core/platform.h"

namespace intake {

void append_csv_value(std::string& out, std::string_view v, char delimiter) {
  const char* p = v.data();
  bool quote = !v.empty() && (v.front() == ' ' || v.back() == ' ' ||
                              platform::find_any4(p, p + v.size(), delimiter, '"', '\n', '\r') < v.size());
  if (!quote) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (size_t i = 0;;) {  // each quote doubled
    size_t q = v.find('"', i);
    if (q == std::string_view::npos) {
      out.append(v.substr(i));
      break;
    }
    out.append(v.substr(i, q + 1 - i));
    out.push_back('"');
    i = q + 1;
  }
  out.push_back('"');
}

void append_spreadsheet_safe_value(std::string& out, std::string_view v) {
  bool formula = !v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@' ||
                                v[0] == '\t' || v[0] == '\r' || v[0] == '\n');
  if (!formula) {
    append_csv_value(out, v);
    return;
  }
  std::string safe;
  safe.reserve(v.size() + 1);
  safe.push_back('\'');
  safe.append(v);
  append_csv_value(out, safe);
}

void append_error_report_line(std::string& out, const RowError& e) {
  out.append(std::to_string(e.row));
  out.push_back(',');
  append_spreadsheet_safe_value(out, e.field);
  out.push_back(',');
  append_spreadsheet_safe_value(out, e.value);
  out.push_back(',');
  append_spreadsheet_safe_value(out, e.code);
  out.push_back(',');
  append_spreadsheet_safe_value(out, e.message);
  out.append("\r\n");
}

}  // namespace intake
