// check_timezone: an IANA zone or link name, any ASCII case, normalized to its canonical zone
// ("us/eastern" -> "America/New_York") through the generated table in timezone/timezone_table.h.
#include "core/row_error.h"
#include "timezone/timezone_table.h"
#include "validate/cell_writers.h"
#include "validate/field_checks.h"

namespace intake {

bool detail::write_timezone(std::string_view in, char*& w, CellError& err) {
  if (const TimezoneName* tz = find_timezone(in)) {
    put(w, tz->canonical);
    return true;
  }
  err.code = codes::kInvalidTimezone;
  err.message = "expected an IANA timezone name like America/New_York, Europe/Paris or UTC";
  return false;
}

bool check_timezone(std::string_view in, std::string& out, CellError& err) {
  return detail::append_written(out, detail::timezone_output_slack(),
                                [&](char*& w) { return detail::write_timezone(in, w, err); });
}

}  // namespace intake
