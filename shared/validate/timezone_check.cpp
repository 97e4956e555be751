// check_timezone: an IANA zone or link name, any ASCII case, normalized to its canonical zone
// ("us/eastern" -> "America/New_York") through the generated table in timezone/timezone_table.h.
#include "core/row_error.h"
#include "timezone/timezone_table.h"
#include "validate/field_checks.h"

namespace intake {

bool check_timezone(std::string_view in, std::string& out, CellError& err) {
  if (const TimezoneName* tz = find_timezone(in)) {
    out.append(tz->canonical);
    return true;
  }
  err.code = codes::kInvalidTimezone;
  err.message = "expected an IANA timezone name like America/New_York, Europe/Paris or UTC";
  return false;
}

}  // namespace intake
