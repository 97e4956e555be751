// Phone number parsing and validation with libphonenumber's rules, following libphonenumber-js
// (parsePhoneNumberFromString + isValid with max metadata) step by step: clean the input, find
// the calling code (+, the default region's IDD prefix, or the region's own code typed without
// +), strip the national prefix, pick the region among those sharing the code, then check the
// national number against that region's patterns. Patterns compile lazily, once per territory.
#include "phone/phone_number.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
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
  void assign(std::string_view s) {
    n = std::min(s.size(), buf.size());
    std::copy_n(s.data(), n, buf.data());
  }
};

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

// getCountryByCallingCode: the region among those sharing `cc` that `nsn` belongs to, or -1.
// Sets `*typed` when the region was chosen because `nsn` has one of its number types.
int territory_for_number(const md::CallingCode& cc, std::string_view nsn, bool* typed = nullptr) {
  if (cc.non_geographic) return -1;
  if (cc.count == 1) return cc.first;
  for (int t = cc.first; t < cc.first + cc.count; ++t) {
    const CompiledTerritory& ct = compiled_territory(t);
    if (!ct.leading_digits.empty()) {
      if (!nsn.empty() && ct.leading_digits.match_prefix(nsn, nullptr)) return t;
    } else if (ct.has_number_type(nsn)) {
      if (typed) *typed = true;
      return t;
    }
  }
  return -1;
}

// extractNationalNumberFromPossiblyIncompleteNumber: strips the national prefix (and carrier
// code) or applies the transform rule. Writes the result to `out`; false when nothing changed.
bool strip_national_prefix(std::string_view number, int t, Digits& out) {
  out.assign(number);
  const CompiledTerritory& ct = compiled_territory(t);
  if (number.empty() || ct.national_prefix.empty()) return false;
  std::array<int, 20> caps;
  const int groups = ct.national_prefix.group_count();
  if (2 * groups > int(caps.size())) return false;
  size_t end = 0;
  if (!ct.national_prefix.match_prefix(number, &end, caps.data())) return false;
  auto group = [&](int g) {
    if (g < 1 || g > groups || caps[2 * (g - 1)] < 0 || caps[2 * (g - 1) + 1] < 0) return std::string_view();
    return number.substr(size_t(caps[2 * (g - 1)]), size_t(caps[2 * (g - 1) + 1] - caps[2 * (g - 1)]));
  };
  const bool has_captured = groups > 0 && !group(groups).empty();
  std::string_view transform = md::kTerritories[t].national_prefix_transform;
  if (!transform.empty() && has_captured) {
    Digits r;
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
    out = r;
  } else {
    out.assign(number.substr(end));
  }
  return out.view() != number;
}

// extractNationalNumber: the national prefix is kept when stripping it would turn a number that
// matches the national pattern into one that does not, or leave an impossible length.
void national_number(std::string_view number, int t, Digits& out) {
  if (!strip_national_prefix(number, t, out)) return;
  const CompiledTerritory& ct = compiled_territory(t);
  if (ct.matches_general(number) && !ct.matches_general(out.view())) {
    out.assign(number);
    return;
  }
  const md::CallingCode* cc = calling_code(md::kTerritories[t].calling_code);
  int region = cc ? territory_for_number(*cc, out.view()) : -1;
  uint32_t lengths = md::kTerritories[region >= 0 ? region : t].possible_lengths;
  Length l = check_length(out.n, lengths);
  if (l == Length::too_short || l == Length::invalid) out.assign(number);
}

int region_index(std::string_view region) {
  if (region.size() != 2) return -1;
  auto up = [](char c) { return c >= 'a' && c <= 'z' ? char(c - 32) : c; };
  char a = up(region[0]), b = up(region[1]);
  if (a < 'A' || a > 'Z' || b < 'A' || b > 'Z') return -1;
  return md::kRegionIndex[(a - 'A') * 26 + (b - 'A')];
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

const CompiledTerritory& compiled_territory(int t) {
  struct Slot {
    std::once_flag once;
    std::unique_ptr<CompiledTerritory> value;
    std::atomic<const CompiledTerritory*> ready{nullptr};  // set once value is built
  };
  static const std::unique_ptr<Slot[]> slots(new Slot[md::kTerritoryCount]);
  Slot& slot = slots[size_t(t)];
  if (const CompiledTerritory* built = slot.ready.load(std::memory_order_acquire)) return *built;
  std::call_once(slot.once, [&] {
    slot.value = std::make_unique<CompiledTerritory>(md::kTerritories[t]);
    slot.ready.store(slot.value.get(), std::memory_order_release);
  });
  return *slot.value;
}

CompiledTerritory::CompiledTerritory(const md::Territory& t)
    : territory(&t),
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
    if (t.type_patterns[i][0] != '\0') type_bits |= 1u << (i + 1);
  }
}

bool CompiledTerritory::has_number_type(std::string_view nsn) const {
  uint32_t m = dfa.run(nsn);
  if (!(m & 1)) return false;
  m &= type_bits;
  for (int i = 0; m; ++i) {
    if (((m >> (i + 1)) & 1) && nsn.size() < 32 && ((territory->type_lengths[i] >> nsn.size()) & 1)) return true;
    m &= ~(1u << (i + 1));
  }
  return false;
}

bool CompiledTerritory::is_valid(std::string_view nsn) const {
  if (!territory->has_types) return matches_general(nsn);
  return has_number_type(nsn);
}

bool is_known_region(std::string_view region) { return region_index(region) >= 0; }

