// intake-phone-check: the native side of the phone oracle test (phone_oracle.mjs). Reads lines
// "region<TAB>input" on stdin and writes "status<TAB>e164<TAB>region" per line, where status is
// ok, not_a_number, invalid_country, too_short, too_long or invalid_number.
#include <iostream>
#include <string>

#include "phone/phone_number.h"

namespace {

const char* status_name(intake::phone::PhoneStatus s) {
  using intake::phone::PhoneStatus;
  switch (s) {
    case PhoneStatus::ok: return "ok";
    case PhoneStatus::not_a_number: return "not_a_number";
    case PhoneStatus::invalid_country: return "invalid_country";
    case PhoneStatus::too_short: return "too_short";
    case PhoneStatus::too_long: return "too_long";
    case PhoneStatus::invalid_number: return "invalid_number";
  }
  return "?";
}

}  // namespace

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  std::string out;
  while (std::getline(std::cin, line)) {
    size_t tab = line.find('\t');
    std::string_view region = tab == std::string::npos ? std::string_view() : std::string_view(line).substr(0, tab);
    std::string_view input = tab == std::string::npos ? std::string_view(line) : std::string_view(line).substr(tab + 1);
    intake::phone::PhoneResult r = intake::phone::parse_phone(input, region);
    out.append(status_name(r.status)).append("\t").append(r.e164).append("\t").append(r.region).append("\n");
  }
  std::cout << out;
  return 0;
}
