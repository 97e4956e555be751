// Re-validating a batch body on the server: the batch CSV (header "_row,<field keys>", see
// shared/batch/batch_builder.h) goes through the core's FileValidator exactly as the browser ran
// it, and comes out as rows ready for the store plus the errors of rows that failed.
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/row_error.h"
#include "schema/field.h"
#include "store/store.h"
#include "validate/file_validator.h"

namespace intake::server {

struct BatchCheck {
  store::ValidatedBatch batch;
  std::optional<FileError> file_error;  // the batch as a whole is unusable (header, row numbers)
};

// `first_row`: spreadsheet row of the first line, used when the body has no "_row" column.
BatchCheck check_batch(std::string_view body, const std::vector<Field>& fields,
                       DuplicatePolicy policy, const std::string& default_region, uint64_t first_row);

}  // namespace intake::server
