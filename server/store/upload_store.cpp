// Uploads: creation (one Processing upload per campaign), idle expiry, batches applied in one
// transaction each, browser-reported errors, completion and cancelation, the error report.
//
// Applying a batch: rows are looked up by identity (external id, else email, else phone) among
// the campaign's participants and earlier rows of the same batch. Under `update` a known
// identity updates (non-empty values win, empty cells keep what is stored), under `skip` it is
// counted skipped, under `reject` it becomes a duplicate_identity error. Rows are written in
// file order (so a later row wins): under update by multi-row upserts of 200 rows, under skip
// and reject by one INSERT ... ON CONFLICT DO NOTHING per row.
#include <algorithm>
#include <cstring>
#include <optional>
#include <unordered_map>

#include "store/sort_runs.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/store_internal.h"
#include "upload/upload_status.h"

namespace intake::store {

namespace detail {

const char* const kUploadColumns =
    "id, campaign_id, filename, size_bytes, fingerprint, duplicate_policy, default_region, "
    "mapping, status, status_message, created_at, finished_at, total_rows, created, updated, "
    "skipped, failed, error_count";

Upload upload_from_row(const Statement& s) {
  Upload u;
  u.id = s.int64(0);
  u.campaign_id = s.int64(1);
  u.filename = s.text(2);
  u.size_bytes = s.int64(3);
  u.fingerprint = s.text(4);
  u.duplicate_policy = s.text(5);
  u.default_region = s.text(6);
  u.mapping_json = s.text(7);
  u.status = s.text(8);
  u.status_message = s.text(9);
  u.created_at = s.text(10);
  if (!s.is_null(11)) u.finished_at = s.text(11);
  u.total_rows = s.int64(12);
  u.created = s.int64(13);
  u.updated = s.int64(14);
  u.skipped = s.int64(15);
  u.failed = s.int64(16);
  u.error_count = s.int64(17);
  return u;
}

std::optional<Upload> read_upload(Connection& conn, int64_t id) {
  auto s = conn.prepare(std::string("SELECT ") + kUploadColumns + " FROM uploads WHERE id = ?1");
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  return upload_from_row(s);
}

// The upload with its acknowledged batch numbers (every answer that returns an upload lists them).
std::optional<Upload> read_upload_with_batches(Connection& conn, int64_t id) {
  auto u = read_upload(conn, id);
  if (!u) return u;
  auto s = conn.prepare("SELECT seq FROM batches WHERE upload_id = ?1 ORDER BY seq");
  s.bind(1, id);
  while (s.step()) u->acked_batches.push_back(s.int64(0));
  return u;
}

int64_t expire_idle(Connection& conn, int64_t idle_seconds, int64_t upload_id) {
  int64_t now = now_seconds();
  conn.prepare(
          "UPDATE uploads SET status = 'Failed', status_message = 'interrupted', finished_at = ?1 "
          "WHERE status = 'Processing' AND last_activity < ?2 AND (?3 = 0 OR id = ?3)")
      .bind(1, iso_time(now)).bind(2, now - idle_seconds).bind(3, upload_id).run();
  return conn.changes();
}

}  // namespace detail

namespace {

Result<BatchAnswer> stored_answer(Connection& c, int64_t upload_id, int64_t seq,
                                  const std::string& hash, bool& found) {
  auto s = c.prepare(
      "SELECT hash, created, updated, skipped, failed FROM batches WHERE upload_id = ?1 AND seq = ?2");
  s.bind(1, upload_id).bind(2, seq);
  found = s.step();
  if (!found) return {};
  if (s.text_view(0) != hash) {
    return Result<BatchAnswer>::fail(
        Outcome::conflict, "batch_conflict",
        "Batch " + std::to_string(seq) + " of upload " + std::to_string(upload_id) +
            " was already stored with different content; resend the original batch or start a new upload.");
  }
  Result<BatchAnswer> r;
  r.value = {seq, s.int64(1), s.int64(2), s.int64(3), s.int64(4)};
  return r;
}

// The duplicate_identity error of a row under the reject policy: the stored participant
// (`existing_id`) or the earlier row of this batch it duplicates.
RowError duplicate_error(const StagedRow& r, int64_t existing_id, int64_t earlier_row) {
  auto colon = r.identity.find(':');
  std::string value(r.identity.substr(colon == std::string_view::npos ? 0 : colon + 1));
  std::string field(r.identity_field.empty() ? r.identity.substr(0, colon) : r.identity_field);
  std::string msg = "Another participant has " + field + " " + value + " (";
  msg += earlier_row ? "row " + std::to_string(earlier_row) + " of this file"
                     : "participant " + std::to_string(existing_id) + ", already stored";
  msg += "); the upload's duplicate policy is reject, so this row was not imported.";
  return {uint64_t(r.row), field, value, codes::kDuplicateIdentity, msg};
}

// Where a staged row keeps its value of a text run column (an identity column, or
// "f:<field key>" for a field in data), resolved once per column.
class RunValueOf {
 public:
  explicit RunValueOf(std::string_view key) {
    if (key == "name") member_ = &StagedRow::name;
    else if (key == "email") member_ = &StagedRow::email;
    else if (key == "phone") member_ = &StagedRow::phone;
    else if (key == "external_id") member_ = &StagedRow::external_id;
    else if (key.substr(0, 2) == "f:") field_ = key.substr(2);
  }
  // The row's value; nullopt when it has none (no entry).
  std::optional<std::string_view> operator()(const ValidatedBatch& batch, const StagedRow& r) {
    if (member_) return r.*member_;
    if (field_.empty()) return std::nullopt;
    // Rows of a batch list their fields in the same order (minus empty cells): try the place
    // this field had in the previous row first.
    const auto* values = batch.values.data() + r.values_at;
    const size_t n = r.values_count;
    if (hint_ < n && values[hint_].first == field_) return values[hint_].second;
    for (size_t i = 0; i < n; ++i) {
      if (values[i].first == field_) {
        hint_ = i;
        return values[i].second;
      }
    }
    return std::nullopt;
  }

