// Tests of UTF-8 validation, Windows-1252 detection and transcoding, and dialect sniffing.
#include "csv/dialect.h"
#include "csv/encoding.h"

#include <doctest/doctest.h>

using namespace intake;

TEST_CASE("UTF-8 validation") {
  constexpr auto npos = std::string_view::npos;
  CHECK(find_invalid_utf8("plain ascii") == npos);
  CHECK(find_invalid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80") == npos);
  CHECK(find_invalid_utf8("caf\xE9") == 3);
  CHECK(find_invalid_utf8("\xC0\xAF") == 0);          // overlong
  CHECK(find_invalid_utf8("\xED\xA0\x80") == 0);      // surrogate
  CHECK(find_invalid_utf8("\xF4\x90\x80\x80") == 0);  // above U+10FFFF
  CHECK(find_invalid_utf8("ab\xE2\x82") == 2);
  CHECK(find_invalid_utf8("ab\xE2\x82", true) == npos);  // cut by the end of a head
}

TEST_CASE("Windows-1252 is detected and transcoded") {
  CHECK(detect_encoding("name\nJos\xE9 M\xFCller \x80 5\n") == Encoding::windows_1252);
  CHECK(detect_encoding("name\nJos\xC3\xA9\n") == Encoding::utf8);
  CHECK(detect_encoding("bad \x81 byte \xE9") == Encoding::utf8);  // 0x81 is undefined in 1252
  std::string out;
  windows_1252_to_utf8("Jos\xE9 \x80 \x93q\x94 \x81", out);
  CHECK(out == "Jos\xC3\xA9 \xE2\x82\xAC \xE2\x80\x9Cq\xE2\x80\x9D \xEF\xBF\xBD");
}

TEST_CASE("delimiter sniffing") {
  CHECK(sniff_dialect("a,b,c\n1,2,3\n").delimiter == ',');
  CHECK(sniff_dialect("name;amount\nAna;1,5\nBen;2,25\nCy;3\n").delimiter == ';');
  CHECK(sniff_dialect("a\tb\n1\t2\n").delimiter == '\t');
  CHECK(sniff_dialect("a|b|c\n1|2,5|3\n").delimiter == '|');
  CHECK(sniff_dialect("\"x;y\",b\n\"1;2\",3\n").delimiter == ',');
  CHECK(sniff_dialect("single\nvalue\n").delimiter == ',');
  Dialect d = sniff_dialect("\xEF\xBB\xBFid;n\n1;2\n");
  CHECK(d.bom);
  CHECK(d.delimiter == ';');
  CHECK(sniff_dialect("\xFF\xFEi\0d\0").utf16);
}
