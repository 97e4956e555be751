// Header mapping: which CSV column feeds which campaign field. Headers match a field's key or
// label ignoring case, spaces, "_" and "-"; an explicit mapping overrides; required fields
// missing from the header and duplicate headers are file-level errors; extra columns and columns
// of fields that are not imported are reported and ignored.
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/row_error.h"
#include "schema/field.h"

namespace intake {

// Explicit mapping: CSV header (exact text) → field key; an empty key means "ignore this column".
using ExplicitMapping = std::map<std::string, std::string>;

struct HeaderMapping {
  std::vector<std::string> headers;         // as in the file
  std::vector<int> column_field;            // per column: index into the fields, or -1 (ignored)
  std::vector<bool> column_explicit;        // per column: matched by the explicit mapping
  std::vector<std::string> extra_columns;   // headers that match no field (ignored)
  std::vector<std::string> not_imported;    // headers of fields whose `import` is off (ignored)
  std::vector<size_t> missing_required;     // required fields no column feeds
  std::vector<size_t> missing_optional;     // imported, optional fields no column feeds
  std::optional<FileError> error;           // set when the file cannot be validated as mapped
};

// Lower-cases ASCII and drops spaces, "_" and "-": "External ID" → "externalid".
std::string normalize_header(std::string_view header);

HeaderMapping map_headers(std::span<const std::string> headers, const std::vector<Field>& fields,
                          const ExplicitMapping& mapping);

// Reads {"csv header": "field key" | null, ...}; returns false and a message on a bad shape.
bool mapping_from_json_text(std::string_view text, ExplicitMapping& out, std::string& error);

}  // namespace intake