 private:
  std::string_view StagedRow::*member_ = nullptr;
  std::string_view field_;
  size_t hint_ = 0;
};

// Orders (value, row) pairs by value, then row, comparing values 8 bytes at a time as
// integers: a level sorts the pairs by their next 8 bytes (a stable LSD radix sort, or
// std::sort on small ranges), then each group of equal bytes that still holds longer values
// is ordered by the 8 bytes after those; values that end within a group's bytes (equal up to
// zero padding) come first, by length. No byte-string comparisons.
class ValueSorter {
 public:
  using Keyed = std::pair<std::string_view, uint32_t>;  // (value, row)

  // Sorts [first, first + n), given in row order, whose values share their first `off` bytes.
  void sort(Keyed* first, size_t n, size_t off) {
    if (n < 2) return;
    heads_.resize(n);
    for (size_t k = 0; k < n; ++k) heads_[k] = {head_at(first[k].first, off), uint32_t(k)};
    if (n >= kRadixMin) {
      radix_sort(n);
    } else {
      std::sort(heads_.begin(), heads_.end(),
                [](const Head& a, const Head& b) { return a.head != b.head ? a.head < b.head : a.k < b.k; });
    }
    keyed_.resize(n);
    for (size_t i = 0; i < n; ++i) keyed_[i] = first[heads_[i].k];
    std::copy(keyed_.begin(), keyed_.begin() + std::ptrdiff_t(n), first);
    // Groups of equal heads: the scratch vectors are free again (the walk re-reads the heads).
    const size_t end = off + 8;
    for (size_t i = 0; i < n;) {
      const uint64_t h = head_at(first[i].first, off);
      size_t j = i + 1, longer = first[i].first.size() > end;
      for (; j < n && head_at(first[j].first, off) == h; ++j) longer += first[j].first.size() > end;
      if (j - i > 1) {
        Keyed* g = first + i;
        size_t m = j - i, done = m - longer;  // values that end within these bytes
        if (longer > 0 && done > 0) {  // stable partition: ended values first
          keyed_.clear();
          size_t w = 0;
          for (size_t k = 0; k < m; ++k) {
            if (g[k].first.size() <= end) g[w++] = g[k];
            else keyed_.push_back(g[k]);
          }
          std::copy(keyed_.begin(), keyed_.end(), g + w);
        }
        by_length(g, done);
        if (longer > 0) sort(g + done, longer, end);
      }
      i = j;
    }
  }

 private:
  struct Head {
    uint64_t head;
    uint32_t k;  // place in the level's input (row order)
  };
  static constexpr size_t kRadixMin = 256;

  // Bytes [off, off + 8) of v as a big-endian number, zero-padded past its end.
  static uint64_t head_at(std::string_view v, size_t off) {
    uint64_t h = 0;
    if (v.size() >= off + 8) {
      std::memcpy(&h, v.data() + off, 8);
    } else if (v.size() > off) {
      unsigned char b[8] = {};
      std::memcpy(b, v.data() + off, v.size() - off);
      std::memcpy(&h, b, 8);
    }
    return __builtin_bswap64(h);  // little-endian (see compare_bytes)
  }

  // Values equal up to zero padding: the shorter first, rows in order (stable).
  static void by_length(Keyed* g, size_t m) {
    auto shorter = [](const Keyed& a, const Keyed& b) { return a.first.size() < b.first.size(); };
    if (!std::is_sorted(g, g + m, shorter)) std::stable_sort(g, g + m, shorter);
  }

  // Stable LSD radix sort of heads_[0, n) by head, a byte at a time; a byte that is the same
  // in every head takes no pass.
  void radix_sort(size_t n) {
    uint32_t counts[8][256] = {};
    for (size_t i = 0; i < n; ++i) {
      uint64_t h = heads_[i].head;
      for (int b = 0; b < 8; ++b) ++counts[b][(h >> (8 * b)) & 0xff];
    }
    tmp_.resize(n);
    Head* src = heads_.data();
    Head* dst = tmp_.data();
    for (int b = 0; b < 8; ++b) {
      uint32_t* c = counts[b];
      if (c[(src[0].head >> (8 * b)) & 0xff] == n) continue;
      uint32_t sum = 0;
      for (int d = 0; d < 256; ++d) {
        uint32_t x = c[d];
        c[d] = sum;
        sum += x;
      }
      for (size_t i = 0; i < n; ++i) dst[c[(src[i].head >> (8 * b)) & 0xff]++] = src[i];
      std::swap(src, dst);
    }
    if (src != heads_.data()) std::copy(src, src + n, heads_.data());
  }

