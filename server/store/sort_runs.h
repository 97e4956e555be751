// Sorted runs: the participants' order by name, email, phone and external id without a B-tree
// index per column (maintaining four random-order indexes cost ~15 µs of CPU and WAL traffic
// per ingested row). Each batch writes its rows' (value, id) pairs per column as one sorted
// run, packed into blocks of a few KiB (table sort_blocks, one SQLite row per ~100 entries);
// runs of similar size are merged (size tiers of kRunFanIn). A sorted list merges the runs.
//
// Staleness: a participant's entry is written when the participant is created and again when
// one of the four values changes. Triggers (schema v5) record the replaced value in
// sort_stale (kept until a full merge of the column drops those entries) and the new value
// in sort_pending (moved into the batch's run by the writer). So, per campaign and column,
//   live (value, id) pairs = entries of all runs - sort_stale   (as multisets)
// which makes counting exact; walks instead check each entry against the participant's row
// (and skip an entry equal to the one before it, left by a value that changed and came back).
// Nothing outside server/store/ includes this file.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace intake::store::detail {

// Columns kept in runs: 0 name, 1 email, 2 phone, 3 external_id; -1 for any other sort.
int sort_run_column(SortColumn c);
int sort_run_column(std::string_view column_name);
const char* sort_run_column_name(int col);
inline constexpr int kSortRunColumns = 4;

struct SortEntry {
  std::string value;
  int64_t id = 0;
};

// Writes `entries` (any order, any column mix) as one new run per column, moves the values the
// update trigger left in sort_pending into the same runs, and merges runs whose tier is full.
// Runs in the caller's write transaction.
void add_sort_runs(Connection& c, int64_t campaign_id, std::vector<SortEntry> (&entries)[kSortRunColumns]);

// Replaces every run of the campaign's columns by one run built from the participants table
// (and clears their stale records). Used by the migration to schema v5.
void rebuild_sort_runs(Connection& c, int64_t campaign_id);

// Entries of one column in (value, id) order, ascending or descending, strictly after
// `after` when given, merged over all runs. May yield stale entries: callers check each id's
// current value. An entry equal to the previous one is skipped.
class SortWalk {
 public:
  SortWalk(Connection& c, int64_t campaign_id, int col, bool descending,
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
  int col_;
  bool descending_;
  std::vector<Run*> runs_;
  std::vector<size_t> heap_;
  std::string last_value_;
  int64_t last_id_ = 0;
  bool has_last_ = false;
};

// Live participants of the campaign whose column `col` contains `needle` (ASCII letters
// compared case-insensitively, as SQLite's LIKE): exact, from the runs minus sort_stale.
int64_t count_containing(Connection& c, int64_t campaign_id, int col, std::string_view needle);

// Ids of participants whose entry in column `col` equals `value` exactly (may include stale
// ids: callers keep the condition on the row itself).
std::vector<int64_t> ids_with_value(Connection& c, int64_t campaign_id, int col, std::string_view value);

}  // namespace intake::store::detail
