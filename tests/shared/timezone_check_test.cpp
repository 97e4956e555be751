// check_timezone and the generated table against the build machine's IANA tz database: every
// zone and link in tzdata.zi is accepted in any case and resolves to a zone.
#include <doctest/doctest.h>

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/row_error.h"
#include "timezone/timezone_table.h"
#include "validate/field_checks.h"

using namespace intake;

namespace {

std::string tz(std::string_view in) {
  std::string out = "x";
  CellError err;
  if (check_timezone(in, out, err)) return out.substr(1);
  CHECK(out == "x");
  CHECK(!err.message.empty());
  return std::string("ERR:") + err.code;
}

struct TzData {
  std::string version;
  std::set<std::string> zones;
  std::map<std::string, std::string> links;  // name -> target
};

// Reads tzdata.zi with stdio (NODERAWFS makes the real file visible in the wasm build too).
TzData read_tzdata() {
  TzData d;
  FILE* f = std::fopen("/usr/share/zoneinfo/tzdata.zi", "r");
  REQUIRE(f != nullptr);
  char line[1024];
  while (std::fgets(line, sizeof line, f)) {
    char a[256], b[256];
    if (d.version.empty() && std::sscanf(line, "# version %255s", a) == 1) d.version = a;
    else if (std::sscanf(line, "Z %255s", a) == 1) d.zones.insert(a);
    else if (std::sscanf(line, "L %255s %255s", a, b) == 2) d.links[b] = a;
  }
  std::fclose(f);
  return d;
}

std::string flip_case(std::string s) {
  for (char& c : s) {
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 32);
    else if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  }
  return s;
}

}  // namespace

TEST_CASE("check_timezone: examples") {
  CHECK(tz("America/New_York") == "America/New_York");
  CHECK(tz("america/new_york") == "America/New_York");
  CHECK(tz("AMERICA/NEW_YORK") == "America/New_York");
  CHECK(tz("US/Eastern") == "America/New_York");
  CHECK(tz("us/eastern") == "America/New_York");
  CHECK(tz("Europe/Paris") == "Europe/Paris");
  CHECK(tz("Asia/Calcutta") == "Asia/Kolkata");
  CHECK(tz("UTC") == "Etc/UTC");
  CHECK(tz("utc") == "Etc/UTC");
  CHECK(tz("Etc/UTC") == "Etc/UTC");
  CHECK(tz("Etc/GMT+5") == "Etc/GMT+5");
  CHECK(tz("etc/gmt-14") == "Etc/GMT-14");
  for (const char* bad : {"", "EST5EDT ", "America/New York", "America/New_Yorkk", "America", "America/",
                          "/America/New_York", "Mars/Olympus", "GMT+5", "UTC+1", "+02:00", "Z",
                          "a_very_long_name_that_is_longer_than_any_zone_in_the_db"})
    CHECK_MESSAGE(tz(bad) == "ERR:invalid_timezone", bad);
  CHECK(tz(std::string_view("America/New_York\0", 17)) == "ERR:invalid_timezone");
}

TEST_CASE("timezone table: matches /usr/share/zoneinfo/tzdata.zi") {
  const TzData d = read_tzdata();
  REQUIRE(d.zones.size() > 300);
  CHECK(tzdata_version() == d.version);
  std::set<std::string> names(d.zones);
  for (const auto& [name, target] : d.links) names.insert(name);
  CHECK(timezone_names().size() == names.size());

  for (const std::string& z : d.zones) {
    CAPTURE(z);
    CHECK(tz(z) == z);
    CHECK(tz(flip_case(z)) == z);
  }
  for (const auto& link : d.links) {
    const std::string& name = link.first;  // not a structured binding: clang 14 cannot capture those
    CAPTURE(name);
    std::string canonical = link.second;
    for (int hops = 0; !d.zones.count(canonical) && hops < 10; ++hops) canonical = d.links.at(canonical);
    REQUIRE(d.zones.count(canonical) == 1);
    CHECK(tz(name) == canonical);
    CHECK(tz(flip_case(name)) == canonical);
  }
  // The table is sorted by its lower-cased key, and each canonical name is itself a zone.
  const auto all = timezone_names();
  for (size_t i = 1; i < all.size(); ++i) CHECK(all[i - 1].key < all[i].key);
  for (const TimezoneName& e : all) CHECK(d.zones.count(std::string(e.canonical)) == 1);
}

TEST_CASE("find_timezone: repeated and interleaved lookups give the table's answer every time") {
  // find_timezone remembers recent names as spelled; whatever it remembers, each answer must be
  // the one a plain case-insensitive search of the table gives. Every name, in three spellings,
  // looked up in rounds that interleave them differently, plus names that are not zones.
  auto lower = [](std::string s) {
    for (char& c : s) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
    return s;
  };
  std::map<std::string, const TimezoneName*> by_key;
  for (const TimezoneName& t : timezone_names()) by_key[std::string(t.key)] = &t;
  std::vector<std::string> names;
  for (const TimezoneName& t : timezone_names()) {
    names.emplace_back(t.name);
    names.push_back(lower(std::string(t.name)));
    std::string upper(t.name);
    for (char& c : upper) c = static_cast<char>(c >= 'a' && c <= 'z' ? c - 32 : c);
    names.push_back(upper);
    names.push_back(std::string(t.name) + "x");
    names.push_back(std::string(t.name).substr(0, t.name.size() - 1));
  }
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < names.size(); ++i) {
      const std::string& n = names[(i * (2 * round + 1) + round) % names.size()];
      CAPTURE(n);
      auto it = by_key.find(lower(n));
      REQUIRE(find_timezone(n) == (it == by_key.end() ? nullptr : it->second));
    }
  }
}