  std::vector<Head> heads_, tmp_;
  std::vector<Keyed> keyed_;
};

template <class T>
Result<T> not_processing(const Upload& u) {
  std::string state = u.status;
  if (!u.status_message.empty()) state += " (" + u.status_message + ")";
  return Result<T>::fail(Outcome::conflict, "upload_not_processing",
                         "Upload " + std::to_string(u.id) + " is " + state +
                             " and takes no more changes; start a new upload.");
}

template <class T>
Result<T> no_upload() {
  return Result<T>::fail(Outcome::not_found, "not_found", "No upload with this id.");
}

// Reads upload `id` for a change only a Processing upload accepts, after expiring it if idle.
// Returns nullopt with `refusal` set (404, or 409 upload_not_processing with the expiry
// committed) when the change must be refused.
std::optional<Upload> processing_upload(Connection& c, Transaction& tx, int64_t idle_seconds, int64_t id,
                                        Result<Upload>& refusal) {
  detail::expire_idle(c, idle_seconds, id);
  auto u = detail::read_upload(c, id);
  if (!u) {
    refusal = no_upload<Upload>();
  } else if (u->status != "Processing") {
    tx.commit();
    refusal = not_processing<Upload>(*u);
    u.reset();
  }
  return u;
}


struct ErrorsRecorded {
  int64_t new_failed_rows = 0;  // rows of this upload with no error stored before
  int64_t inserted = 0;         // error records stored (an exact repeat is stored once)
};

// Stores `errors` for the upload, counting each row as failed once per upload whoever reported
// it first (a batch or POST /errors). Runs inside the caller's write transaction.
ErrorsRecorded record_row_errors(Connection& c, int64_t upload_id, const std::vector<RowError>& errors) {
  ErrorsRecorded out;
  auto known = c.prepare("SELECT EXISTS(SELECT 1 FROM row_errors WHERE upload_id = ?1 AND row = ?2)");
  auto ins = c.prepare(
      "INSERT OR IGNORE INTO row_errors(upload_id, row, field, code, value, message) "
      "VALUES(?1, ?2, ?3, ?4, ?5, ?6)");
  for (const RowError& e : errors) {
    known.bind(1, upload_id).bind(2, int64_t(e.row));
    if (known.step() && known.int64(0) == 0) ++out.new_failed_rows;
    known.reset();
    ins.bind(1, upload_id).bind(2, int64_t(e.row)).bind(3, e.field).bind(4, e.code).bind(5, e.value)
        .bind(6, e.message);
    ins.run();
    out.inserted += c.changes();
    ins.reset();
  }
  return out;
}

}  // namespace

int64_t Store::expire_idle_uploads() {
  bool stale = db_->read([&](Connection& c) {
    auto s = c.prepare(
        "SELECT EXISTS(SELECT 1 FROM uploads WHERE status = 'Processing' AND last_activity < ?1)");
    s.bind(1, now_seconds() - idle_seconds_);
    return s.step() && s.int64(0) != 0;
  });
  if (!stale) return 0;
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    int64_t n = detail::expire_idle(c, idle_seconds_, 0);
    tx.commit();
    return n;
  });
}

Result<Upload> Store::create_upload(int64_t campaign_id, const NewUpload& nu) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    detail::expire_idle(c, idle_seconds_, 0);
    if (!detail::campaign_exists(c, campaign_id))
      return Result<Upload>::fail(Outcome::not_found, "not_found", "No campaign with this id.");
    {
      auto s = c.prepare("SELECT id FROM uploads WHERE campaign_id = ?1 AND status = 'Processing'");
      s.bind(1, campaign_id);
      if (s.step())
        return Result<Upload>::fail(Outcome::conflict, "upload_in_progress",
                                    "Please wait for the current upload to finish.");
    }
    int64_t now = now_seconds();
    const int64_t id = detail::next_id(c, "uploads");
    c.prepare(
         "INSERT INTO uploads(id, campaign_id, filename, size_bytes, fingerprint, duplicate_policy, "
         "default_region, mapping, status, created_at, last_activity) "
         "VALUES(?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'Processing', ?8, ?9)")
        .bind(1, campaign_id).bind(2, nu.filename).bind(3, nu.size_bytes).bind(4, nu.fingerprint)
        .bind(5, to_string(nu.duplicate_policy)).bind(6, nu.default_region).bind(7, nu.mapping_json)
        .bind(8, iso_time(now)).bind(9, now).bind(10, id).run();
    Result<Upload> r;
    r.value = *detail::read_upload(c, id);
    tx.commit();
    return r;
  });
}

std::optional<Page<Upload>> Store::list_uploads(int64_t campaign_id, int limit,
                                                std::optional<int64_t> after) {
  if (!get_campaign(campaign_id)) return std::nullopt;
  expire_idle_uploads();
  return db_->read([&](Connection& c) {
    Page<Upload> page;
    Transaction tx(c, Transaction::Kind::read);
    {
      auto s = c.prepare("SELECT count(*) FROM uploads WHERE campaign_id = ?1");
      s.bind(1, campaign_id);
      if (s.step()) page.total = s.int64(0);
    }
    auto s = c.prepare(std::string("SELECT ") + detail::kUploadColumns +
                       " FROM uploads WHERE campaign_id = ?1 AND id < ?2 ORDER BY id DESC LIMIT ?3");
    s.bind(1, campaign_id).bind(2, after.value_or(INT64_MAX)).bind(3, limit + 1);
    while (s.step()) {
      if (int(page.items.size()) == limit) {
        page.next_after = page.items.back().id;
        break;
      }
      page.items.push_back(detail::upload_from_row(s));
    }
    return page;
  });
}

