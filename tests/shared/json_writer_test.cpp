// Tests of the hand-written JSON text: escapes, and row errors that nlohmann/json reads back.
#include "report/json_writer.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace intake;

TEST_CASE("strings are escaped and read back exactly") {
  std::string out;
  append_json_string(out, "a\"b\\c\nd\re\tf\x01g caf\xC3\xA9");
  CHECK(out == "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g caf\xC3\xA9\"");
  CHECK(nlohmann::json::parse(out) == "a\"b\\c\nd\re\tf\x01g caf\xC3\xA9");
}

TEST_CASE("row errors have the API's shape") {
  std::string out;
  append_row_error_json(out, RowError{17, "email", "bob@", "invalid_email", "expected \"name@example.com\""});
  auto j = nlohmann::json::parse(out);
  CHECK(j == nlohmann::json{{"row", 17}, {"field", "email"}, {"value", "bob@"}, {"code", "invalid_email"},
                            {"message", "expected \"name@example.com\""}});
}
