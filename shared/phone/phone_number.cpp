// Phone number parsing and validation with libphonenumber's rules, following libphonenumber-js
// (parsePhoneNumberFromString + isValid with max metadata) step by step: clean the input, find
// the calling code (+, the default region's IDD prefix, or the region's own code typed without
// +), strip the national prefix, pick the region among those sharing the code, then check the
// national number against that region's patterns. Patterns compile lazily, once per territory.
// Most numbers take parse_common, which decides the plain cases in one pass and leaves every
// other input to parse_general, the full sequence of steps.
#include "phone/phone_number.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstring>
#include <memory>
#include <mutex>

#include "phone/digit_pattern.h"
#include "phone/phone_metadata.h"
#include "phone/phone_territory.h"

namespace intake::phone {
namespace md = metadata;

namespace {

constexpr size_t kMaxInputChars = 250;  // libphonenumber-js refuses longer input
constexpr size_t kMinNsn = 2, kMaxNsn = 17;

// A short digit string on the stack: numbers are at most kMaxInputChars digits.
struct Digits {
  std::array<char, kMaxInputChars + 32> buf;
  size_t n = 0;
  std::string_view view() const { return {buf.data(), n}; }
};
static_assert(sizeof(Digits::buf) >= 256);  // keep_plain_digits indexes it with a byte

// Reads one UTF-8 code point; returns 0xFFFD for malformed input.
char32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i++]);
  if (c < 0x80) return c;
  int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : -1;
  if (extra < 0 || c >= 0xF8) return 0xFFFD;
  char32_t cp = c & (0x3F >> extra);
  for (int k = 0; k < extra; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) return 0xFFFD;
    cp = (cp << 6) | (static_cast<unsigned char>(s[i++]) & 0x3F);
  }
  return cp;
}

// Digit value of `cp` (ASCII, full-width, Arabic-Indic, extended Arabic-Indic), or -1.
int digit_value(char32_t cp) {
  if (cp >= '0' && cp <= '9') return int(cp - '0');
  for (char32_t zero : {char32_t(0xFF10), char32_t(0x0660), char32_t(0x06F0)}) {
    if (cp >= zero && cp <= zero + 9) return int(cp - zero);
  }
  return -1;
}

// libphonenumber's punctuation: dashes, slashes, dots, spaces, brackets, tildes.
bool is_punctuation(char32_t cp) {
  switch (cp) {
    case '-': case '/': case '.': case ' ': case '(': case ')': case '[': case ']': case '~':
    case 0x2212: case 0x30FC: case 0xFF0D: case 0xFF0F: case 0xFF0E: case 0x00A0: case 0x00AD:
    case 0x200B: case 0x2060: case 0x3000: case 0xFF08: case 0xFF09: case 0xFF3B: case 0xFF3D:
    case 0x2053: case 0x223C: case 0xFF5E:
      return true;
    default:
      return cp >= 0x2010 && cp <= 0x2015;
  }
}

// The extraction loop's short way for ASCII: digits are kept (1: the digit count grows by one),
// the usual punctuation is skipped (0), everything else (+, letters, non-ASCII) has kOther set
// and goes through the full code-point path.
constexpr uint8_t kOther = 0x80;
constexpr std::array<uint8_t, 256> kAsciiClass = [] {
  std::array<uint8_t, 256> t{};
  for (auto& k : t) k = kOther;
  for (char c = '0'; c <= '9'; ++c) t[static_cast<unsigned char>(c)] = 1;
  for (char c : {' ', '-', '(', ')', '.', '/'}) t[static_cast<unsigned char>(c)] = 0;
  return t;
}();