std::optional<Upload> Store::get_upload(int64_t id) {
  expire_idle_uploads();
  return db_->read([&](Connection& c) -> std::optional<Upload> {
    Transaction tx(c, Transaction::Kind::read);
    return detail::read_upload_with_batches(c, id);
  });
}

Result<BatchPlan> Store::plan_batch(int64_t upload_id, int64_t seq, const std::string& hash) {
  // Planning only reads, on a reader connection: the next batches are planned and validated
  // while one is being written (under the write lock they waited for its commit). An upload
  // due to expire is planned on the writer instead, which commits the expiry.
  auto plan = [&](Connection& c, Transaction& tx) {
    auto u = detail::read_upload(c, upload_id);
    if (!u) return no_upload<BatchPlan>();
    bool found = false;
    auto answer = stored_answer(c, upload_id, seq, hash, found);
    Result<BatchPlan> r;
    if (found) {
      if (!answer) return Result<BatchPlan>::fail(answer.outcome, answer.code, answer.message);
      r.value.replay = answer.value;
      tx.commit();
      return r;
    }
    if (u->status != "Processing") {
      tx.commit();  // keeps an expiry just made
      return not_processing<BatchPlan>(*u);
    }
    {
      auto s = c.prepare("SELECT fields FROM campaigns WHERE id = ?1");
      s.bind(1, u->campaign_id);
      if (s.step()) r.value.fields = detail::parse_fields(s.text_view(0));
    }
    for (const detail::RunColumn& col : detail::run_columns(c, u->campaign_id))
      if (!col.numeric) r.value.run_keys.push_back(col.key);
    r.value.duplicate_policy =
        duplicate_policy_from_string(u->duplicate_policy).value_or(DuplicatePolicy::update);
    r.value.default_region = u->default_region;
    {
      auto s = c.prepare("SELECT MAX(seq) FROM batches WHERE upload_id = ?1");
      s.bind(1, upload_id);
      if (s.step() && !s.is_null(0)) r.value.max_acked_seq = s.int64(0);
    }
    tx.commit();
    return r;
  };
  auto read = db_->read([&](Connection& c) -> std::optional<Result<BatchPlan>> {
    Transaction tx(c, Transaction::Kind::read);
    {
      auto s = c.prepare(
          "SELECT EXISTS(SELECT 1 FROM uploads WHERE id = ?1 AND status = 'Processing' AND last_activity < ?2)");
      s.bind(1, upload_id).bind(2, now_seconds() - idle_seconds_);
      if (s.step() && s.int64(0) != 0) return std::nullopt;  // expires: planned on the writer
    }
    return plan(c, tx);
  });
  if (read) return std::move(*read);
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    detail::expire_idle(c, idle_seconds_, upload_id);
    return plan(c, tx);
  });
}

void Store::order_batch_runs(ValidatedBatch& batch, const std::vector<std::string>& run_keys) {
  using Keyed = ValueSorter::Keyed;
  auto less = [](const Keyed& a, const Keyed& b) {
    if (int c = detail::compare_bytes(a.first, b.first)) return c < 0;
    return a.second < b.second;
  };
  ValueSorter sorter;
  for (const std::string& key : run_keys) {
    RunValueOf value_of(key);
    std::vector<Keyed>& order = batch.run_orders.emplace_back(ValidatedBatch::RunOrder{key, {}}).rows;
    order.reserve(batch.rows.size());
    for (size_t i = 0; i < batch.rows.size(); ++i)
      if (auto v = value_of(batch, batch.rows[i])) order.emplace_back(*v, uint32_t(i));
    // Files are often in the order of one column (an id): nothing to sort then.
    if (std::is_sorted(order.begin(), order.end(), less)) continue;
    sorter.sort(order.data(), order.size(), 0);
  }
}

bool Store::batch_may_apply(int64_t upload_id, int64_t seq) {
  if (seq <= 0) return true;
  return db_->read([&](Connection& c) {
    auto s = c.prepare(
        "SELECT status <> 'Processing' OR EXISTS(SELECT 1 FROM batches WHERE upload_id = ?1 AND seq = ?2) "
        "FROM uploads WHERE id = ?1");
    s.bind(1, upload_id).bind(2, seq - 1);
    return !s.step() || s.int64(0) != 0;
  });
}

