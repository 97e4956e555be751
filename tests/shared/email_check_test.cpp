// check_email against the HTML standard's "valid e-mail address": a table of cases (from the
// WHATWG spec, web-platform-tests' email input tests and common address lists), then an agreement
// check with the spec's regex (std::regex here, in the test only) over generated strings.
#include <doctest/doctest.h>

#include <random>
#include <regex>
#include <string>

#include "core/row_error.h"
#include "validate/field_checks.h"

using namespace intake;

namespace {

struct Case {
  std::string in;
  bool valid;
  std::string out = {};  // expected output when valid and different from `in`
};

const std::string k63(63, 'a');
const std::string k64(64, 'a');

const Case kCases[] = {
    // valid
    {"user@example.com", true},
    {"a@b", true},
    {"a@b.c", true},
    {"simple@example.com", true},
    {"very.common@example.com", true},
    {"disposable.style.email.with+symbol@example.com", true},
    {"other.email-with-hyphen@example.com", true},
    {"fully-qualified-domain@example.com", true},
    {"user.name+tag+sorting@example.com", true},
    {"x@example.com", true},
    {"example-indeed@strange-example.com", true},
    {"admin@mailserver1", true},
    {"example@s.example", true},
    {"mailhost!username@example.org", true},
    {"user%example.com@example.org", true},
    {"user-@example.org", true},
    {".user@example.com", true},
    {"user.@example.com", true},
    {"us..er@example.com", true},
    {"!#$%&'*+/=?^_`{|}~-@example.com", true},
    {"a@1.2.3.4", true},
    {"a@123", true},
    {"a@0", true},
    {"1@2", true},
    {"a@x-y.z", true},
    {"a@b--c.d", true},
    {"a@xn--bcher-kva.example", true},
    {"a@b.c.d.e.f.g", true},
    {"A@EXAMPLE.COM", true, "A@example.com"},
    {"John.Doe@Example.Org", true, "John.Doe@example.org"},
    {"a@" + k63, true},
    {"a@" + k63 + "." + k63, true},
    {"a@a" + std::string(61, '-') + "a", true},
    {"+@example.com", true},
    {"'@example.com", true},
    {"=@example.com", true},
    // invalid
    {"", false},
    {"plainaddress", false},
    {"@example.com", false},
    {"user@", false},
    {"user@@example.com", false},
    {"user@exa@mple.com", false},
    {"Abc.example.com", false},
    {"A@b@c@example.com", false},
    {"a\"b(c)d,e:f;g<h>i[j\\k]l@example.com", false},
    {"just\"not\"right@example.com", false},
    {"this is\"not\\allowed@example.com", false},
    {"this\\ still\\\"not\\\\allowed@example.com", false},
    {"user name@example.com", false},
    {"user@exam ple.com", false},
    {"user@-example.com", false},
    {"user@example-.com", false},
    {"user@example.com-", false},
    {"user@.example.com", false},
    {"user@example..com", false},
    {"user@example.com.", false},
    {"user@example_com", false},
    {"user@[127.0.0.1]", false},
    {"user@[IPv6:2001:db8::1]", false},
    {"\"quoted\"@example.com", false},
    {"a@" + k64, false},
    {"a@" + k63 + "." + k64, false},
    {"i_like_underscore@but_its_not_allowed_in_this_part.example.com", false},
    {"user@ex\xc3\xa4mple.com", false},
    {"\xc3\xbcser@example.com", false},
    {"user@example.com ", false},
    {" user@example.com", false},
    {"user@example.com\n", false},
    {"user(comment)@example.com", false},
    {"<user@example.com>", false},
    {"user@example.com>", false},
    {"user@ex,ample.com", false},
    {"user,name@example.com", false},
    {"user;name@example.com", false},
    {"user:name@example.com", false},
    {"user\\@example.com", false},
    {"a@b.-c", false},
    {"a@b.c-", false},
    {"a@.", false},
    {"a@..", false},
    {"@", false},
    {"a@b.", false},
    {"a@-", false},
    {"a@b@c", false},
    {"a.b", false},
    {"user@example.com\t", false},
    {std::string("user@ex\0ample.com", 17), false},
    {"a@b:80", false},
    {"mailto:a@b.c", false},
};

const std::regex kWhatwg(
    "^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
    "(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$");

bool regex_valid(const std::string& s) {
  // std::regex's '$' and '.' semantics are fine here; a NUL or newline must not match either.
  return std::regex_match(s, kWhatwg);
}

std::string lower_domain(const std::string& s) {
  std::string r = s;
  const size_t at = r.find('@');
  for (size_t i = at + 1; i < r.size(); ++i)
    if (r[i] >= 'A' && r[i] <= 'Z') r[i] = static_cast<char>(r[i] + 32);
  return r;
}

// check_email on `s` gives the regex's verdict, the address with its domain lower-cased when
// valid, and invalid_email when not.
void check_against_regex(const std::string& s) {
  CAPTURE(s);
  std::string out;
  CellError err;
  const bool ok = check_email(s, out, err);
  REQUIRE(ok == regex_valid(s));
  if (ok) CHECK(out == lower_domain(s));
  else CHECK(std::string(err.code) == codes::kInvalidEmail);
}

}  // namespace