// Keeps the digits of [p, end) at out + n, skipping the usual punctuation, up to the first byte
// of any other kind. Returns that byte's position (end when none); `n` grows by the digits kept.
// `out` has room for end - p more bytes past n (punctuation is written there too, then overwritten).
const unsigned char* keep_ascii_digits(const unsigned char* p, const unsigned char* end, char* out, size_t& n) {
  size_t k = n;
  for (; end - p >= 4; p += 4) {
    const uint8_t c0 = kAsciiClass[p[0]], c1 = kAsciiClass[p[1]], c2 = kAsciiClass[p[2]], c3 = kAsciiClass[p[3]];
    if ((c0 | c1 | c2 | c3) & kOther) break;
    out[k] = char(p[0]);
    k += c0;
    out[k] = char(p[1]);
    k += c1;
    out[k] = char(p[2]);
    k += c2;
    out[k] = char(p[3]);
    k += c3;
  }
  for (; p < end; ++p) {
    const uint8_t c = kAsciiClass[*p];
    if (c & kOther) break;
    out[k] = char(*p);
    k += c;
  }
  n = k;
  return p;
}

// The first pass over input of at most kMaxInputChars bytes: every byte is stored at the digit
// count and adds its weight to it — 1 for a digit, 0 for the usual punctuation (overwritten by
// the next byte), kNotPlain for anything else, which stops nothing but leaves a mark above the
// low byte. No test per byte: the count's low byte indexes the buffer (fewer than 256 digits).
constexpr uint32_t kNotPlain = 0x100;
constexpr std::array<uint32_t, 256> kPlainWeight = [] {
  std::array<uint32_t, 256> t{};
  for (size_t b = 0; b < t.size(); ++b) t[b] = kAsciiClass[b] == 1 ? 1 : kAsciiClass[b] == 0 ? 0 : kNotPlain;
  return t;
}();

// Keeps the digits of [p, end) at out from its start when every byte is an ASCII digit or the
// usual punctuation; returns false (the buffer then holds nothing usable) when any is not.
[[gnu::always_inline]] inline bool keep_plain_digits(const unsigned char* p, const unsigned char* end, char* out, size_t& n) {
  static_assert(kMaxInputChars < 256);
  uint32_t k = 0;
  for (size_t groups = size_t(end - p) / 4; groups > 0; --groups, p += 4) {
    out[k & 0xFF] = char(p[0]);
    k += kPlainWeight[p[0]];
    out[k & 0xFF] = char(p[1]);
    k += kPlainWeight[p[1]];
    out[k & 0xFF] = char(p[2]);
    k += kPlainWeight[p[2]];
    out[k & 0xFF] = char(p[3]);
    k += kPlainWeight[p[3]];
  }
  switch (end - p) {
    case 3: out[k & 0xFF] = char(*p); k += kPlainWeight[*p++]; [[fallthrough]];
    case 2: out[k & 0xFF] = char(*p); k += kPlainWeight[*p++]; [[fallthrough]];
    case 1: out[k & 0xFF] = char(*p); k += kPlainWeight[*p++]; [[fallthrough]];
    default: break;
  }
  n = k;
  return k < kNotPlain;
}