Result<BatchAnswer> Store::apply_batch(int64_t upload_id, int64_t seq, const std::string& hash,
                                       const ValidatedBatch& batch) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    detail::expire_idle(c, idle_seconds_, upload_id);
    auto u = detail::read_upload(c, upload_id);
    if (!u) return no_upload<BatchAnswer>();
    bool found = false;
    auto replay = stored_answer(c, upload_id, seq, hash, found);
    if (found) return replay;
    if (u->status != "Processing") {
      tx.commit();
      return not_processing<BatchAnswer>(*u);
    }
    if (batch.min_row > 0) {
      // Batches apply in seq order, so every earlier batch is stored: this one's rows must all
      // come after the last row any of them carried (a row is imported or reported once).
      auto s = c.prepare(
          "SELECT seq, last_row FROM batches WHERE upload_id = ?1 AND last_row IS NOT NULL "
          "ORDER BY last_row DESC LIMIT 1");
      s.bind(1, upload_id);
      if (s.step() && s.int64(1) >= batch.min_row) {
        return Result<BatchAnswer>::fail(
            Outcome::invalid, "batch_rows_overlap",
            "Batch " + std::to_string(seq) + " starts at row " + std::to_string(batch.min_row) +
                ", but batch " + std::to_string(s.int64(0)) + " already carried rows up to row " +
                std::to_string(s.int64(1)) + "; each batch's rows must come after the previous batch's.");
      }
    }
    // Sort-run merges prepared since the last batch are committed with this one.
    merger_->apply_ready(c);
    auto policy = duplicate_policy_from_string(u->duplicate_policy).value_or(DuplicatePolicy::update);
    int64_t now = now_seconds();
    std::string now_iso = iso_time(now);

    BatchAnswer answer;
    std::vector<std::string> merges_due;  // run columns with a full tier, merged after the commit
    answer.seq = seq;
    answer.failed = batch.failed_rows;
    std::vector<RowError> errors = batch.errors;
    std::unordered_map<std::string_view, int64_t> seen_rows;  // identity → first row in this batch
    {
      // Rows are written one by one in file order (a later row wins) by one prepared statement.
      // Under update it is an upsert; under skip and reject a conflicting insert does nothing
      // and returns no id, which is how a stored identity is recognized (no lookup beforehand).
      // A row created here gets an id above the largest id before the batch (INTEGER PRIMARY
      // KEY: max + 1), so an upsert returning an id <= that bound updated a stored participant.
      int64_t id_bound = 0;
      {
        auto s = c.prepare("SELECT coalesce(max(id), 0) FROM participants");
        if (s.step()) id_bound = s.int64(0);
      }
      const char* columns =
          "INSERT INTO participants(campaign_id, identity, name, email, phone, external_id, data, "
          "created_at, updated_at) VALUES";
      // Sort runs take a created row's values from the batch; only numeric fields are returned
      // by the write, as SQLite's CAST makes them (the value the triggers and filters use).
      std::vector<detail::RunColumn> run_cols = detail::run_columns(c, u->campaign_id);
      std::string returning;
      size_t returning_numeric = 0;
      for (const detail::RunColumn& col : run_cols)
        if (col.numeric) returning += ", " + col.expr, ++returning_numeric;
      const char* upsert =
          " ON CONFLICT(campaign_id, identity) DO UPDATE SET "
          "name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE participants.name END, "
          "email = CASE WHEN excluded.email <> '' THEN excluded.email ELSE participants.email END, "
          "phone = CASE WHEN excluded.phone <> '' THEN excluded.phone ELSE participants.phone END, "
          "external_id = CASE WHEN excluded.external_id <> '' THEN excluded.external_id "
          "ELSE participants.external_id END, "
          "data = json_patch(participants.data, excluded.data), "
          "updated_at = excluded.updated_at";
      auto write = c.prepare(std::string(columns) +
                             "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
                             "ON CONFLICT(campaign_id, identity) DO NOTHING RETURNING id, identity" + returning);
      // Ids of stored participants this batch updated, linked to the upload at the end; the rows
      // it created have the ids id_bound + 1 ... id_bound + created (max + 1 each time, no
      // deletes in between) and are linked as that range.
      std::string linked = "[";
      // The id each staged row created (0: it updated, was skipped or was refused). A created
      // row's values go into the batch's sort runs (an update's changed values come from the
      // triggers through sort_pending; see store/sort_runs.h).
      std::vector<int64_t> created_id(batch.rows.size(), 0);
      // Numeric run columns' entries of created rows, from the values the write returned.
      std::vector<std::vector<detail::SortEntry>> numeric_entries(returning_numeric);
      auto take_numbers = [&](const Statement& w, int first_column, int64_t id) {
        for (size_t k = 0; k < returning_numeric; ++k)
          if (!w.is_null(first_column + int(k)))
            numeric_entries[k].push_back({detail::encode_number(w.real(first_column + int(k))), id});
      };
      if (policy == DuplicatePolicy::update) {
        // Every row is written: chunks of rows go through one multi-row upsert (SQLite opens
        // cursors on the table and its indexes once per chunk, not once per row). Rows are
        // applied in file order, so a later row updates what an earlier one created. The rows
        // a chunk creates get the ids just above those before it (max + 1 each, in VALUES
        // order): the largest id after the chunk tells how many. When every row created one,
        // row j has the chunk's j-th id; otherwise (or to read numeric fields as SQLite's CAST
        // makes them) the created rows are read back by id, and the stored participants the
        // chunk updated are looked up by identity to link them. (No RETURNING: its per-row
        // temporary table cost ~15% of the writer's time.)
        constexpr size_t kChunk = 200;
        auto chunk_sql = [&](size_t n) {
          std::string sql = columns;
          for (size_t j = 0; j < n; ++j) {
            sql += j ? ",(?1" : "(?1";
            for (int k = 0; k < 6; ++k) sql += ", ?" + std::to_string(3 + 6 * j + k);
            sql += ", ?2, ?2)";
          }
          return sql + upsert;
        };
        std::optional<Statement> full;  // the statement of a whole chunk, prepared once per batch
        std::unordered_map<std::string_view, size_t> first_of;
        std::vector<size_t> anonymous;
        for (size_t from = 0; from < batch.rows.size(); from += kChunk) {
          size_t n = std::min(kChunk, batch.rows.size() - from);
          std::optional<Statement> once;
          if (n == kChunk && !full) full.emplace(c.prepare(chunk_sql(n)));
          if (n != kChunk) once.emplace(c.prepare_once(chunk_sql(n)));
          Statement& w = n == kChunk ? *full : *once;
          w.bind(1, u->campaign_id).bind(2, now_iso);
          for (size_t j = 0; j < n; ++j) {
            const StagedRow& r = batch.rows[from + j];
            int p = int(3 + 6 * j);
            // The batch's rows outlive the statement's execution: bound without copies.
            if (r.identity.empty()) w.bind_null(p); else w.bind_static(p, r.identity);
            w.bind_static(p + 1, r.name).bind_static(p + 2, r.email).bind_static(p + 3, r.phone)
                .bind_static(p + 4, r.external_id).bind_static(p + 5, r.data_json);
          }
          const int64_t chunk_first = id_bound + answer.created + 1;  // the first id it may create
          w.run();
          w.reset();
          int64_t last = 0;
          {
            auto s = c.prepare("SELECT coalesce(max(id), 0) FROM participants");
            if (s.step()) last = s.int64(0);
          }
          size_t created = last >= chunk_first ? size_t(last - chunk_first + 1) : 0;
          if (created > n) throw SqliteError(0, "participant ids did not grow by one per created row");
          answer.created += int64_t(created);
          answer.updated += int64_t(n - created);
          if (created == n && returning_numeric == 0) {
            for (size_t j = 0; j < n; ++j) created_id[from + j] = chunk_first + int64_t(j);
            continue;
          }
          // Which staged row created an id: the first of the chunk with its identity; rows
          // without one each create a row; created ids increase in VALUES order.
          first_of.clear();
          anonymous.clear();
          for (size_t j = 0; j < n; ++j) {
            const StagedRow& r = batch.rows[from + j];
            if (r.identity.empty()) anonymous.push_back(from + j);
            else first_of.emplace(r.identity, from + j);
          }
          if (created > 0) {
            auto s = c.prepare("SELECT id, identity" + returning + " FROM participants WHERE id BETWEEN ?1 AND ?2 ORDER BY id");
            s.bind(1, chunk_first).bind(2, last);
            size_t next_anonymous = 0;
            while (s.step()) {
              int64_t id = s.int64(0);
              take_numbers(s, 2, id);
              if (s.is_null(1)) {
                if (next_anonymous < anonymous.size()) created_id[anonymous[next_anonymous++]] = id;
              } else {
                auto it = first_of.find(s.text_view(1));
                if (it != first_of.end()) created_id[it->second] = id;
              }
            }
          }
          if (created == n) continue;
          // The rows that updated: link the stored participants among them to the upload.
          auto find = c.prepare("SELECT id FROM participants WHERE campaign_id = ?1 AND identity = ?2");
          for (const auto& [identity, j] : first_of) {
            if (created_id[j]) continue;
            find.bind(1, u->campaign_id).bind_static(2, identity);
            if (find.step() && find.int64(0) <= id_bound) {
              if (linked.size() > 1) linked.push_back(',');
              linked += std::to_string(find.int64(0));
            }
            find.reset();
          }
        }
      }
      for (size_t i = 0; i < batch.rows.size(); ++i) {
        if (policy == DuplicatePolicy::update) break;  // written above
        const StagedRow& r = batch.rows[i];
        int64_t earlier_row = 0;
        if (!r.identity.empty()) {
          auto [it, inserted] = seen_rows.emplace(r.identity, r.row);
          if (!inserted) earlier_row = it->second;
        }
        if (earlier_row) {
          if (policy == DuplicatePolicy::skip) ++answer.skipped;
          else errors.push_back(duplicate_error(r, 0, earlier_row)), ++answer.failed;
          continue;
        }
        write.bind(1, u->campaign_id);
        if (r.identity.empty()) write.bind_null(2); else write.bind(2, r.identity);
        write.bind(3, r.name).bind(4, r.email).bind(5, r.phone).bind(6, r.external_id)
            .bind(7, r.data_json).bind(8, now_iso);
        int64_t id = 0;
        if (write.step()) {
          id = write.int64(0);
          take_numbers(write, 2, id);  // DO NOTHING returns only rows it inserted
        }
        write.reset();
        if (id == 0) {  // skip or reject, and the identity is stored
          if (policy == DuplicatePolicy::skip) {
            ++answer.skipped;
          } else {
            auto find = c.prepare("SELECT id FROM participants WHERE campaign_id = ?1 AND identity = ?2");
            find.bind(1, u->campaign_id).bind(2, r.identity);
            int64_t existing_id = find.step() ? find.int64(0) : 0;
            errors.push_back(duplicate_error(r, existing_id, 0));
            ++answer.failed;
          }
          continue;
        }
        created_id[i] = id;
        ++answer.created;  // DO NOTHING wrote it, so it is new
      }
      // The batch's runs: per column, the created rows' (value, id). Ids grow with the row's
      // place in the batch, so rows ordered by (value, place) before the write (ordered_runs)
      // are in (value, id) order; a column without that order is sorted here.
      std::vector<detail::BatchRun> runs;
      size_t numeric_k = 0;
      for (const detail::RunColumn& col : run_cols) {
        detail::BatchRun& run = runs.emplace_back(detail::BatchRun{col.key, {}, false});
        if (col.numeric) {
          for (const detail::SortEntry& e : numeric_entries[numeric_k++]) run.entries.push_back({e.value, e.id});
          continue;
        }
        auto order = std::find_if(batch.run_orders.begin(), batch.run_orders.end(),
                                  [&](const auto& o) { return o.key == col.key; });
        if (order != batch.run_orders.end()) {
          for (const auto& [value, i] : order->rows)
            if (i < batch.rows.size() && created_id[i]) run.entries.push_back({value, created_id[i]});
          run.sorted = true;
        } else {
          RunValueOf value_of(col.key);
          for (size_t i = 0; i < batch.rows.size(); ++i)
            if (created_id[i])
              if (auto v = value_of(batch, batch.rows[i])) run.entries.push_back({*v, created_id[i]});
        }
      }
      linked.push_back(']');
      detail::add_sort_runs(c, u->campaign_id, runs, first_tier_runs_, &merges_due);
      // The created rows are linked as their id range (schema v6, upload_created): ranges that
      // reach above id_bound hold only deleted participants' ids, which this batch may have
      // been given again, so they are cut back first; then the upload's range that ends at
      // id_bound grows, or a new one starts.
      if (answer.created > 0) {
        c.prepare("DELETE FROM upload_created WHERE first_id > ?1").bind(1, id_bound).run();
        c.prepare(
             "UPDATE upload_created SET last_id = ?1 WHERE last_id > ?1 AND "
             "first_id = (SELECT max(first_id) FROM upload_created WHERE first_id <= ?1)")
            .bind(1, id_bound).run();
        c.prepare(
             "UPDATE upload_created SET last_id = ?3 WHERE upload_id = ?1 AND last_id = ?2 AND "
             "first_id = (SELECT max(first_id) FROM upload_created WHERE upload_id = ?1)")
            .bind(1, upload_id).bind(2, id_bound).bind(3, id_bound + answer.created).run();
        if (c.changes() == 0) {
          c.prepare("INSERT INTO upload_created(upload_id, first_id, last_id) VALUES(?1, ?2, ?3)")
              .bind(1, upload_id).bind(2, id_bound + 1).bind(3, id_bound + answer.created).run();
        }
        // The same for the created_at order's ranges (schema v8, created_ranges), which also
        // count their live participants, those without communications and those never updated
        // (all of a batch's new ones, whose updated_at is the batch's stamp): the cut-off ids are deleted participants' (no longer counted); the campaign's
        // range that ends at id_bound with this batch's stamp grows (up to kCreatedRangeIds
        // ids), and new ones take the rest.
        c.prepare("DELETE FROM created_ranges WHERE first_id > ?1").bind(1, id_bound).run();
        c.prepare(
             "UPDATE created_ranges SET last_id = ?1 WHERE last_id > ?1 AND "
             "first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= ?1)")
            .bind(1, id_bound).run();
        int64_t next = id_bound + 1;
        const int64_t end = id_bound + answer.created;
        {
          auto s = c.prepare(
              "SELECT first_id FROM created_ranges WHERE campaign = ?1 AND stamp = ?2 AND last_id = ?3 AND "
              "first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= ?3)");
          s.bind(1, u->campaign_id).bind(2, now_iso).bind(3, id_bound);
          if (s.step()) {
            int64_t first = s.int64(0);
            int64_t last = std::min(end, first + detail::kCreatedRangeIds - 1);
            s.reset();
            if (last > id_bound) {
              c.prepare(
                   "UPDATE created_ranges SET last_id = ?4, live = live + ?5, zero = zero + ?5, base = base + ?5 "
                   "WHERE campaign = ?1 AND "
                   "stamp = ?2 AND first_id = ?3")
                  .bind(1, u->campaign_id).bind(2, now_iso).bind(3, first).bind(4, last)
                  .bind(5, last - id_bound).run();
              next = last + 1;
            }
          }
        }
        for (; next <= end; next += detail::kCreatedRangeIds) {
          int64_t last = std::min(end, next + detail::kCreatedRangeIds - 1);
          c.prepare(
               "INSERT INTO created_ranges(campaign, stamp, first_id, last_id, live, zero, base) "
               "VALUES(?1, ?2, ?3, ?4, ?5, ?5, ?5)")
              .bind(1, u->campaign_id).bind(2, now_iso).bind(3, next).bind(4, last)
              .bind(5, last - next + 1).run();
        }
      }
      // Stored participants the batch updated: one link row each.
      if (linked.size() > 1) {
        c.prepare(
             "INSERT OR IGNORE INTO participant_uploads(upload_id, participant_id) "
             "SELECT ?1, value FROM json_each(?2)")
            .bind(1, upload_id).bind(2, linked).run();
      }
    }
    // The campaign's participant count (a delete trigger takes rows away; see schema.cpp).
    c.prepare("UPDATE campaigns SET participant_count = participant_count + ?2 WHERE id = ?1")
        .bind(1, u->campaign_id).bind(2, answer.created).run();
    // A row counts as failed once per upload: a row the browser already reported through
    // POST /errors (or an earlier error of this batch) is not counted again.
    ErrorsRecorded recorded = record_row_errors(c, upload_id, errors);
    answer.failed = recorded.new_failed_rows;
    int64_t inserted_errors = recorded.inserted;
    c.prepare(
         "UPDATE uploads SET created = created + ?2, updated = updated + ?3, skipped = skipped + ?4, "
         "failed = failed + ?5, error_count = error_count + ?6, last_activity = ?7 WHERE id = ?1")
        .bind(1, upload_id).bind(2, answer.created).bind(3, answer.updated).bind(4, answer.skipped)
        .bind(5, answer.failed).bind(6, inserted_errors).bind(7, now).run();
    auto ins_batch = c.prepare(
         "INSERT INTO batches(upload_id, seq, hash, created, updated, skipped, failed, last_row) "
         "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
    ins_batch.bind(1, upload_id).bind(2, seq).bind(3, hash).bind(4, answer.created)
        .bind(5, answer.updated).bind(6, answer.skipped).bind(7, answer.failed);
    if (batch.max_row > 0) ins_batch.bind(8, batch.max_row); else ins_batch.bind_null(8);
    ins_batch.run();
    tx.commit();
    if (!merges_due.empty()) merger_->schedule(u->campaign_id, merges_due);
    Result<BatchAnswer> r;
    r.value = answer;
    return r;
  });
}

