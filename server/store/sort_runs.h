// Sorted runs: the participants' order by name, email, phone and external id without a B-tree
// index per column (maintaining four random-order indexes cost ~15 µs of CPU and WAL traffic
// per ingested row). Each batch writes its rows' (value, id) pairs per column as one sorted
// run, packed into front-coded blocks of a few KiB (table sort_blocks, one SQLite row per
// ~250 entries); runs of similar size are merged (size tiers: 16 runs, or the store's
// first_tier_runs for the batches' own). A sorted list merges the runs.
//
// Staleness: a participant's entry is written when the participant is created and again when
// one of the four values changes. Triggers (schema v5) record the replaced value in
// sort_stale (kept until a full merge of the column drops those entries) and the new value
// in sort_pending (moved into the batch's run by the writer). So, per campaign and column,
//   live (value, id) pairs = entries of all runs - sort_stale   (as multisets)
// which makes counting exact; walks instead check each entry against the participant's row
// (and skip an entry equal to the one before it, left by a value that changed and came back).
// Exact and range filters on indexed fields (field_indexes.cpp) use runs the same way.
// Nothing outside server/store/ includes this file.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <cstring>
#include <optional>
#include <utility>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace intake::store::detail {

// A column kept in runs. `key` names it in the sort_* tables: the identity columns by their
// name, fields as "f:<field key>". `expr` is the SQL value of a participants row (columns of
// the table, NULL when the row has none: no entry); `numeric` values are REAL and kept as
// encode_number() bytes so that byte order is numeric order.
struct RunColumn {
  std::string key;
  std::string expr;
  bool numeric = false;
};

// The field's runs when the campaign indexes it (a row of sort_columns).
std::optional<RunColumn> field_runs(Connection& c, int64_t campaign_id, std::string_view field_key);

// The identity columns' keys, in order: name, email, phone, external_id.
inline constexpr const char* kIdentityRunKeys[] = {"name", "email", "phone", "external_id"};
// The run key of a sort column; nullptr for communications, created_at and updated_at.
const char* sort_run_key(SortColumn c);
bool is_identity_run_key(std::string_view column_name);
// The run key of a field kept in the JSON `data` column.
std::string field_run_key(std::string_view field_key);

// Every column the campaign keeps in runs: the identity columns, then its indexed fields
// (table sort_columns, kept by sync_field_indexes).
std::vector<RunColumn> run_columns(Connection& c, int64_t campaign_id);

// 8 bytes whose byte order is the numeric order of `v` (-0 is 0).
std::string encode_number(double v);

struct SortEntry {
  std::string value;
  int64_t id = 0;
};
// An entry whose value lives elsewhere (a batch's rows, a decoded block).
struct EntryView {
  std::string_view value;
  int64_t id = 0;
};
bool entry_less(const EntryView& a, const EntryView& b);

// The sign of a.compare(b) (bytes unsigned, a prefix first), compared 8 bytes at a time in
// line: run values are short, and a memcmp call per comparison was most of the cost of
// sorting and merging them.
inline int compare_bytes(std::string_view a, std::string_view b) {
  static_assert(std::endian::native == std::endian::little);
  size_t n = std::min(a.size(), b.size()), i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t x, y;
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    if (x != y) return __builtin_bswap64(x) < __builtin_bswap64(y) ? -1 : 1;
  }
  for (; i < n; ++i) {
    unsigned char x = static_cast<unsigned char>(a[i]), y = static_cast<unsigned char>(b[i]);
    if (x != y) return x < y ? -1 : 1;
  }
  return a.size() < b.size() ? -1 : a.size() > b.size() ? 1 : 0;
}

// A batch's entries of one column: `sorted` when already in (value, id) order.
struct BatchRun {
  std::string key;
  std::vector<EntryView> entries;
  bool sorted = false;
};

// Writes each column's `entries` as one new run, with the values the update triggers left in
// sort_pending, and merges runs whose tier is full — or, with `merges_due`, lists the columns
// with a full tier there instead (for a RunMerger, after the commit). Rebuilds of columns with
// too many stale records are always done here. Runs in the caller's write transaction; the
// entries' values must stay valid until it returns.
// `first_tier_runs`: how many batch-sized runs make a full first tier (Store::kFirstTierRuns).
void add_sort_runs(Connection& c, int64_t campaign_id, std::vector<BatchRun>& runs, size_t first_tier_runs,
                   std::vector<std::string>* merges_due = nullptr);

