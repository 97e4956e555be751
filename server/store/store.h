// The store: every read and write the server makes, over one SQLite file. All SQL lives under
// server/store/; values travel only as bound parameters. Writes run in one transaction on the
// single writer connection and return only after COMMIT; reads use pooled reader connections
// (WAL lets them run beside the writer). Expected refusals (unknown id, state conflicts) come
// back as values (Result); only SQLite failures throw (SqliteError), for the route's 500 handler.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/row_error.h"
#include "schema/field.h"
#include "validate/file_validator.h"

namespace intake::store {

class Database;
namespace detail {
class RunMerger;
}

// Current time: seconds since the epoch, and as "2026-11-22T09:30:00Z".
int64_t now_seconds();
std::string iso_time(int64_t epoch_seconds);

enum class Outcome { ok, not_found, conflict, invalid };

// An outcome with a value when ok, otherwise an error code and a message for a person.
template <class T>
struct Result {
  Outcome outcome = Outcome::ok;
  T value{};
  std::string code;
  std::string message;
  explicit operator bool() const { return outcome == Outcome::ok; }
  static Result fail(Outcome o, std::string code, std::string message) {
    Result r;
    r.outcome = o;
    r.code = std::move(code);
    r.message = std::move(message);
    return r;
  }
};
struct Empty {};

// A page of an id-ordered list: `next_after` is the id to continue after, when more may follow.
template <class T>
struct Page {
  std::vector<T> items;
  int64_t total = 0;
  std::optional<int64_t> next_after;
};

struct TokenInfo {
  int64_t id = 0;
  std::string name;
  std::string created_at;
};

struct Campaign {
  int64_t id = 0;
  std::string name;
  std::string created_at;
};

struct Upload {
  int64_t id = 0;
  int64_t campaign_id = 0;
  std::string filename;
  int64_t size_bytes = 0;
  std::string fingerprint;
  std::string duplicate_policy;
  std::string default_region;
  std::string mapping_json;
  std::string status;  // "Processing", "Completed", "Failed"
  std::string status_message;
  std::string created_at;
  std::optional<std::string> finished_at;
  int64_t total_rows = 0, created = 0, updated = 0, skipped = 0, failed = 0, error_count = 0;
  std::vector<int64_t> acked_batches;  // filled by get_upload only
};

struct NewUpload {
  std::string filename;
  int64_t size_bytes = 0;
  std::string fingerprint;
  DuplicatePolicy duplicate_policy = DuplicatePolicy::update;
  std::string default_region = "US";
  std::string mapping_json = "{}";
};

struct Summary {
  std::optional<Upload> last_upload;
  int64_t total_participants_processed = 0;
  int64_t participants = 0;
};

// What a batch PUT needs to know before validating: either the stored answer of a replay, or
// the campaign's fields and the upload's options.
struct BatchAnswer {
  int64_t seq = 0, created = 0, updated = 0, skipped = 0, failed = 0;
};
struct BatchPlan {
  std::optional<BatchAnswer> replay;
  std::vector<Field> fields;
  DuplicatePolicy duplicate_policy = DuplicatePolicy::update;
  std::string default_region;
  int64_t max_acked_seq = -1;  // the highest acknowledged seq of the upload (-1: none yet)
  // The campaign's sort-run columns with text values, for Store::order_batch_runs.
  std::vector<std::string> run_keys;
};

// The text of a batch's rows, copied into blocks that never move (one allocation per 64 KiB
// instead of several per row): the views of StagedRow point here, valid while it lives,
// moves included.
class BatchText {
 public:
  std::string_view copy(std::string_view s) {
    if (s.empty()) return std::string_view("", 0);  // never a null pointer
    if (s.size() > left_) {
      size_t size = s.size() > kBlock ? s.size() : kBlock;
      blocks_.push_back(std::make_unique<char[]>(size));
      at_ = blocks_.back().get();
      left_ = size;
    }
    char* p = at_;
    std::memcpy(p, s.data(), s.size());
    at_ += s.size();
    left_ -= s.size();
    return {p, s.size()};
  }

