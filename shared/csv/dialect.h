// Dialect detection: which delimiter and encoding a file uses, decided from its first bytes.
// The delimiter is sniffed among , ; tab | by tokenizing the head with each candidate and
// keeping the one whose rows agree with the header's field count (so "1,5;2,5" semicolon files
// with decimal commas come out right).
#pragma once

#include <string_view>

#include "csv/encoding.h"

namespace intake {

struct Dialect {
  char delimiter = ',';
  Encoding encoding = Encoding::utf8;
  bool bom = false;          // the file starts with a UTF-8 byte order mark
  bool utf16 = false;        // the file starts with a UTF-16 byte order mark (not supported)
};

inline constexpr char kDelimiterCandidates[] = {',', ';', '\t', '|'};

// `head`: the first bytes of the file (64 KiB is plenty); may end mid-row.
Dialect sniff_dialect(std::string_view head);

// "comma", "semicolon", "tab", "pipe".
std::string_view delimiter_name(char delimiter);

}  // namespace intake
