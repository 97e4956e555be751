// Campaign field definitions: names of types and identities, JSON in and out, and the checks a
// field list must pass before a campaign can use it (see field.h).
#include "schema/field.h"

#include <array>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "schema/header_mapping.h"
#include "validate/field_checks.h"

namespace intake {

namespace {
constexpr std::array<std::pair<FieldType, std::string_view>, 9> kTypes = {{
    {FieldType::text, "text"},         {FieldType::email, "email"},
    {FieldType::phone, "phone"},       {FieldType::date, "date"},
    {FieldType::datetime, "datetime"}, {FieldType::number, "number"},
    {FieldType::boolean, "boolean"},   {FieldType::enumeration, "enum"},
    {FieldType::timezone, "timezone"},
}};
constexpr std::array<std::pair<Identity, std::string_view>, 5> kIdentities = {{
    {Identity::none, ""},
    {Identity::name, "name"},
    {Identity::email, "email"},
    {Identity::phone, "phone"},
    {Identity::external_id, "external_id"},
}};
constexpr std::array<std::string_view, 9> kFieldKeys = {
    "key", "label", "type", "required", "import", "values", "format", "identity", "max_length"};
}  // namespace

std::string_view to_string(FieldType t) {
  for (auto& [v, s] : kTypes)
    if (v == t) return s;
  return "text";
}

std::optional<FieldType> field_type_from_string(std::string_view s) {
  for (auto& [v, name] : kTypes)
    if (name == s) return v;
  return std::nullopt;
}

std::string_view to_string(Identity i) {
  for (auto& [v, s] : kIdentities)
    if (v == i) return s;
  return "";
}

std::optional<Identity> identity_from_string(std::string_view s) {
  for (auto& [v, name] : kIdentities)
    if (name == s && !name.empty()) return v;
  return std::nullopt;
}

namespace {

std::string type_list() {
  std::string out;
  for (auto& [v, s] : kTypes) out += (out.empty() ? "" : ", ") + std::string(s);
  return out;
}

// Reads one field object, appending problems for what cannot be read.
Field field_from_json(const nlohmann::json& j, int index, std::vector<FieldProblem>& problems) {
  Field f;
  std::string at = "fields[" + std::to_string(index) + "]";
  auto problem = [&](const std::string& key, std::string message) {
    problems.push_back({index, key.empty() ? at : at + "." + key, std::move(message)});
  };
  if (!j.is_object()) {
    problem("", "must be an object like {\"key\": \"email\", \"label\": \"Email\", \"type\": \"email\"}");
    return f;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    bool known = false;
    for (auto k : kFieldKeys) known = known || it.key() == k;
    if (!known) problem(it.key(), "is not a field property; allowed: key, label, type, required, import, values, format, identity, max_length");
  }
  auto string_of = [&](const char* key, std::string& out, bool needed) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
      if (needed) problem(key, "is missing");
      return false;
    }
    if (!it->is_string()) {
      problem(key, "must be a string");
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  auto bool_of = [&](const char* key, bool& out) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) return;
    if (!it->is_boolean()) problem(key, "must be true or false");
    else out = it->get<bool>();
  };
  string_of("key", f.key, true);
  string_of("label", f.label, true);
  std::string type;
  if (string_of("type", type, true)) {
    if (auto t = field_type_from_string(type)) f.type = *t;
    else problem("type", "\"" + type + "\" is not a field type; use one of " + type_list());
  }
  bool_of("required", f.required);
  bool_of("import", f.import);
  if (auto it = j.find("values"); it != j.end() && !it->is_null()) {
    if (!it->is_array()) {
      problem("values", "must be a list of strings");
    } else {
      for (size_t i = 0; i < it->size(); ++i) {
        const auto& v = (*it)[i];
        if (v.is_string()) f.values.push_back(v.get<std::string>());
        else problem(("values[" + std::to_string(i) + "]").c_str(), "must be a string");
      }
    }
  }
  string_of("format", f.format, false);
  std::string identity;
  if (string_of("identity", identity, false) && !identity.empty()) {
    if (auto i = identity_from_string(identity)) f.identity = *i;
    else problem("identity", "\"" + identity + "\" is not an identity; use name, email, phone or external_id");
  }
  if (auto it = j.find("max_length"); it != j.end() && !it->is_null()) {
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0 || it->get<uint64_t>() > (1u << 20))
      problem("max_length", "must be a whole number from 1 to 1048576");
    else f.max_length = it->get<size_t>();
  }
  return f;
}

}  // namespace

FieldsParse fields_from_json(const nlohmann::json& j) {
  FieldsParse out;
  const nlohmann::json* list = &j;
  if (j.is_object()) {
    auto it = j.find("fields");
    if (it == j.end()) {
      out.problems.push_back({-1, "fields", "is missing; send {\"fields\": [...]}"});
      return out;
    }
    list = &*it;
  }
  if (!list->is_array()) {
    out.problems.push_back({-1, "fields", "must be a list of field objects"});
    return out;
  }
  int index = 0;
  for (const auto& item : *list) out.fields.push_back(field_from_json(item, index++, out.problems));
  if (out.problems.empty()) out.problems = check_fields(out.fields);
  return out;
}

FieldsParse fields_from_json_text(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    FieldsParse out;
    out.problems.push_back({-1, "", "is not valid JSON"});
    return out;
  }
  return fields_from_json(j);
}