PhoneStatus parse_phone_into(std::string_view input, std::string_view default_region, ParsedPhone& result) {
  result.status = PhoneStatus::not_a_number;
  // 1. Keep digits and one leading '+'; anything but libphonenumber's punctuation is refused.
  Digits number;
  bool plus = false;
  size_t chars = 0;
  // Input of at most kMaxInputChars bytes cannot have more characters than that: the count is
  // only kept for longer input, and ASCII digits and punctuation take the short way.
  const bool counted = input.size() > kMaxInputChars;
  for (size_t i = 0; i < input.size();) {
    unsigned char byte = static_cast<unsigned char>(input[i]);
    if (!counted) {
      if (byte >= '0' && byte <= '9') {
        number.buf[number.n++] = char(byte);
        ++i;
        continue;
      }
      if (byte == ' ' || byte == '-' || byte == '(' || byte == ')' || byte == '.' || byte == '/') {
        ++i;
        continue;
      }
    } else if (++chars > kMaxInputChars) {
      result.status = PhoneStatus::too_long;
      return result.status;
    }
    if (byte >= '0' && byte <= '9') {
      number.buf[number.n++] = char(byte);
      ++i;
      continue;
    }
    char32_t cp = next_code_point(input, i);
    int d = digit_value(cp);
    if (d >= 0) {
      number.buf[number.n++] = char('0' + d);
    } else if (cp == '+' || cp == 0xFF0B) {
      if (plus || number.n > 0) return result.status;  // not_a_number
      plus = true;
    } else if (!is_punctuation(cp)) {
      return result.status;  // not_a_number
    }
  }
  if (number.n == 0) return result.status;
  if (number.n < 3) {
    result.status = PhoneStatus::too_short;
    return result.status;
  }

  int def = -1;
  if (!default_region.empty()) {
    def = region_index(default_region);
    if (def < 0) {
      result.status = PhoneStatus::invalid_country;
      return result.status;
    }
  }

  // 2. The calling code: after '+', after the default region's IDD prefix, or the default
  //    region's own code typed without '+' when the rest only makes sense that way.
  std::string_view rest = number.view();
  const md::CallingCode* cc = nullptr;
  bool code_from_number = false;
  char code_buf[8];
  if (!plus && def >= 0) {
    const CompiledTerritory& dt = compiled_territory(def);
    size_t idd_end = 0;
    if (!dt.idd_prefix.empty() && dt.idd_prefix.match_prefix(rest, &idd_end) && idd_end > 0 &&
        idd_end < rest.size() && rest[idd_end] != '0') {
      plus = true;
      rest = rest.substr(idd_end);
    } else {
      const md::CallingCode* own = calling_code(md::kTerritories[def].calling_code);
      std::string_view code_text = own_code_text(md::kTerritories[def].calling_code, code_buf);
      if (own && rest.substr(0, code_text.size()) == code_text) {
        std::string_view shorter = rest.substr(code_text.size());
        Digits nsn_short, nsn_full;
        national_number(shorter, def, nsn_short);
        national_number(rest, def, nsn_full);
        if ((!dt.matches_general(nsn_full.view()) && dt.matches_general(nsn_short.view())) ||
            check_length(nsn_full.n, md::kTerritories[def].possible_lengths) == Length::too_long) {
          cc = own;
          code_from_number = true;
          rest = shorter;
        }
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

  int plan;     // the numbering plan the national prefix is stripped with
  int region;   // the region the number is checked against, -1 until known
  if (code_from_number) {
    plan = main_territory(*cc);
    region = -1;
  } else if (def >= 0) {
    plan = def;
    region = def;
    cc = calling_code(md::kTerritories[def].calling_code);
  } else {
    result.status = PhoneStatus::invalid_country;
    return result.status;
  }
  if (rest.empty()) {
    result.status = PhoneStatus::too_short;
    return result.status;
  }

  // 3. National significant number, its region, and the checks.
  Digits nsn;
  national_number(rest, plan, nsn);
  bool typed = false;  // the region was chosen by a number type match: valid already
  if (int exact = territory_for_number(*cc, nsn.view(), &typed); exact >= 0) region = exact;
  if (nsn.n < kMinNsn) {
    result.status = PhoneStatus::too_short;
    return result.status;
  }
  if (nsn.n > kMaxNsn) {
    result.status = PhoneStatus::too_long;
    return result.status;
  }
  const int check = region >= 0 ? region : main_territory(*cc);
  const CompiledTerritory& ct = compiled_territory(check);
  if (!typed && !ct.is_valid(nsn.view())) {
    switch (check_length(nsn.n, md::kTerritories[check].possible_lengths)) {
      case Length::too_short: result.status = PhoneStatus::too_short; break;
      case Length::too_long: result.status = PhoneStatus::too_long; break;
      default: result.status = PhoneStatus::invalid_number; break;
    }
    return result.status;
  }
  result.status = PhoneStatus::ok;
  static_assert(sizeof result.e164 >= 1 + 3 + kMaxNsn);
  char code_text[8];
  const std::string_view code = own_code_text(cc->code, code_text);
  result.e164[0] = '+';
  std::copy(code.begin(), code.end(), result.e164 + 1);
  std::copy_n(nsn.buf.data(), nsn.n, result.e164 + 1 + code.size());
  result.e164_length = uint8_t(1 + code.size() + nsn.n);
  result.region = cc->non_geographic ? "001" : md::kTerritories[check].region;
  return result.status;
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
