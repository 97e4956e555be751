// check_email: the HTML standard's "valid e-mail address" (WHATWG, the rule behind
// <input type=email>), matched by hand rather than by regex:
//   ^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$
// ASCII only (no IDN). The domain is lower-cased in the output; the local part is kept as is.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "core/platform.h"
#include "core/row_error.h"
#include "validate/cell_writers.h"
#include "validate/field_checks.h"

namespace intake {
namespace {

constexpr std::array<bool, 256> make_local_chars() {
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : std::string_view(".!#$%&'*+/=?^_`{|}~-")) t[static_cast<unsigned char>(c)] = true;
  return t;
}
constexpr std::array<bool, 256> kLocalChars = make_local_chars();

constexpr std::array<bool, 256> make_domain_chars() {  // letters, digits, '-'
  std::array<bool, 256> t{};
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  t['-'] = true;
  return t;
}
constexpr std::array<bool, 256> kDomainChars = make_domain_chars();

bool fail(CellError& err, const std::string& why) {
  err.code = codes::kInvalidEmail;
  err.message = "expected an email address like name@example.com (" + why + ")";
  return false;
}

std::string shown(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (c == ' ') return "a space";
  if (u < 0x20 || u == 0x7f) return "a control character";
  if (u >= 0x80) return "a non-ASCII character";
  return std::string("'") + c + "'";
}

// Writes `in` (8 to 64 bytes) with its domain lower-cased and returns true when `in` is valid by
// the rule above, decided on bit masks of its bytes when they are all letters, digits or
// . - _ + @ (as nearly all addresses are). Returns false, writing nothing, when it is invalid or
// has other bytes: the byte loop of write_email then decides, and names the fault.
bool write_plain(std::string_view in, char*& w) {
  const size_t n = in.size();
  const platform::EmailBytes bytes = platform::classify_email_bytes(in.data(), n);
  const uint64_t at_mask = bytes.at, dot = bytes.dot, hyphen = bytes.hyphen, local_only = bytes.underscore_plus;
  const uint64_t all = n == 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
  if (bytes.other != 0) return false;
  // One '@', not first, not last; the local part's bytes are all allowed there.
  if (at_mask == 0 || (at_mask & (at_mask - 1)) != 0) return false;
  const size_t at = size_t(std::countr_zero(at_mask));
  if (at == 0 || at + 1 == n) return false;
  // Domain: bytes after the '@' (at most 62, so no label is over 63): letters, digits, '-'
  // and '.', no empty label (no '.' first, last or twice in a row), no label starting or
  // ending with '-'.
  const uint64_t domain = all & ~((uint64_t(2) << at) - 1);
  if (local_only & domain) return false;
  const uint64_t dots = dot & domain, first = uint64_t(1) << (at + 1), last = uint64_t(1) << (n - 1);
  if ((dots & (first | last | (dots >> 1))) != 0) return false;
  const uint64_t starts = (dots << 1) | first, ends = (dots >> 1) | last;
  if ((hyphen & domain & (starts | ends)) != 0) return false;
  // Written as it is, then the domain's capitals (rare) lower-cased one by one.
  platform::copy_bytes(w, in.data(), n);
  for (uint64_t caps = bytes.upper & domain; caps; caps &= caps - 1) w[std::countr_zero(caps)] |= 0x20;
  w += n;
  return true;
}

// Writes `in` with its domain (after byte `at`) lower-cased.
void put_lowered_domain(std::string_view in, size_t at, char*& w) {
  const size_t n = in.size();
  platform::copy_bytes(w, in.data(), n);
  size_t k = at + 1;
  for (; k + 8 <= n; k += 8) {
    uint64_t word;
    std::memcpy(&word, w + k, 8);
    word = platform::lower_ascii8(word);
    std::memcpy(w + k, &word, 8);
  }
  for (; k < n; ++k)
    if (w[k] >= 'A' && w[k] <= 'Z') w[k] = static_cast<char>(w[k] + ('a' - 'A'));
  w += n;
}

}  // namespace

namespace detail {

bool write_email(std::string_view in, char*& w, CellError& err) {
  const size_t n = in.size();
  if (n >= 8 && n <= 64 && write_plain(in, w)) return true;
  size_t at = 0;
  while (at < n && kLocalChars[static_cast<unsigned char>(in[at])]) ++at;
  if (at == n) return fail(err, "no @");
  if (in[at] != '@') return fail(err, shown(in[at]) + " is not allowed before the @");
  if (at == 0) return fail(err, "nothing before the @");

  // Domain: labels of 1-63 characters, letters/digits/hyphens, not starting or ending with '-'.
  size_t i = at + 1;
  if (i == n) return fail(err, "nothing after the @");
  for (;;) {
    const size_t label = i;
    while (i < n && kDomainChars[static_cast<unsigned char>(in[i])]) ++i;
    const size_t len = i - label;
    if (len == 0) {
      if (i < n && in[i] != '.') return fail(err, shown(in[i]) + " is not allowed in the domain");
      return fail(err, "empty part in the domain");
    }
    if (in[label] == '-' || in[i - 1] == '-') return fail(err, "a domain part starts or ends with '-'");
    if (len > 63) return fail(err, "a domain part is longer than 63 characters");
    if (i == n) break;
    if (in[i] != '.') return fail(err, shown(in[i]) + " is not allowed in the domain");
    ++i;
    if (i == n) return fail(err, "the domain ends with '.'");
  }

  put_lowered_domain(in, at, w);
  return true;
}

}  // namespace detail

bool check_email(std::string_view in, std::string& out, CellError& err) {
  return detail::append_written(out, in.size(), [&](char*& w) { return detail::write_email(in, w, err); });
}

}  // namespace intake
