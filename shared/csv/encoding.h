// Text encodings of uploaded files: UTF-8 validation, the Windows-1252 guess for files saved by
// older spreadsheet programs, and a streaming Windows-1252 → UTF-8 transcoder. A file is read as
// UTF-8 unless its head is not UTF-8 but is plausible Windows-1252.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace intake {

enum class Encoding { utf8, windows_1252 };
std::string_view to_string(Encoding e);  // "utf-8", "windows-1252"

// Offset of the first byte that makes `s` invalid UTF-8 (overlong forms, surrogates and code
// points above U+10FFFF are invalid), or std::string_view::npos when valid. When
// `allow_truncated_tail` is set, a multi-byte sequence cut off by the end of `s` is not an error.
size_t find_invalid_utf8(std::string_view s, bool allow_truncated_tail = false);

// Decides how to read a file from its first bytes (BOM already removed): UTF-8 when the head is
// valid UTF-8; Windows-1252 when it is not, but contains none of the five bytes 1252 leaves
// undefined and no NUL; otherwise UTF-8 (the rows with bad bytes are then reported).
Encoding detect_encoding(std::string_view head);

// Appends the UTF-8 form of Windows-1252 bytes to `out`. Stateless per byte, so slices may be
// cut anywhere. Bytes 1252 leaves undefined become U+FFFD.
void windows_1252_to_utf8(std::string_view in, std::string& out);

}  // namespace intake
