// UTF-8 validation, Windows-1252 detection and transcoding (see encoding.h).
#include "csv/encoding.h"

#include <array>
#include <cstdint>

#include "core/platform.h"

namespace intake {

std::string_view to_string(Encoding e) {
  return e == Encoding::utf8 ? "utf-8" : "windows-1252";
}

size_t find_invalid_utf8(std::string_view s, bool allow_truncated_tail) {
  const char* base = s.data();
  const char* end = base + s.size();
  const char* p = base;
  while (p < end) {
    p += platform::find_non_ascii(p, end);
    if (p == end) break;
    auto b0 = static_cast<unsigned char>(*p);
    int need;
    uint32_t min;
    if (b0 >= 0xC2 && b0 <= 0xDF) { need = 1; min = 0x80; }
    else if (b0 >= 0xE0 && b0 <= 0xEF) { need = 2; min = 0x800; }
    else if (b0 >= 0xF0 && b0 <= 0xF4) { need = 3; min = 0x10000; }
    else return size_t(p - base);
    if (end - p < need + 1) {
      // Cut off by the end of the input: an error unless the caller allows a truncated tail.
      for (const char* q = p + 1; q < end; ++q)
        if ((static_cast<unsigned char>(*q) & 0xC0) != 0x80) return size_t(p - base);
      return allow_truncated_tail ? std::string_view::npos : size_t(p - base);
    }
    uint32_t cp = b0 & (0x3F >> need);
    for (int i = 1; i <= need; ++i) {
      auto b = static_cast<unsigned char>(p[i]);
      if ((b & 0xC0) != 0x80) return size_t(p - base);
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return size_t(p - base);
    p += need + 1;
  }
  return std::string_view::npos;
}

Encoding detect_encoding(std::string_view head) {
  // Count well-formed multi-byte UTF-8 sequences against bytes that cannot start or continue
  // one. Windows-1252 text almost never forms valid sequences ("Ã©" would), so a head with
  // more invalid bytes than valid sequences, and none of the bytes 1252 leaves undefined, is
  // taken as Windows-1252; a UTF-8 file with a few stray bytes stays UTF-8.
  size_t valid = 0, invalid = 0;
  while (!head.empty()) {
    size_t bad = find_invalid_utf8(head, /*allow_truncated_tail=*/true);
    std::string_view good = head.substr(0, bad == std::string_view::npos ? head.size() : bad);
    for (char c : good) valid += (static_cast<unsigned char>(c) & 0xC0) == 0xC0;
    if (bad == std::string_view::npos) break;
    auto b = static_cast<unsigned char>(head[bad]);
    if (b == 0 || b == 0x81 || b == 0x8D || b == 0x8F || b == 0x90 || b == 0x9D) return Encoding::utf8;
    ++invalid;
    head.remove_prefix(bad + 1);
  }
  return invalid > valid ? Encoding::windows_1252 : Encoding::utf8;
}

namespace {
// Windows-1252 bytes 0x80–0x9F as Unicode code points (0 where undefined), per the WHATWG
// Encoding Standard's index-windows-1252.
constexpr std::array<uint16_t, 32> kHigh = {
    0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178};

void append_utf8(uint32_t cp, std::string& out) {
  if (cp < 0x80) {
    out.push_back(char(cp));
  } else if (cp < 0x800) {
    out.push_back(char(0xC0 | (cp >> 6)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(char(0xE0 | (cp >> 12)));
    out.push_back(char(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(char(0x80 | (cp & 0x3F)));
  }
}
}  // namespace

void windows_1252_to_utf8(std::string_view in, std::string& out) {
  out.reserve(out.size() + in.size() + in.size() / 8);
  const char* p = in.data();
  const char* end = p + in.size();
  while (p < end) {
    size_t n = platform::find_non_ascii(p, end);
    out.append(p, n);
    p += n;
    if (p == end) break;
    auto b = static_cast<unsigned char>(*p++);
    uint32_t cp = b >= 0xA0 ? b : kHigh[b - 0x80];
    append_utf8(cp ? cp : 0xFFFD, out);
  }
}

}  // namespace intake