nlohmann::json to_json(const Field& f) {
  nlohmann::json j = {{"key", f.key},           {"label", f.label},
                      {"type", to_string(f.type)}, {"required", f.required},
                      {"import", f.import}};
  if (f.type == FieldType::enumeration) j["values"] = f.values;
  if (f.type == FieldType::date && !f.format.empty()) j["format"] = f.format;
  if (f.identity != Identity::none) j["identity"] = to_string(f.identity);
  if (f.type == FieldType::text && f.max_length != Field{}.max_length) j["max_length"] = f.max_length;
  return j;
}

nlohmann::json fields_to_json(const std::vector<Field>& fields) {
  nlohmann::json list = nlohmann::json::array();
  for (const Field& f : fields) list.push_back(to_json(f));
  return {{"fields", list}};
}

std::vector<FieldProblem> check_fields(const std::vector<Field>& fields) {
  std::vector<FieldProblem> problems;
  std::set<std::string> keys;
  std::set<Identity> identities;
  if (fields.empty()) problems.push_back({-1, "fields", "must have at least one field"});
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    std::string at = "fields[" + std::to_string(i) + "]";
    auto problem = [&](const char* key, std::string message) {
      problems.push_back({int(i), at + "." + key, std::move(message)});
    };
    bool key_ok = !f.key.empty() && f.key.size() <= 64 && !(f.key[0] >= '0' && f.key[0] <= '9');
    for (char c : f.key) key_ok = key_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!key_ok)
      problem("key", "\"" + f.key + "\" must be 1–64 characters of a–z, 0–9 and _, not starting with a digit");
    else if (f.key.front() == '_')
      problem("key", "\"" + f.key + "\" must not start with _ (reserved for Intake's own columns)");
    else if (!keys.insert(f.key).second)
      problem("key", "\"" + f.key + "\" is used by another field; keys must be unique");
    if (f.label.empty() || f.label.size() > 200) problem("label", "must be 1–200 characters");
    if (f.type != FieldType::text && f.max_length != Field{}.max_length)
      problem("max_length", "only text fields have a max_length");
    if (f.type == FieldType::enumeration) {
      std::set<std::string> seen;
      if (f.values.empty()) problem("values", "an enum field needs at least one allowed value");
      for (const std::string& v : f.values) {
        std::string lower;
        for (char c : v) lower += char(c >= 'A' && c <= 'Z' ? c + 32 : c);
        if (v.empty()) problem("values", "allowed values must not be empty");
        else if (!seen.insert(lower).second)
          problem("values", "\"" + v + "\" is listed twice (values are matched case-insensitively)");
      }
    } else if (!f.values.empty()) {
      problem("values", "only enum fields have allowed values");
    }
    if (!f.format.empty()) {
      if (f.type != FieldType::date) problem("format", "only date fields have a format");
      else if (!is_known_date_format(f.format))
        problem("format", "\"" + f.format + "\" is not a date format; use e.g. YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY");
    }
    if (f.identity != Identity::none) {
      if (!identities.insert(f.identity).second)
        problem("identity", "\"" + std::string(to_string(f.identity)) + "\" is already the identity of another field");
      bool compatible = f.identity == Identity::email   ? f.type == FieldType::email
                        : f.identity == Identity::phone ? f.type == FieldType::phone
                                                        : f.type == FieldType::text;
      if (!compatible)
        problem("identity", "a field with identity \"" + std::string(to_string(f.identity)) +
                                "\" must have type " +
                                (f.identity == Identity::email   ? "email"
                                 : f.identity == Identity::phone ? "phone"
                                                                 : "text"));
    }
    if (f.required && !f.import) problem("import", "a required field must be imported");
  }
  return problems;
}

std::vector<FieldProblem> check_field_labels(const std::vector<Field>& fields) {
  std::vector<FieldProblem> problems;
  std::map<std::string, size_t> labels;  // label as headers are matched -> its field
  for (size_t i = 0; i < fields.size(); ++i) {
    const Field& f = fields[i];
    const std::string label = normalize_header(f.label);
    auto problem = [&](std::string message) {
      problems.push_back({int(i), "fields[" + std::to_string(i) + "].label", std::move(message)});
    };
    if (const auto [other, unique] = labels.emplace(label, i); !unique) {
      problem("\"" + f.label + "\" reads the same as the label of the field " + fields[other->second].key +
              " (a column headed so could mean either); labels must differ");
      continue;
    }
    for (size_t k = 0; k < fields.size(); ++k)
      if (k != i && !label.empty() && label == normalize_header(fields[k].key)) {
        problem("\"" + f.label + "\" reads the same as the key of the field " + fields[k].key +
                " (a column headed so would go to either); choose another label");
        break;
      }
  }
  return problems;
}

std::vector<Field> default_identity_fields() {
  return {
      {.key = "name", .label = "Name", .type = FieldType::text, .identity = Identity::name},
      {.key = "email", .label = "Email", .type = FieldType::email, .identity = Identity::email},
      {.key = "phone", .label = "Phone", .type = FieldType::phone, .identity = Identity::phone},
      {.key = "external_id", .label = "External ID", .type = FieldType::text, .identity = Identity::external_id},
  };
}

}  // namespace intake
