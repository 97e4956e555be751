// The IANA timezone names the core accepts: every zone and link of the tz database the build
// machine had (generated at build time by scripts/gen_timezones.mjs from tzdata.zi), each with the
// canonical zone it resolves to, and a case-insensitive lookup over them.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace intake {

struct TimezoneName {
  std::string_view key;        // name in ASCII lower case; the table is sorted by it
  std::string_view name;       // as spelled in the database, e.g. "US/Eastern"
  std::string_view canonical;  // the zone a link resolves to, e.g. "America/New_York"; a zone's own name
};

// Generated tables (static storage, never freed).
extern const TimezoneName kTimezoneNames[];
extern const size_t kTimezoneNameCount;
extern const size_t kTimezoneNameMaxLength;
extern const std::string_view kTzdataVersion;  // e.g. "2026f", from tzdata.zi's "# version" line

// All names, sorted by key.
std::span<const TimezoneName> timezone_names();
// The tz database version the table was generated from.
std::string_view tzdata_version();
// The entry whose name equals `name` ignoring ASCII case, or nullptr. No allocation (a hash
// index over the table is built once, on the first call; thread-safe).
const TimezoneName* find_timezone(std::string_view name);

}  // namespace intake
