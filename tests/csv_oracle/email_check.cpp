// intake-email-check: the native side of the email oracle test (tests/browser/
// email_oracle.test.mjs). Reads one candidate address per line on stdin (LF-separated; a CR is
// part of the value) and writes "valid<TAB>normalized" or "invalid<TAB>code" per line, using
// intake::check_email.
#include <iostream>
#include <string>

#include "validate/field_checks.h"

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    std::string normalized;
    intake::CellError err;
    if (intake::check_email(line, normalized, err)) out.append("valid\t").append(normalized);
    else out.append("invalid\t").append(err.code ? err.code : "");
    out.push_back('\n');
  }
  std::cout << out;
  return 0;
}