TEST_CASE("check_email: WHATWG valid e-mail address table") {
  size_t valid = 0, invalid = 0;
  for (const Case& c : kCases) {
    CAPTURE(c.in);
    std::string out = "prefix:";
    CellError err;
    const bool ok = check_email(c.in, out, err);
    CHECK(ok == c.valid);
    CHECK(regex_valid(c.in) == c.valid);  // the table itself agrees with the spec's regex
    if (ok) {
      CHECK(out == "prefix:" + (c.out.empty() ? c.in : c.out));
      ++valid;
    } else {
      CHECK(out == "prefix:");
      CHECK(std::string(err.code) == codes::kInvalidEmail);
      CHECK(err.message.find("name@example.com") != std::string::npos);
      ++invalid;
    }
  }
  CHECK(valid >= 30);
  CHECK(invalid >= 30);
}

TEST_CASE("check_email: agrees with the spec's regex on generated strings") {
  std::mt19937 rng(12345);
  const std::string alphabet = "aZ09-.@_ !+\"\\\xc3";
  for (int n = 0; n < 20000; ++n) {
    std::string s;
    const int len = static_cast<int>(rng() % 12);
    for (int k = 0; k < len; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    // Bias towards almost-valid shapes: local@label(.label)*
    if (n % 2) {
      s = std::string(1 + rng() % 3, 'u') + s.substr(0, len / 2) + "@" + s.substr(len / 2) +
          std::string(rng() % 2, 'x');
      if (n % 7 == 0) s += "." + std::string(60 + rng() % 6, 'b');
    }
    check_against_regex(s);
  }
}

// check_email decides addresses of at most 64 bytes made of letters, digits, . - _ + and @ on bit
// masks of 16-byte blocks (the bytes after 16, 32 and 48 fall in other blocks), and everything
// else byte by byte: generated strings of 1 to 70 bytes, around those block edges, against the
// spec's regex.
TEST_CASE("check_email: agrees with the spec's regex up to and past 64 bytes") {
  std::mt19937 rng(2026);
  const std::string plain = "aZq09-._+@";
  const std::string any = plain + "!~ \xc3";
  for (int n = 0; n < 40000; ++n) {
    const std::string& alphabet = n % 5 == 0 ? any : plain;
    const size_t len = 1 + rng() % 70;
    std::string s;
    for (size_t k = 0; k < len; ++k) s.push_back(alphabet[rng() % alphabet.size()]);
    if (n % 2) {  // one '@' somewhere, dots and hyphens placed more sparsely after it
      const size_t at = rng() % len;
      for (size_t k = 0; k < len; ++k)
        if (s[k] == '@' || (k > at && (s[k] == '_' || s[k] == '+' || ((s[k] == '.' || s[k] == '-') && rng() % 3))))
          s[k] = "bY7"[rng() % 3];
      s[at] = '@';
    }
    check_against_regex(s);
  }
}