Result<Upload> Store::add_errors(int64_t upload_id, const std::vector<RowError>& errors) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    Result<Upload> refusal;
    auto u = processing_upload(c, tx, idle_seconds_, upload_id, refusal);
    if (!u) return refusal;
    ErrorsRecorded recorded = record_row_errors(c, upload_id, errors);
    int64_t new_rows = recorded.new_failed_rows, inserted = recorded.inserted;
    c.prepare(
         "UPDATE uploads SET failed = failed + ?2, error_count = error_count + ?3, "
         "last_activity = ?4 WHERE id = ?1")
        .bind(1, upload_id).bind(2, new_rows).bind(3, inserted).bind(4, now_seconds()).run();
    Result<Upload> r;
    r.value = *detail::read_upload_with_batches(c, upload_id);
    tx.commit();
    return r;
  });
}

Result<Upload> Store::complete_upload(int64_t upload_id, int64_t declared_total_rows) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    Result<Upload> refusal;
    auto u = processing_upload(c, tx, idle_seconds_, upload_id, refusal);
    if (!u) return refusal;
    UploadCounters counters;
    counters.total_rows = uint64_t(declared_total_rows);
    counters.created = uint64_t(u->created);
    counters.updated = uint64_t(u->updated);
    counters.skipped = uint64_t(u->skipped);
    counters.failed = uint64_t(u->failed);
    StatusDecision d = decide_completion(counters, uint64_t(declared_total_rows));
    int64_t now = now_seconds();
    c.prepare(
         "UPDATE uploads SET status = ?2, status_message = ?3, total_rows = ?4, finished_at = ?5, "
         "last_activity = ?6 WHERE id = ?1")
        .bind(1, upload_id).bind(2, to_string(d.status)).bind(3, d.message)
        .bind(4, declared_total_rows).bind(5, iso_time(now)).bind(6, now).run();
    Result<Upload> r;
    r.value = *detail::read_upload_with_batches(c, upload_id);
    tx.commit();
    return r;
  });
}

