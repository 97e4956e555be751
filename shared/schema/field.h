// Campaign fields (the Data tab): key, label, type, required, import, enum values, date format,
// identity — and the ordered list of them a campaign owns. JSON in and out follow API.md, and
// `check_fields` reports what is wrong with a definition before anything uses it.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace intake {

enum class FieldType { text, email, phone, date, datetime, number, boolean, enumeration, timezone };
enum class Identity { none, name, email, phone, external_id };

struct Field {
  std::string key;
  std::string label;
  FieldType type = FieldType::text;
  bool required = false;
  bool import = true;
  std::vector<std::string> values;  // enum only: allowed values in their declared spelling
  std::string format;               // date only: e.g. "DD/MM/YYYY"; empty means ISO YYYY-MM-DD
  Identity identity = Identity::none;
  size_t max_length = 1000;         // text only: longest value accepted, in bytes of UTF-8

  friend bool operator==(const Field&, const Field&) = default;
};

// One problem in a field list: `index` of the field (or -1 for the list), `key` path like
// "fields[2].values", and a message saying how to fix it.
struct FieldProblem {
  int index = -1;
  std::string path;
  std::string message;
};

std::string_view to_string(FieldType t);
std::optional<FieldType> field_type_from_string(std::string_view s);
std::string_view to_string(Identity i);
std::optional<Identity> identity_from_string(std::string_view s);

// Parses a field list from JSON: either {"fields": [...]} or a bare array. Structural problems
// (wrong types, unknown type names, unknown keys) and semantic ones (see check_fields) are all
// returned; the list is usable only when `problems` is empty.
struct FieldsParse {
  std::vector<Field> fields;
  std::vector<FieldProblem> problems;
};
FieldsParse fields_from_json(const nlohmann::json& j);
FieldsParse fields_from_json_text(std::string_view text);

nlohmann::json to_json(const Field& f);
nlohmann::json fields_to_json(const std::vector<Field>& fields);  // {"fields": [...]}

// Semantic checks on a definition: keys are non-empty [a-z0-9_], unique, not reserved ("_row");
// labels non-empty; enum has ≥1 distinct value; format only for dates and of a known shape;
// each identity used at most once and on a compatible type; a required field is imported.
std::vector<FieldProblem> check_fields(const std::vector<Field>& fields);
// Labels a header could not tell apart: two labels that read the same as headers are matched
// (normalize_header), or a label that reads as another field's key. Checked when a field list
// is changed (not when a stored one is read: lists stored before this check stay usable).
std::vector<FieldProblem> check_field_labels(const std::vector<Field>& fields);

// The four identity fields every new campaign starts with.
std::vector<Field> default_identity_fields();

}  // namespace intake