// a == b, inline (short digit strings: a library call costs more than the compare).
bool same_digits(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  if (a.data() == b.data()) return true;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

bool starts_with_digits(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && same_digits(s.substr(0, prefix.size()), prefix);
}

enum class Length { possible, too_short, too_long, invalid };

Length check_length(size_t n, uint32_t lengths) {
  if (lengths == 0) return Length::possible;
  if (n > 31) return Length::too_long;
  int lo = std::countr_zero(lengths), hi = 31 - std::countl_zero(lengths);
  if (int(n) < lo) return Length::too_short;
  if (int(n) > hi) return Length::too_long;
  return (lengths >> n) & 1 ? Length::possible : Length::invalid;
}

const md::CallingCode* calling_code(unsigned code) {
  if (code >= 1000 || md::kCallingCodeIndex[code] < 0) return nullptr;
  return &md::kCallingCodes[md::kCallingCodeIndex[code]];
}

// The numbering plan libphonenumber selects for a calling code: its main territory.
int main_territory(const md::CallingCode& cc) { return cc.first; }

// getCountryByCallingCode: the region among those sharing `cc` that `nsn` belongs to, or null.
// Sets `*typed` when the region was chosen because `nsn` has one of its number types.
// `at_hand` is any compiled territory the caller holds; it is used instead of looking it up.
// Territories before `from` (an index into kTerritories, at least cc.first) are not tried.
const CompiledTerritory* territory_among(const md::CallingCode& cc, std::string_view nsn, const CompiledTerritory& at_hand,
                                         bool* typed, int from) {
  for (int t = from; t < cc.first + cc.count; ++t) {
    const CompiledTerritory& ct = t == at_hand.index ? at_hand : compiled_territory(t);
    if (!ct.leading_digits.empty()) {
      if (!nsn.empty() && ct.leading_digits.match_prefix(nsn, nullptr)) return &ct;
    } else if (ct.has_number_type(nsn)) {
      if (typed) *typed = true;
      return &ct;
    }
  }
  return nullptr;
}

// territory_among from the first territory of `cc`. The common case — `at_hand` is that first
// (main) territory, has no leading digits and `nsn` has one of its types — is decided here.
inline const CompiledTerritory* territory_for_number(const md::CallingCode& cc, std::string_view nsn,
                                                     const CompiledTerritory& at_hand, bool* typed = nullptr) {
  if (cc.non_geographic) return nullptr;
  if (cc.count == 1) return cc.first == at_hand.index ? &at_hand : &compiled_territory(cc.first);
  int from = cc.first;
  if (from == at_hand.index && at_hand.leading_digits.empty()) {
    if (at_hand.has_number_type(nsn)) {
      if (typed) *typed = true;
      return &at_hand;
    }
    ++from;  // tried: no type of the main territory matches
  }
  return territory_among(cc, nsn, at_hand, typed, from);
}

// extractNationalNumberFromPossiblyIncompleteNumber: strips the national prefix (and carrier
// code) or applies the transform rule. Returns the result — `number` itself when nothing was
// stripped, a suffix of it, or a view of `scratch` when the transform rule rewrote it.
std::string_view strip_national_prefix(std::string_view number, const CompiledTerritory& ct, Digits& scratch) {
  if (number.empty() || !ct.national_prefix.may_match_prefix(number)) return number;
  std::array<int, 20> caps;
  const int groups = ct.national_prefix.group_count();
  if (2 * groups > int(caps.size())) return number;
  size_t end = 0;
  if (!ct.national_prefix.match_prefix(number, &end, caps.data())) return number;
  auto group = [&](int g) {
    if (g < 1 || g > groups || caps[2 * (g - 1)] < 0 || caps[2 * (g - 1) + 1] < 0) return std::string_view();
    return number.substr(size_t(caps[2 * (g - 1)]), size_t(caps[2 * (g - 1) + 1] - caps[2 * (g - 1)]));
  };
  const bool has_captured = groups > 0 && !group(groups).empty();
  std::string_view transform = ct.territory->national_prefix_transform;
  if (!transform.empty() && has_captured) {
    Digits& r = scratch;
    r.n = 0;
    for (size_t i = 0; i < transform.size() && r.n < r.buf.size(); ++i) {
      if (transform[i] == '$' && i + 1 < transform.size() && transform[i + 1] >= '0' && transform[i + 1] <= '9') {
        for (char c : group(transform[++i] - '0')) {
          if (r.n < r.buf.size()) r.buf[r.n++] = c;
        }
      } else {
        r.buf[r.n++] = transform[i];
      }
    }
    for (char c : number.substr(end)) {
      if (r.n < r.buf.size()) r.buf[r.n++] = c;
    }
    return r.view();
  }
  return number.substr(end);
}

// extractNationalNumber: the national prefix is kept when stripping it would turn a number that
// matches the national pattern into one that does not, or leave an impossible length. Returns
// `number`, a suffix of it, or a view of `scratch` (which must outlive the result's use).
std::string_view national_number_stripped(std::string_view number, const CompiledTerritory& ct, Digits& scratch) {
  const std::string_view out = strip_national_prefix(number, ct, scratch);
  if (same_digits(out, number)) return number;
  if (ct.matches_general(number) && !ct.matches_general(out)) return number;
  const CompiledTerritory* region = territory_for_number(*ct.calling_code, out, ct);
  uint32_t lengths = (region ? region : &ct)->territory->possible_lengths;
  Length l = check_length(out.size(), lengths);
  if (l == Length::too_short || l == Length::invalid) return number;
  return out;
}

// The above; inline for the common case where no national prefix can start `number`.
inline std::string_view national_number(std::string_view number, const CompiledTerritory& ct, Digits& scratch) {
  if (number.empty() || !ct.national_prefix.may_match_prefix(number)) return number;
  return national_number_stripped(number, ct, scratch);
}

int region_index(std::string_view region) {
  if (region.size() != 2) return -1;
  // c | 0x20 is in 'a'..'z' exactly when c is an ASCII letter of either case.
  const unsigned a = unsigned((static_cast<unsigned char>(region[0]) | 0x20) - 'a');
  const unsigned b = unsigned((static_cast<unsigned char>(region[1]) | 0x20) - 'a');
  if (a >= 26 || b >= 26) return -1;
  return md::kRegionIndex[a * 26 + b];
}

// region_index for the default region, which is the same text number after number: the last
// answer is kept with the two bytes it was for (one atomic word, so threads that use different
// regions only take turns at the full lookup).
std::atomic<uint32_t> last_default_region{0};  // bytes 0-1: the text; bits 16-31: index + 1, 0 = none

[[gnu::always_inline]] inline int default_region_index(std::string_view region) {
  if (region.size() != 2) return region_index(region);
  const uint32_t text = uint32_t(static_cast<unsigned char>(region[0])) | uint32_t(static_cast<unsigned char>(region[1])) << 8;
  const uint32_t last = last_default_region.load(std::memory_order_relaxed);
  if ((last & 0xFFFF) == text && (last >> 16) != 0) return int(last >> 16) - 1;
  const int index = region_index(region);
  if (index >= 0) last_default_region.store(text | uint32_t(index + 1) << 16, std::memory_order_relaxed);
  return index;
}

// Decimal text of a calling code, written into `buf`.
std::string_view own_code_text(unsigned code, char (&buf)[8]) {
  int n = 0;
  char tmp[8];
  do { tmp[n++] = char('0' + code % 10); code /= 10; } while (code && n < 7);
  for (int i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
  return {buf, size_t(n)};
}

}  // namespace

std::atomic<const CompiledTerritory*> detail::compiled[detail::kCompiledSlots];

const CompiledTerritory& detail::compile_territory(int t) {
  struct Slot {
    std::once_flag once;
    std::unique_ptr<CompiledTerritory> value;
  };
  static const std::unique_ptr<Slot[]> slots(new Slot[md::kTerritoryCount]);
  Slot& slot = slots[size_t(t)];
  std::call_once(slot.once, [&] {
    slot.value = std::make_unique<CompiledTerritory>(md::kTerritories[t]);
    if (t < kCompiledSlots) compiled[t].store(slot.value.get(), std::memory_order_release);
  });
  return *slot.value;
}

CompiledTerritory::CompiledTerritory(const md::Territory& t)
    : territory(&t),
      index(int(&t - md::kTerritories)),
      region(t.region),
      calling_code(phone::calling_code(t.calling_code)),
      national_prefix(t.national_prefix_for_parsing),
      idd_prefix(t.idd_prefix),
      leading_digits(t.leading_digits) {
  std::vector<DigitPattern> patterns;
  patterns.reserve(1 + md::kTypeCount);
  patterns.emplace_back(t.general_pattern);
  for (int i = 0; i < md::kTypeCount; ++i) patterns.emplace_back(t.type_patterns[i]);
  std::vector<const DigitPattern*> ptrs;
  for (const auto& p : patterns) ptrs.push_back(&p);
  dfa = DigitDfa(ptrs);
  for (int i = 0; i < md::kTypeCount; ++i) {
    if (t.type_patterns[i][0] == '\0') continue;
    type_bits |= 1u << (i + 1);
    for (int n = 0; n < 32; ++n) {
      if ((t.type_lengths[i] >> n) & 1) types_of_length[n] |= 1u << (i + 1);
    }
  }
  char buf[8];
  const std::string_view code = own_code_text(t.calling_code, buf);
  code_text_length = uint8_t(std::min(code.size(), sizeof code_text));
  std::copy_n(code.data(), code_text_length, code_text);
  for (char d = '0'; d <= '9'; ++d) {
    const std::string_view first(&d, 1);  // the prefix checks look at the first digit only
    if (!idd_prefix.may_match_prefix(first) && !national_prefix.may_match_prefix(first) && code_text[0] != d)
      plain_first_digits |= uint16_t(1u << (d - '0'));
  }
}

bool CompiledTerritory::is_valid(std::string_view nsn) const {
  if (!territory->has_types) return matches_general(nsn);
  return has_number_type(nsn);
}

bool is_known_region(std::string_view region) { return region_index(region) >= 0; }

namespace {

// libphonenumber-js's parse and isValid, every case: the steps as the file comment lists them.
[[gnu::noinline]] PhoneStatus parse_general(std::string_view input, std::string_view default_region,
                                            ParsedPhone& result) {
  result.status = PhoneStatus::not_a_number;
  // 1. Keep digits and one leading '+'; anything but libphonenumber's punctuation is refused.
  Digits number;
  bool plus = false;
  if (input.size() <= kMaxInputChars) {
    // Input of at most kMaxInputChars bytes cannot have more characters than that: no count.
    // ASCII digits and punctuation take the short way; the rest goes code point by code point.
    const unsigned char* const begin = reinterpret_cast<const unsigned char*>(input.data());
    const unsigned char* const end = begin + input.size();
    const unsigned char* p = begin;
    if (p != end && *p == '+') {
      plus = true;
      ++p;
    }
    size_t n = 0;
    // Usually every byte is a digit or the usual punctuation; otherwise the digits are read
    // again, the rest code point by code point.
    if (!keep_plain_digits(p, end, number.buf.data(), n)) {
      n = 0;
      while ((p = keep_ascii_digits(p, end, number.buf.data(), n)) != end) {
        size_t i = size_t(p - begin);
        const char32_t cp = next_code_point(input, i);
        const int d = digit_value(cp);
        if (d >= 0) {
          number.buf[n++] = char('0' + d);
        } else if (cp == '+' || cp == 0xFF0B) {
          if (plus || n > 0) return result.status;  // not_a_number
          plus = true;
        } else if (!is_punctuation(cp)) {
          return result.status;  // not_a_number
        }
        p = begin + i;
      }
    }
    number.n = n;
  } else {
    size_t chars = 0;
    for (size_t i = 0; i < input.size();) {
      if (++chars > kMaxInputChars) {
        result.status = PhoneStatus::too_long;
        return result.status;
      }
      const unsigned char byte = static_cast<unsigned char>(input[i]);
      if (byte >= '0' && byte <= '9') {
        number.buf[number.n++] = char(byte);
        ++i;
        continue;
      }
      const char32_t cp = next_code_point(input, i);
      const int d = digit_value(cp);
      if (d >= 0) {
        number.buf[number.n++] = char('0' + d);
      } else if (cp == '+' || cp == 0xFF0B) {
        if (plus || number.n > 0) return result.status;  // not_a_number
        plus = true;
      } else if (!is_punctuation(cp)) {
        return result.status;  // not_a_number
      }
    }
  }
  if (number.n == 0) return result.status;
  if (number.n < 3) {
    result.status = PhoneStatus::too_short;
    return result.status;
  }

  const CompiledTerritory* def = nullptr;  // the default region's plan, when one is given
  if (!default_region.empty()) {
    const int index = default_region_index(default_region);
    if (index < 0) {
      result.status = PhoneStatus::invalid_country;
      return result.status;
    }
    def = &compiled_territory(index);
  }

  // 2. The calling code: after '+', after the default region's IDD prefix, or the default
  //    region's own code typed without '+' when the rest only makes sense that way. Then the
  //    national significant number, without the national prefix. When none of the default
  //    region's IDD prefix, own code and national prefix can start the digits, every step of
  //    this leaves them as they are: they are the national number of the default region.
  std::string_view rest = number.view();
  const md::CallingCode* cc = nullptr;
  const CompiledTerritory* plan = def;    // the numbering plan the national prefix is stripped with
  const CompiledTerritory* region = def;  // the region the number is checked against, null until known
  Digits scratch;
  std::string_view nsn = rest;
  if (!plus && def && def->starts_plain(rest)) {
    cc = def->calling_code;
  } else {
    bool code_from_number = false;
    if (!plus && def) {
      size_t idd_end = 0;
      if (!def->idd_prefix.empty() && def->idd_prefix.match_prefix(rest, &idd_end) && idd_end > 0 &&
          idd_end < rest.size() && rest[idd_end] != '0') {
        plus = true;
        rest = rest.substr(idd_end);
      } else if (starts_with_digits(rest, def->code())) {
        std::string_view shorter = rest.substr(def->code().size());
        Digits short_scratch, full_scratch;
        const std::string_view nsn_short = national_number(shorter, *def, short_scratch);
        const std::string_view nsn_full = national_number(rest, *def, full_scratch);
        if ((!def->matches_general(nsn_full) && def->matches_general(nsn_short)) ||
            check_length(nsn_full.size(), def->territory->possible_lengths) == Length::too_long) {
          cc = def->calling_code;
          code_from_number = true;
          rest = shorter;
        }
      }
    }
    if (plus) {
      if (rest.empty() || rest[0] == '0') {
        result.status = PhoneStatus::invalid_country;
        return result.status;
      }
      unsigned code = 0;
      for (size_t len = 1; len <= 3 && len <= rest.size(); ++len) {
        code = code * 10 + unsigned(rest[len - 1] - '0');
        if (const md::CallingCode* c = calling_code(code)) {
          cc = c;
          rest = rest.substr(len);
          break;
        }
      }
      if (!cc) {
        result.status = PhoneStatus::invalid_country;
        return result.status;
      }
      code_from_number = true;
    }

    if (code_from_number) {
      plan = def && def->index == main_territory(*cc) ? def : &compiled_territory(main_territory(*cc));
      region = nullptr;
    } else if (def) {
      cc = def->calling_code;
    } else {
      result.status = PhoneStatus::invalid_country;
      return result.status;
    }
    if (rest.empty()) {
      result.status = PhoneStatus::too_short;
      return result.status;
    }
    nsn = national_number(rest, *plan, scratch);
  }

  // 3. The region of the national number, and the checks.
  bool typed = false;  // the region was chosen by a number type match: valid already
  if (const CompiledTerritory* exact = territory_for_number(*cc, nsn, *plan, &typed)) region = exact;
  if (nsn.size() < kMinNsn) {
    result.status = PhoneStatus::too_short;
    return result.status;
  }
  if (nsn.size() > kMaxNsn) {
    result.status = PhoneStatus::too_long;
    return result.status;
  }
  // Every territory of `cc` carries cc's code: the default region when cc is its code, one of
  // cc's own otherwise.
  const CompiledTerritory& ct = region ? *region : compiled_territory(main_territory(*cc));
  if (!typed && !ct.is_valid(nsn)) {
    switch (check_length(nsn.size(), ct.territory->possible_lengths)) {
      case Length::too_short: result.status = PhoneStatus::too_short; break;
      case Length::too_long: result.status = PhoneStatus::too_long; break;
      default: result.status = PhoneStatus::invalid_number; break;
    }
    return result.status;
  }
  result.status = PhoneStatus::ok;
  static_assert(sizeof result.e164 >= 1 + sizeof ct.code_text + kMaxNsn);
  const size_t code_length = ct.code_text_length;
  result.e164[0] = '+';
  // The code, then the national number over the rest, in fixed-size moves: nsn starts at most
  // kMaxInputChars bytes into a Digits buffer (the digits' or the scratch one), which has kMaxNsn
  // bytes beyond that.
  static_assert(sizeof(Digits::buf) >= kMaxInputChars + kMaxNsn);
  std::memcpy(result.e164 + 1, ct.code_text, sizeof ct.code_text);
  std::memcpy(result.e164 + 1 + code_length, nsn.data(), kMaxNsn);
  result.e164_length = uint8_t(1 + code_length + nsn.size());
  result.region = cc->non_geographic ? "001" : ct.region;
  return result.status;
}

// The common case, decided in one pass: ASCII digits and the usual punctuation with an optional
// leading '+', a default region, no prefix to strip, and a national number of the calling code's
// main territory that one of its number types matches. Returns 0 whenever any of that does not
// hold, and then leaves the answer to parse_general. Otherwise writes the E.164 form at `e164`
// (room for 24 bytes; bytes past the number may be overwritten), sets `*region` to the number's
// territory and returns the length: what parse_general answers, since each test is its own for
// the branch it takes on such input.
[[gnu::always_inline]] inline size_t parse_common(std::string_view input, std::string_view default_region,
                                                   char* e164, const CompiledTerritory** region) {
  if (input.empty() || input.size() > kMaxInputChars) return 0;
  const unsigned char* p = reinterpret_cast<const unsigned char*>(input.data());
  const unsigned char* const end = p + input.size();
  const bool plus = *p == '+';
  p += plus;
  Digits number;
  size_t n = 0;
  if (!keep_plain_digits(p, end, number.buf.data(), n) || n < 3) return 0;
  const int index = default_region_index(default_region);
  if (index < 0) return 0;
  const CompiledTerritory* const def = &compiled_territory(index);
  const std::string_view digits(number.buf.data(), n);

  const md::CallingCode* cc;
  const CompiledTerritory* plan;  // the calling code's main territory: the number's region
  std::string_view nsn;
  if (!plus) {
    // The default region's own number, nothing to strip (parse_general's starts_plain branch).
    if (!def->starts_plain(digits)) return 0;
    cc = def->calling_code;
    plan = def;
    nsn = digits;
  } else {
    if (digits[0] == '0') return 0;
    cc = nullptr;
    size_t len = 1;
    for (unsigned code = 0; len <= 3; ++len) {  // n >= 3: every digit looked at is there
      code = code * 10 + unsigned(digits[len - 1] - '0');
      if ((cc = calling_code(code))) break;
    }
    if (!cc) return 0;
    nsn = digits.substr(len);
    plan = def->index == main_territory(*cc) ? def : &compiled_territory(main_territory(*cc));
    if (nsn.empty() || plan->national_prefix.may_match_prefix(nsn)) return 0;
  }
  // territory_for_number's first step (or its single territory), with the number already valid.
  if (cc->non_geographic || main_territory(*cc) != plan->index || !plan->leading_digits.empty()) return 0;
  if (nsn.size() < kMinNsn || nsn.size() > kMaxNsn || !plan->has_number_type(nsn)) return 0;

  const size_t code_length = plan->code_text_length;
  e164[0] = '+';
  std::memcpy(e164 + 1, plan->code_text, sizeof plan->code_text);
  std::memcpy(e164 + 1 + code_length, nsn.data(), kMaxNsn);  // see parse_general
  *region = plan;
  return 1 + code_length + nsn.size();
}

}  // namespace

PhoneStatus parse_phone_into(std::string_view input, std::string_view default_region, ParsedPhone& result) {
  const CompiledTerritory* region;
  if (const size_t length = parse_common(input, default_region, result.e164, &region)) {
    result.status = PhoneStatus::ok;
    result.e164_length = uint8_t(length);
    result.region = region->region;
    return PhoneStatus::ok;
  }
  return parse_general(input, default_region, result);
}

size_t write_e164(std::string_view input, std::string_view default_region, char* out, PhoneStatus& status) {
  static_assert(sizeof ParsedPhone::e164 <= kE164Room);
  const CompiledTerritory* region;
  if (const size_t length = parse_common(input, default_region, out, &region)) return length;
  ParsedPhone r;
  status = parse_general(input, default_region, r);
  if (status != PhoneStatus::ok) return 0;
  std::memcpy(out, r.e164, sizeof r.e164);
  return r.e164_length;
}

PhoneResult parse_phone(std::string_view input, std::string_view default_region) {
  ParsedPhone p;
  PhoneResult result;
  result.status = parse_phone_into(input, default_region, p);
  if (result.status == PhoneStatus::ok) {
    result.e164 = std::string(p.e164_view());
    result.region = p.region;
  }
  return result;
}

std::string_view example_international(std::string_view region) {
  int t = region_index(region);
  return t >= 0 ? md::kTerritories[t].example_international : "";
}

std::string_view example_national(std::string_view region) {
  int t = region_index(region);
  return t >= 0 ? md::kTerritories[t].example_national : "";
}

}  // namespace intake::phone
