// check_phone: a cell holding a phone number -> E.164, with a message that shows how a valid
// number of the default region is written when the cell is refused. Parsing and validity are
// shared/phone's (libphonenumber's rules and metadata).
#include <string>

#include "core/row_error.h"
#include "phone/phone_number.h"
#include "validate/cell_writers.h"
#include "validate/field_checks.h"

namespace intake {

namespace {

const char* reason(phone::PhoneStatus s) {
  switch (s) {
    case phone::PhoneStatus::not_a_number:
      return "this one has characters other than digits, spaces, ( ) - . / and one leading +";
    case phone::PhoneStatus::invalid_country:
      return "the country calling code of this one (after + or the international prefix) is not in use";
    case phone::PhoneStatus::too_short: return "this one is too short";
    case phone::PhoneStatus::too_long: return "this one is too long";
    case phone::PhoneStatus::invalid_number:
      return "this one has a possible length but no number of its country starts with those digits";
    case phone::PhoneStatus::ok: break;
  }
  return "";
}

// The refusal of a number phone::write_e164 refused with `status`; out of line, so the accepting
// path of write_phone stays small.
[[gnu::noinline, gnu::cold]] bool refuse(phone::PhoneStatus status, std::string_view default_region, CellError& err) {
  err.code = codes::kInvalidPhone;
  std::string_view intl = phone::example_international(default_region);
  std::string_view national = phone::example_national(default_region);
  if (default_region.empty() || intl.empty()) {
    if (!default_region.empty() && !phone::is_known_region(default_region)) {
      err.message = "expected a phone number with its country code, like +44 7400 123456; the default region \"";
      err.message.append(default_region);
      err.message += "\" is not a known ISO country code, so numbers without + cannot be read";
      return false;
    }
    err.message = "expected a phone number with its country code, like +44 7400 123456; ";
  } else {
    err.message = "expected a phone number valid in ";
    for (char c : default_region) err.message.push_back(c >= 'a' && c <= 'z' ? char(c - 32) : c);
    err.message += ", like ";
    err.message.append(intl);
    if (!national.empty() && national != intl) {
      err.message += " or ";
      err.message.append(national);
    }
    err.message += ", or any number with + and its country code; ";
  }
  err.message += reason(status);
  return false;
}

}  // namespace

bool detail::write_phone(std::string_view in, std::string_view default_region, char*& w, CellError& err) {
  static_assert(phone::kE164Room <= kPhoneChars);  // the room at w
  phone::PhoneStatus status;
  const size_t length = phone::write_e164(in, default_region, w, status);
  if (length == 0) return refuse(status, default_region, err);
  w += length;
  return true;
}

bool check_phone(std::string_view in, std::string_view default_region, std::string& out, CellError& err) {
  return detail::append_written(out, detail::kPhoneChars,
                                [&](char*& w) { return detail::write_phone(in, default_region, w, err); });
}

}  // namespace intake