 private:
  static constexpr size_t kBlock = 64 * 1024;
  std::vector<std::unique_ptr<char[]>> blocks_;
  char* at_ = nullptr;
  size_t left_ = 0;
};

// One clean row of a batch, ready to store: identity (the core's, with its kind shortened to
// one letter: "x:P1" for external_id:P1, "e:a@b.c" for email:a@b.c, "p:+1…" for phone:+1…, or
// "" for none; schema v11), the four identity columns and the other imported values as a JSON
// object text. The views point into the batch's `text` (or strings the caller keeps alive).
struct StagedRow {
  int64_t row = 0;
  std::string_view identity;
  std::string_view identity_field;  // key of the field the identity came from ("external_id", ...)
  std::string_view name, email, phone, external_id;
  std::string_view data_json;
  // The values in data_json as (field key, value), in the same order: the batch's
  // values[values_at, values_at + values_count) (sort runs of indexed fields take a created
  // row's values from there instead of re-reading its JSON).
  uint32_t values_at = 0, values_count = 0;
};
struct ValidatedBatch {
  int64_t first_row = 0;
  std::vector<StagedRow> rows;
  std::vector<std::pair<std::string_view, std::string_view>> values;  // see StagedRow::values_at
  BatchText text;  // the rows' strings
  std::vector<RowError> errors;  // of failed rows, as the core reported them
  int64_t failed_rows = 0;
  // The smallest and largest spreadsheet row the batch carried (clean or failed); 0 when empty.
  int64_t min_row = 0, max_row = 0;
  // Per sort-run column: the rows with a value in that column as (value, row index), ordered
  // by value then index — made by Store::order_batch_runs before the write, so the writer does
  // not sort. The values point into `rows`. A column missing here is sorted by apply_batch.
  struct RunOrder {
    std::string key;
    std::vector<std::pair<std::string_view, uint32_t>> rows;
  };
  std::vector<RunOrder> run_orders;
};

// Participants list query, already checked against the campaign's fields by the caller.
enum class SortColumn { name, email, phone, external_id, communications, created_at, updated_at };
enum class FilterOp { equals, contains, range };
struct Filter {
  std::string key;     // a column (identity fields, created_at, ...) or a field key inside data
  bool column = false; // true: `key` is a participants column
  bool numeric = false;
  FilterOp op = FilterOp::equals;
  std::string value;   // equals / contains
  std::optional<std::string> low, high;  // range ends, each optional
  bool nocase = false;  // equals compares ASCII case-insensitively (emails)
};
struct ListCursor {
  std::variant<int64_t, std::string> value;
  int64_t id = 0;
};
struct ParticipantQuery {
  SortColumn sort = SortColumn::created_at;
  bool descending = false;
  std::vector<Filter> filters;
  std::optional<int64_t> upload_id;
  int limit = 50;
  std::optional<ListCursor> after;
};
struct ParticipantRow {
  int64_t id = 0;
  std::string name, email, phone, external_id;
  int64_t communications = 0;
  std::string created_at, updated_at;
};
struct ParticipantPage {
  std::vector<ParticipantRow> items;
  int64_t total = 0;
  std::optional<ListCursor> next;
};
struct ParticipantDetail {
  ParticipantRow row;
  int64_t campaign_id = 0;
  std::vector<Field> fields;  // the campaign's, in Data-tab order
  std::string data_json;      // values of the non-identity fields
  std::optional<std::string> result, result_at;
  bool has_communication = false;
  std::vector<int64_t> upload_ids;
};

struct Communication {
  int64_t id = 0;
  int64_t participant_id = 0;
  std::string name, status, status_message, channel, agent_id;
  std::optional<std::string> scheduled_at;
  std::string created_at, updated_at;
  std::optional<std::string> session_id, result, result_at;
};
struct NewCommunication {
  std::string name, status = "Planned", status_message, channel, agent_id;
  std::optional<std::string> scheduled_at, session_id;
};
// Each member set means "change it"; an inner nullopt clears an optional column.
struct CommunicationPatch {
  std::optional<std::string> status, status_message;
  std::optional<std::optional<std::string>> result, result_at, session_id;
};
struct Event {
  int64_t id = 0;
  std::string type;
  int64_t communication_id = 0, participant_id = 0, campaign_id = 0;
  std::string status, at;
};

struct ErrorCursor {
  int64_t row = 0;
  std::string field, code;
};

class Store {
 public:
  // Opens or creates the database file and migrates it to the current schema version.
  explicit Store(const std::string& path, size_t first_tier_runs = kFirstTierRuns);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  static int schema_version();
  // How many runs of the first tier of a column's sort runs (each batch's own run, under 65,536
  // entries) are merged into one; the tiers above merge 16 (store/sort_runs.h). Merging 16 batch
  // runs rewrote every ingested entry once more (~10% of the WAL an ingest writes, and the
  // writer's time to swap the merged runs in); with 128, a file of up to 1.28M rows in
  // 10,000-row batches is never merged, and a list reads up to ~128 blocks at a time instead
  // of ~16. Answers do not depend on it, only how many runs a column keeps (the tests use 16 to
  // merge after a few batches). Values below 2 count as 2.
  static constexpr size_t kFirstTierRuns = 128;

