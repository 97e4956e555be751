// Hand-written JSON text for strings and row errors (see json_writer.h).
#include "report/json_writer.h"

namespace intake {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
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