Result<Upload> Store::cancel_upload(int64_t upload_id) {
  return db_->write([&](Connection& c) {
    Transaction tx(c, Transaction::Kind::write);
    Result<Upload> refusal;
    auto u = processing_upload(c, tx, idle_seconds_, upload_id, refusal);
    if (!u) return refusal;
    int64_t now = now_seconds();
    c.prepare(
         "UPDATE uploads SET status = 'Failed', status_message = 'canceled', finished_at = ?2, "
         "last_activity = ?3 WHERE id = ?1")
        .bind(1, upload_id).bind(2, iso_time(now)).bind(3, now).run();
    Result<Upload> r;
    r.value = *detail::read_upload_with_batches(c, upload_id);
    tx.commit();
    return r;
  });
}

std::vector<RowError> Store::error_page(int64_t upload_id, const std::optional<ErrorCursor>& after,
                                        int limit) {
  return db_->read([&](Connection& c) {
    std::vector<RowError> out;
    auto s = c.prepare(
        "SELECT row, field, code, value, message FROM row_errors "
        "WHERE upload_id = ?1 AND (row, field, code) > (?2, ?3, ?4) "
        "ORDER BY row, field, code LIMIT ?5");
    s.bind(1, upload_id);
    if (after) s.bind(2, after->row).bind(3, after->field).bind(4, after->code);
    else s.bind(2, int64_t(-1)).bind(3, "").bind(4, "");
    s.bind(5, limit);
    while (s.step()) {
      out.push_back({uint64_t(s.int64(0)), s.text(1), s.text(3), s.text(2), s.text(4)});
    }
    return out;
  });
}

}  // namespace intake::store