  // Tokens: `hash` is the hex SHA-256 of the secret; secrets are never stored.
  bool has_tokens();
  TokenInfo create_token(const std::string& name, const std::string& hash);
  Page<TokenInfo> list_tokens(int limit, std::optional<int64_t> after);
  bool delete_token(int64_t id);
  // The stored hash equal to `hash` (compared in constant time), if any.
  std::optional<int64_t> find_token(const std::string& hash);

  // Campaigns and their ordered fields.
  Campaign create_campaign(const std::string& name, const std::vector<Field>& fields);
  Page<Campaign> list_campaigns(int limit, std::optional<int64_t> after);
  std::optional<Campaign> get_campaign(int64_t id);
  std::optional<Campaign> rename_campaign(int64_t id, const std::string& name);
  bool delete_campaign(int64_t id);
  std::optional<std::vector<Field>> get_fields(int64_t campaign_id);
  Result<Empty> replace_fields(int64_t campaign_id, const std::vector<Field>& fields);
  std::optional<Summary> summary(int64_t campaign_id);

  // Uploads. `idle_seconds`: a Processing upload with no activity for longer becomes Failed
  // "interrupted" (checked by expire_idle_uploads and before every upload read or write).
  void set_idle_timeout(int64_t idle_seconds) { idle_seconds_ = idle_seconds; }
  int64_t expire_idle_uploads();
  Result<Upload> create_upload(int64_t campaign_id, const NewUpload& upload);
  std::optional<Page<Upload>> list_uploads(int64_t campaign_id, int limit, std::optional<int64_t> after);
  std::optional<Upload> get_upload(int64_t id);
  Result<BatchPlan> plan_batch(int64_t upload_id, int64_t seq, const std::string& hash);
  // Whether batch `seq` of the upload may be applied now: true when seq is 0, when batch seq-1
  // is acknowledged, or when the upload is gone or no longer Processing (apply_batch then gives
  // the right refusal). Batches are applied strictly in seq order (server/batch_order.h).
  bool batch_may_apply(int64_t upload_id, int64_t seq);
  // Orders the batch's rows for each of `run_keys` (BatchPlan::run_keys) into
  // batch.run_orders. Needs no database: call it before apply_batch, outside the write lock.
  static void order_batch_runs(ValidatedBatch& batch, const std::vector<std::string>& run_keys);
  // Applies a validated batch in one transaction (see upload_store.cpp for the rules); a replay
  // with the same hash returns the stored answer, a different hash is a conflict.
  Result<BatchAnswer> apply_batch(int64_t upload_id, int64_t seq, const std::string& hash,
                                  const ValidatedBatch& batch);
  Result<Upload> add_errors(int64_t upload_id, const std::vector<RowError>& errors);
  Result<Upload> complete_upload(int64_t upload_id, int64_t declared_total_rows);
  Result<Upload> cancel_upload(int64_t upload_id);
  // Up to `limit` errors of an upload ordered by (row, field, code), after `after`.
  std::vector<RowError> error_page(int64_t upload_id, const std::optional<ErrorCursor>& after, int limit);

  // Participants.
  ParticipantPage list_participants(int64_t campaign_id, const ParticipantQuery& query);
  std::optional<ParticipantDetail> get_participant(int64_t id);
  bool delete_participant(int64_t id);

  // Communications, their events, sessions.
  Result<Communication> create_communication(int64_t participant_id, const NewCommunication& c);
  std::optional<Page<Communication>> list_communications(int64_t participant_id, int limit,
                                                         std::optional<int64_t> after);
  Result<Communication> update_communication(int64_t id, const CommunicationPatch& patch);
  Page<Event> events(int64_t after, int limit);
  void put_session(const std::string& id, const std::string& messages_json);
  std::optional<std::string> get_session(const std::string& id);  // messages JSON text

 private:
  std::unique_ptr<Database> db_;
  std::unique_ptr<detail::RunMerger> merger_;  // destroyed (stopped) before db_
  int64_t idle_seconds_ = 30 * 60;
  size_t first_tier_runs_;
};

}  // namespace intake::store
