// Helpers shared by the store's .cpp files (not part of the store's interface): row mappers
// and checks that run inside a caller's transaction.
#pragma once

#include <optional>

#include "store/sort_runs.h"
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

// The id the next row of `table` (campaigns, uploads or communications) gets: one above any it
// ever had, deleted rows included (id_high_water, schema v7). In the caller's transaction.
int64_t next_id(Connection& conn, std::string_view table);

// The most ids one created_ranges row spans (schema v8): a walk that skips rows of a range
// never reads more than this many rows for it.
inline constexpr int64_t kCreatedRangeIds = 1024;

// True when campaign `id` exists; runs in the caller's transaction.
bool campaign_exists(Connection& conn, int64_t id);

std::vector<Field> parse_fields(std::string_view json_text);
std::string fields_text(const std::vector<Field>& fields);

// Per-campaign field indexes: sorted runs of filterable fields kept in `data`
// (field_indexes.cpp). `field_filter_expr` is the expression the runs and the list query use
// for a field's value; sync makes a campaign's runs and triggers match its fields.
std::string field_filter_expr(std::string_view key, bool numeric);
void sync_field_indexes(Connection& c, int64_t campaign_id, const std::vector<Field>& fields);
void drop_field_indexes(Connection& c, int64_t campaign_id);
void sync_all_field_indexes(Connection& c);

}  // namespace intake::store::detail
