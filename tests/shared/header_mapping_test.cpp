// Tests of header mapping: matching by key or label regardless of case, spaces, _ and -;
// explicit overrides; extra, not-imported and missing columns.
#include "schema/header_mapping.h"

#include <doctest/doctest.h>

using namespace intake;

TEST_CASE("headers match keys or labels ignoring case, spaces, _ and -") {
  CHECK(normalize_header(" External_ID ") == "externalid");
  CHECK(normalize_header("e-mail") == "email");
  std::vector<Field> fields = default_identity_fields();
  fields.push_back({.key = "signup_date", .label = "Signup date", .type = FieldType::date, .required = true});
  fields.push_back({.key = "secret", .label = "Secret", .type = FieldType::text, .import = false});
  std::vector<std::string> headers = {"EXTERNAL ID", "e_mail", "Signup-Date", "Shoe size", "secret"};
  HeaderMapping m = map_headers(headers, fields, {});
  CHECK(!m.error);
  CHECK(m.column_field == std::vector<int>{3, 1, 4, -1, -1});
  CHECK(m.extra_columns == std::vector<std::string>{"Shoe size"});
  CHECK(m.not_imported == std::vector<std::string>{"secret"});
  CHECK(m.missing_optional == std::vector<size_t>{0, 2});
}

TEST_CASE("missing required fields are named in one error") {
  std::vector<Field> fields = default_identity_fields();
  fields[1].required = true;
  fields[3].required = true;
  std::vector<std::string> headers = {"name"};
  HeaderMapping m = map_headers(headers, fields, {});
  REQUIRE(m.error);
  CHECK(m.error->code == "missing_required_columns");
  CHECK(m.error->message.find("\"Email\" (email) and \"External ID\" (external_id) are missing") != std::string::npos);
  CHECK(m.missing_required == std::vector<size_t>{1, 3});
}

TEST_CASE("explicit mapping: overrides, ignores, and refuses unknown keys and double targets") {
  std::vector<Field> fields = default_identity_fields();
  std::vector<std::string> headers = {"Mail", "email", "Client"};
  HeaderMapping m = map_headers(headers, fields, {{"Mail", "email"}, {"email", ""}, {"Client", "external_id"}});
  CHECK(!m.error);
  CHECK(m.column_field == std::vector<int>{1, -1, 3});
  m = map_headers(headers, fields, {{"Mail", "email"}});
  REQUIRE(m.error);  // "email" auto-matches the same field
  CHECK(m.error->message.find("both map to the field \"Email\"") != std::string::npos);
  m = map_headers(headers, fields, {{"Mail", "shoe"}});
  REQUIRE(m.error);
  CHECK(m.error->code == "invalid_mapping");
}

TEST_CASE("mapping JSON") {
  ExplicitMapping m;
  std::string err;
  CHECK(mapping_from_json_text(R"({"A": "email", "B": null})", m, err));
  CHECK(m == ExplicitMapping{{"A", "email"}, {"B", ""}});
  CHECK(!mapping_from_json_text(R"({"A": 3})", m, err));
  CHECK(err.find("\"A\"") != std::string::npos);
  CHECK(!mapping_from_json_text("[", m, err));
}