// Whether one of the column's tiers holds a full set of runs (a merge is due).
bool tier_full(Connection& c, int64_t campaign_id, const std::string& key, size_t first_tier_runs);

// Tier merges outside the batches' write transactions: a thread reads the runs of a full tier
// through a reader connection (a snapshot; runs never change once written), merges and encodes
// them there, and hands the result to the next batch's write transaction (apply_ready), which
// swaps the runs for the merged one with its own commit — unless one of them changed meanwhile
// (a rebuild or a drop), when the merge is dropped. If no batch takes it within kHandOff, the
// thread swaps it in a transaction of its own. Until then the column simply has more runs,
// which walks and counts handle like any others. Pending merges are dropped on destruction
// (the next batch of the campaign, or the next start, finds them due again).
class RunMerger {
 public:
  RunMerger(Database& db, size_t first_tier_runs);
  ~RunMerger();
  RunMerger(const RunMerger&) = delete;
  RunMerger& operator=(const RunMerger&) = delete;
  // Queues the columns' merges (a column with a merge queued, running or ready is skipped).
  void schedule(int64_t campaign_id, const std::vector<std::string>& keys);
  // Applies the merges that are ready inside the caller's write transaction.
  void apply_ready(Connection& c);

  static constexpr std::chrono::milliseconds kHandOff{200};

 private:
  struct Ready;
  void loop();
  Database& db_;
  const size_t first_tier_runs_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<int64_t, std::string>> queue_;  // (campaign, column) to merge
  std::set<std::pair<int64_t, std::string>> in_flight_;  // queued, being merged or ready
  std::vector<std::unique_ptr<Ready>> ready_;
  bool stopping_ = false;
  std::thread thread_;
};

// Merges runs whose tier is full and rebuilds columns with too many stale records, for every
// column of the campaign (after deletions, which add stale records outside of batches).
void tidy_sort_runs(Connection& c, int64_t campaign_id, size_t first_tier_runs);

// Replaces every run of the column by one run built from the participants table and clears
// its stale records.
void rebuild_sort_runs(Connection& c, int64_t campaign_id, const RunColumn& col);
// Forgets the column's runs, stale and pending records.
void drop_sort_runs(Connection& c, int64_t campaign_id, const std::string& key);

// Entries of one column in (value, id) order, ascending or descending, strictly after
// `after` when given, merged over all runs. May yield stale entries: callers check each id's
// current value. An entry equal to the previous one is skipped.
class SortWalk {
 public:
  SortWalk(Connection& c, int64_t campaign_id, std::string key, bool descending,
           const std::optional<std::pair<std::string, int64_t>>& after);
  ~SortWalk();
  SortWalk(const SortWalk&) = delete;
  SortWalk& operator=(const SortWalk&) = delete;
  // The next entry; false when all runs are exhausted. `value` is valid until the next call.
  bool next(std::string_view& value, int64_t& id);

 private:
  struct Run;
  bool fill(Run& r, bool first, const std::optional<std::pair<std::string, int64_t>>& after);
  Connection& c_;
  int64_t campaign_id_;
  std::string key_;
  bool descending_;
  std::vector<std::unique_ptr<Run>> runs_;  // owned here, so a throw from the constructor frees them
  std::vector<size_t> heap_;
  std::string last_value_;
  int64_t last_id_ = 0;
  bool has_last_ = false;
};

// Live participants whose value contains `needle` (ASCII letters compared case-insensitively,
// as SQLite's LIKE): exact, from the runs minus sort_stale. With `ids`, also their ids (may
// include stale ones: callers keep the condition on the row itself).
int64_t count_containing(Connection& c, int64_t campaign_id, const std::string& key, std::string_view needle,
                         std::vector<int64_t>* ids = nullptr);

// Live participants whose value v is low <= v <= high (bytes; a missing end is open): exact.
int64_t count_in_range(Connection& c, int64_t campaign_id, const std::string& key,
                       const std::optional<std::string>& low, const std::optional<std::string>& high);
// Ids of the entries with low <= v <= high (may include stale ids, as above).
std::vector<int64_t> ids_in_range(Connection& c, int64_t campaign_id, const std::string& key,
                                  const std::optional<std::string>& low, const std::optional<std::string>& high);

}  // namespace intake::store::detail
