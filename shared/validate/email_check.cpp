// check_email: the HTML standard's "valid e-mail address" (WHATWG, the rule behind
// <input type=email>), matched by hand rather than by regex:
//   ^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$
// ASCII only (no IDN). The domain is lower-cased in the output; the local part is kept as is.
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

}  // namespace

namespace detail {

bool write_email(std::string_view in, char*& w, CellError& err) {
  const size_t n = in.size();
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

  // Copied, then the domain lower-cased in place, eight bytes at a time.
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
  return true;
}

}  // namespace detail

bool check_email(std::string_view in, std::string& out, CellError& err) {
  return detail::append_written(out, in.size(), [&](char*& w) { return detail::write_email(in, w, err); });
}

}  // namespace intake
