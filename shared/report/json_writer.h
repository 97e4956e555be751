// Writing JSON text by hand where speed matters (many error records at once): a string as a
// JSON string literal, and a row error as the object API.md describes. Output is UTF-8; bytes
// are passed through, control characters escaped.
#pragma once

#include <string>
#include <string_view>

#include "core/row_error.h"

namespace intake {

// Appends `s` as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);

// Appends {"row":N,"field":"…","value":"…","code":"…","message":"…"}.
void append_row_error_json(std::string& out, const RowError& e);

}  // namespace intake
