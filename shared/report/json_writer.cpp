// Hand-written JSON text for strings and row errors (see json_writer.h).
#include "report/json_writer.h"

namespace intake {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  // Runs of bytes that need no escape (nearly all of them) are appended whole.
  size_t from = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\') [[likely]] continue;
    out.append(s.data() + from, i - from);
    from = i + 1;
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\u00";
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
    }
  }
  out.append(s.data() + from, s.size() - from);
  out.push_back('"');
}

void append_row_error_json(std::string& out, const RowError& e) {
  out += "{\"row\":";
  out += std::to_string(e.row);
  out += ",\"field\":";
  append_json_string(out, e.field);
  out += ",\"value\":";
  append_json_string(out, e.value);
  out += ",\"code\":";
  append_json_string(out, e.code);
  out += ",\"message\":";
  append_json_string(out, e.message);
  out.push_back('}');
}

}  // namespace intake
