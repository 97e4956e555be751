// Helpers shared by the store's .cpp files (not part of the store's interface): row mappers
// and checks that run inside a caller's transaction.
#pragma once

#include <optional>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace intake::store::detail {

// Columns selected by kUploadColumns, in order, mapped onto an Upload.
extern const char* const kUploadColumns;
Upload upload_from_row(const Statement& s);
std::optional<Upload> read_upload(Connection& conn, int64_t id);

// Marks Processing uploads idle for more than `idle_seconds` as Failed "interrupted";
// `upload_id` limits it to one upload (0: all). Runs in the caller's write transaction.
int64_t expire_idle(Connection& conn, int64_t idle_seconds, int64_t upload_id);

std::vector<Field> parse_fields(std::string_view json_text);
std::string fields_text(const std::vector<Field>& fields);

}  // namespace intake::store::detail
