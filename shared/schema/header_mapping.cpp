// Header mapping (see header_mapping.h).
#include "schema/header_mapping.h"

#include <nlohmann/json.hpp>

namespace intake {

std::string normalize_header(std::string_view header) {
  std::string out;
  out.reserve(header.size());
  for (char c : header) {
    if (c == ' ' || c == '_' || c == '-' || c == '\t') continue;
    out.push_back(c >= 'A' && c <= 'Z' ? char(c + 32) : c);
  }
  return out;
}

namespace {
std::string in_quotes(std::string_view s) { return "\"" + std::string(s) + "\""; }

std::string join_labels(const std::vector<size_t>& idx, const std::vector<Field>& fields) {
  std::string out;
  for (size_t i = 0; i < idx.size(); ++i) {
    if (i) out += i + 1 == idx.size() ? " and " : ", ";
    out += in_quotes(fields[idx[i]].label) + " (" + fields[idx[i]].key + ")";
  }
  return out;
}
}  // namespace

HeaderMapping map_headers(std::span<const std::string> headers, const std::vector<Field>& fields,
                          const ExplicitMapping& mapping) {
  HeaderMapping m;
  m.headers.assign(headers.begin(), headers.end());
  m.column_field.assign(headers.size(), -1);
  m.column_explicit.assign(headers.size(), false);
  std::vector<int> field_column(fields.size(), -1);

  for (const auto& [header, key] : mapping) {
    if (key.empty()) continue;
    bool known = false;
    for (const Field& f : fields) known = known || f.key == key;
    if (!known && !m.error) {
      m.error = FileError{codes::kInvalidMapping, "the mapping sends column " + in_quotes(header) +
                                                      " to " + in_quotes(key) +
                                                      ", which is not a field of this campaign"};
    }
  }

  for (size_t c = 0; c < headers.size(); ++c) {
    for (size_t d = 0; d < c; ++d) {
      if (headers[c] == headers[d] && !m.error) {
        m.error = FileError{codes::kDuplicateHeader,
                            "the header has two columns named " + in_quotes(headers[c]) +
                                " (columns " + std::to_string(d + 1) + " and " +
                                std::to_string(c + 1) + "); rename one of them"};
      }
    }
    int field = -1;
    if (auto it = mapping.find(headers[c]); it != mapping.end()) {
      m.column_explicit[c] = true;
      for (size_t f = 0; f < fields.size(); ++f)
        if (fields[f].key == it->second) field = int(f);
      if (field < 0) continue;  // explicitly ignored (or unknown key, reported above)
    } else {
      std::string n = normalize_header(headers[c]);
      for (size_t f = 0; f < fields.size() && field < 0; ++f)
        if (!n.empty() && (n == normalize_header(fields[f].key) || n == normalize_header(fields[f].label)))
          field = int(f);
      if (field < 0) {
        m.extra_columns.push_back(headers[c]);
        continue;
      }
    }
    if (!fields[size_t(field)].import) {
      m.not_imported.push_back(headers[c]);
      continue;
    }
    int& other = field_column[size_t(field)];
    if (other >= 0) {
      if (!m.error)
        m.error = FileError{codes::kDuplicateHeader,
                            "columns " + in_quotes(headers[size_t(other)]) + " and " +
                                in_quotes(headers[c]) + " both map to the field " +
                                in_quotes(fields[size_t(field)].label) +
                                "; map one of them to another field or ignore it"};
      continue;
    }
    other = int(c);
    m.column_field[c] = field;
  }

  for (size_t f = 0; f < fields.size(); ++f) {
    if (field_column[f] >= 0 || !fields[f].import) continue;
    (fields[f].required ? m.missing_required : m.missing_optional).push_back(f);
  }
  if (!m.missing_required.empty() && !m.error) {
    bool one = m.missing_required.size() == 1;
    m.error = FileError{codes::kMissingRequiredColumns,
                        std::string(one ? "the required column " : "the required columns ") +
                            join_labels(m.missing_required, fields) + (one ? " is" : " are") +
                            " missing from the header; add " + (one ? "it" : "them") +
                            " to the file or map an existing column to " + (one ? "it" : "them")};
  }
  return m;
}

bool mapping_from_json_text(std::string_view text, ExplicitMapping& out, std::string& error) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    error = "the mapping must be a JSON object like {\"E-mail address\": \"email\", \"Unused\": null}";
    return false;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it->is_null()) out[it.key()] = "";
    else if (it->is_string()) out[it.key()] = it->get<std::string>();
    else {
      error = "the mapping of column \"" + it.key() + "\" must be a field key or null";
      return false;
    }
  }
  return true;
}

}  // namespace intake
