// Tests of campaign field definitions: JSON round trip and the checks on a definition.
#include "schema/field.h"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using namespace intake;

TEST_CASE("fields round-trip through JSON") {
  std::vector<Field> fields = default_identity_fields();
  fields.push_back({.key = "plan", .label = "Plan", .type = FieldType::enumeration, .required = true, .values = {"free", "pro"}});
  fields.push_back({.key = "born", .label = "Born", .type = FieldType::date, .format = "DD/MM/YYYY"});
  FieldsParse back = fields_from_json(fields_to_json(fields));
  CHECK(back.problems.empty());
  CHECK(back.fields == fields);
  CHECK(fields_to_json(fields)["fields"][4]["type"] == "enum");
}

TEST_CASE("structural problems are reported with their path") {
  FieldsParse p = fields_from_json_text(R"({"fields": [{"key": "a", "label": "A", "type": "colour", "shoe": 1, "required": "yes"}]})");
  REQUIRE(p.problems.size() == 3);
  CHECK(p.problems[0].path == "fields[0].shoe");
  CHECK(p.problems[1].path == "fields[0].type");
  CHECK(p.problems[1].message.find("\"colour\" is not a field type") != std::string::npos);
  CHECK(p.problems[2].path == "fields[0].required");
  CHECK(fields_from_json_text("{").problems.at(0).message == "is not valid JSON");
  CHECK(fields_from_json_text("{}").problems.at(0).path == "fields");
}

TEST_CASE("semantic checks on a definition") {
  auto problems_of = [](std::vector<Field> f) {
    std::string all;
    for (auto& p : check_fields(f)) all += p.path + ": " + p.message + "\n";
    return all;
  };
  CHECK(problems_of(default_identity_fields()).empty());
  std::vector<Field> f = default_identity_fields();
  f.push_back({.key = "email", .label = "Again", .type = FieldType::text});
  CHECK(problems_of(f).find("fields[4].key: \"email\" is used by another field") != std::string::npos);
  f = {{.key = "Bad Key", .label = "x"}};
  CHECK(problems_of(f).find("must be 1–64 characters") != std::string::npos);
  f = {{.key = "_row", .label = "x"}};
  CHECK(problems_of(f).find("reserved") != std::string::npos);
  f = {{.key = "plan", .label = "Plan", .type = FieldType::enumeration, .values = {"a", "A"}}};
  CHECK(problems_of(f).find("listed twice") != std::string::npos);
  f = {{.key = "plan", .label = "Plan", .type = FieldType::enumeration}};
  CHECK(problems_of(f).find("at least one allowed value") != std::string::npos);
  f = {{.key = "d", .label = "D", .type = FieldType::date, .format = "banana"}};
  CHECK(problems_of(f).find("not a date format") != std::string::npos);
  f = {{.key = "e", .label = "E", .type = FieldType::text, .identity = Identity::email}};
  CHECK(problems_of(f).find("must have type email") != std::string::npos);
  f = {{.key = "r", .label = "R", .required = true, .import = false}};
  CHECK(problems_of(f).find("a required field must be imported") != std::string::npos);
  CHECK(!check_fields({}).empty());
}
