// Opening the store: the schema, its migrations (PRAGMA user_version counts the ones applied),
// and the clock the store stamps rows with.
#include <chrono>
#include <ctime>

#include "store/sort_runs.h"
#include "store/sqlite_db.h"
#include "store/store.h"
#include "store/store_internal.h"

namespace intake::store {
namespace {

// Each entry moves the schema from version i to i+1. Append only; never edit a shipped one.
const char* const kMigrations[] = {
    R"sql(
CREATE TABLE tokens(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL);

CREATE TABLE campaigns(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  fields TEXT NOT NULL,
  created_at TEXT NOT NULL);

CREATE TABLE uploads(
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  filename TEXT NOT NULL,
  size_bytes INTEGER NOT NULL,
  fingerprint TEXT NOT NULL,
  duplicate_policy TEXT NOT NULL,
  default_region TEXT NOT NULL,
  mapping TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL DEFAULT '',
  created_at TEXT NOT NULL,
  finished_at TEXT,
  last_activity INTEGER NOT NULL,
  total_rows INTEGER NOT NULL DEFAULT 0,
  created INTEGER NOT NULL DEFAULT 0,
  updated INTEGER NOT NULL DEFAULT 0,
  skipped INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0,
  error_count INTEGER NOT NULL DEFAULT 0);
CREATE INDEX uploads_by_campaign ON uploads(campaign_id, id);
CREATE UNIQUE INDEX uploads_one_processing ON uploads(campaign_id) WHERE status = 'Processing';

CREATE TABLE batches(
  upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  hash TEXT NOT NULL,
  created INTEGER NOT NULL,
  updated INTEGER NOT NULL,
  skipped INTEGER NOT NULL,
  failed INTEGER NOT NULL,
  PRIMARY KEY(upload_id, seq)) WITHOUT ROWID;

CREATE TABLE row_errors(
  upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
  row INTEGER NOT NULL,
  field TEXT NOT NULL,
  code TEXT NOT NULL,
  value TEXT NOT NULL,
  message TEXT NOT NULL,
  PRIMARY KEY(upload_id, row, field, code)) WITHOUT ROWID;

CREATE TABLE participants(
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  identity TEXT,
  name TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  phone TEXT NOT NULL DEFAULT '',
  external_id TEXT NOT NULL DEFAULT '',
  data TEXT NOT NULL DEFAULT '{}',
  communications INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE UNIQUE INDEX participants_identity ON participants(campaign_id, identity);
CREATE INDEX participants_name ON participants(campaign_id, name, id);
CREATE INDEX participants_email ON participants(campaign_id, email, id);
CREATE INDEX participants_phone ON participants(campaign_id, phone, id);
CREATE INDEX participants_external_id ON participants(campaign_id, external_id, id);
CREATE INDEX participants_communications ON participants(campaign_id, communications, id);
CREATE INDEX participants_created_at ON participants(campaign_id, created_at, id);
CREATE INDEX participants_updated_at ON participants(campaign_id, updated_at, id);

CREATE TABLE participant_uploads(
  upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
  participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
  PRIMARY KEY(upload_id, participant_id)) WITHOUT ROWID;
CREATE INDEX participant_uploads_participant ON participant_uploads(participant_id);

CREATE TABLE communications(
  id INTEGER PRIMARY KEY,
  participant_id INTEGER NOT NULL REFERENCES participants(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  status_message TEXT NOT NULL DEFAULT '',
  channel TEXT NOT NULL DEFAULT '',
  agent_id TEXT NOT NULL DEFAULT '',
  scheduled_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  session_id TEXT,
  result TEXT,
  result_at TEXT);
CREATE INDEX communications_by_participant ON communications(participant_id, id);

CREATE TABLE events(
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  type TEXT NOT NULL,
  communication_id INTEGER NOT NULL,
  participant_id INTEGER NOT NULL,
  campaign_id INTEGER NOT NULL,
  status TEXT NOT NULL,
  at TEXT NOT NULL);

CREATE TABLE sessions(
  id TEXT PRIMARY KEY,
  messages TEXT NOT NULL,
  updated_at TEXT NOT NULL);
)sql",
    // 1 → 2: campaigns keep their participant count (kept by triggers), so an unfiltered
    // participants list answers `total` without counting a million index entries.
    R"sql(
ALTER TABLE campaigns ADD COLUMN participant_count INTEGER NOT NULL DEFAULT 0;
UPDATE campaigns SET participant_count =
  (SELECT count(*) FROM participants p WHERE p.campaign_id = campaigns.id);
CREATE TRIGGER participants_counted_in AFTER INSERT ON participants BEGIN
  UPDATE campaigns SET participant_count = participant_count + 1 WHERE id = NEW.campaign_id;
END;
CREATE TRIGGER participants_counted_out AFTER DELETE ON participants BEGIN
  UPDATE campaigns SET participant_count = participant_count - 1 WHERE id = OLD.campaign_id;
END;
)sql",
    // 2 → 3: apply_batch adds the rows it created to participant_count once per batch (one
    // UPDATE instead of one trigger run per inserted row); deletes still go through the trigger.
    R"sql(
DROP TRIGGER participants_counted_in;
)sql",
    // 3 → 4: each batch keeps the last spreadsheet row it carried (NULL when it had none), so a
    // batch whose rows do not come after its predecessor's is refused (rows unique per upload).
    R"sql(
ALTER TABLE batches ADD COLUMN last_row INTEGER;
)sql",
    // 4 → 5: the participants' orders by name, email, phone and external id, and the values of
    // indexed fields, move from B-tree indexes (one random-order insert per index and ingested
    // row) to sorted runs in sort_blocks (store/sort_runs.h). sort_columns lists a campaign's
    // indexed fields; their runs, triggers and the removal of the old pf_* indexes are done by
    // sync_field_indexes, the identity columns' runs right after this script (schema.cpp).
    R"sql(
DROP INDEX participants_name;
DROP INDEX participants_email;
DROP INDEX participants_phone;
DROP INDEX participants_external_id;
CREATE TABLE sort_columns(
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  col TEXT NOT NULL,
  expr TEXT NOT NULL,
  numeric INTEGER NOT NULL,
  PRIMARY KEY(campaign_id, col)) WITHOUT ROWID;
CREATE TABLE sort_runs(
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  col TEXT NOT NULL,
  run INTEGER NOT NULL,
  entries INTEGER NOT NULL,
  PRIMARY KEY(campaign_id, col, run)) WITHOUT ROWID;
CREATE TABLE sort_blocks(
  id INTEGER PRIMARY KEY,
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  col TEXT NOT NULL,
  run INTEGER NOT NULL,
  first_value TEXT NOT NULL,
  first_id INTEGER NOT NULL,
  n INTEGER NOT NULL,
  entries BLOB NOT NULL);
CREATE INDEX sort_blocks_key ON sort_blocks(campaign_id, col, run, first_value, first_id, n);
CREATE TABLE sort_stale(
  campaign_id INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  col TEXT NOT NULL,
  value NOT NULL,
  id INTEGER NOT NULL);
CREATE INDEX sort_stale_key ON sort_stale(campaign_id, col);
CREATE TABLE sort_pending(
  campaign_id INTEGER NOT NULL,
  col TEXT NOT NULL,
  value NOT NULL,
  id INTEGER NOT NULL);
CREATE TRIGGER participants_sort_changed AFTER UPDATE OF name, email, phone, external_id ON participants
BEGIN
  INSERT INTO sort_stale(campaign_id, col, value, id)
    SELECT OLD.campaign_id, 'name', OLD.name, OLD.id WHERE OLD.name IS NOT NEW.name
    UNION ALL SELECT OLD.campaign_id, 'email', OLD.email, OLD.id WHERE OLD.email IS NOT NEW.email
    UNION ALL SELECT OLD.campaign_id, 'phone', OLD.phone, OLD.id WHERE OLD.phone IS NOT NEW.phone
    UNION ALL SELECT OLD.campaign_id, 'external_id', OLD.external_id, OLD.id
      WHERE OLD.external_id IS NOT NEW.external_id;
  INSERT INTO sort_pending(campaign_id, col, value, id)
    SELECT NEW.campaign_id, 'name', NEW.name, NEW.id WHERE OLD.name IS NOT NEW.name
    UNION ALL SELECT NEW.campaign_id, 'email', NEW.email, NEW.id WHERE OLD.email IS NOT NEW.email
    UNION ALL SELECT NEW.campaign_id, 'phone', NEW.phone, NEW.id WHERE OLD.phone IS NOT NEW.phone
    UNION ALL SELECT NEW.campaign_id, 'external_id', NEW.external_id, NEW.id
      WHERE OLD.external_id IS NOT NEW.external_id;
END;
-- A deleted participant's entries become stale, unless its campaign is being deleted (the
-- campaign's runs and stale records then go by ON DELETE CASCADE).
CREATE TRIGGER participants_sort_deleted AFTER DELETE ON participants
WHEN EXISTS(SELECT 1 FROM campaigns WHERE id = OLD.campaign_id)
BEGIN
  INSERT INTO sort_stale(campaign_id, col, value, id) VALUES
    (OLD.campaign_id, 'name', OLD.name, OLD.id), (OLD.campaign_id, 'email', OLD.email, OLD.id),
    (OLD.campaign_id, 'phone', OLD.phone, OLD.id), (OLD.campaign_id, 'external_id', OLD.external_id, OLD.id);
END;
)sql",
    // 5 → 6: the participants a batch creates are linked to their upload as one id range
    // (upload_created; a batch's range extends the upload's previous one when the ids follow
    // on) instead of one participant_uploads row each, which stays for the participants a
    // batch updated and for every link made before v6. Ranges never overlap: a batch trims
    // what older ranges hold above the largest stored id (deleted participants' ids, which
    // SQLite gives out again) before adding its own.
    R"sql(
CREATE TABLE upload_created(
  upload_id INTEGER NOT NULL REFERENCES uploads(id) ON DELETE CASCADE,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  PRIMARY KEY(upload_id, first_id)) WITHOUT ROWID;
CREATE INDEX upload_created_by_id ON upload_created(first_id);
)sql",
    // 6 → 7: campaign, upload and communication ids are never given out again (SQLite gives a
    // deleted largest rowid to the next row), so an event's campaign_id and communication_id,
    // and an upload id a browser saved to resume, always mean the same thing. id_high_water
    // keeps the largest id each table ever had (seeded from the tables and, for ids already
    // deleted, the event feed); inserts take the next one (detail::next_id).
    R"sql(
CREATE TABLE id_high_water(tbl TEXT PRIMARY KEY, high INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO id_high_water VALUES
  ('campaigns', max((SELECT coalesce(max(id), 0) FROM campaigns), (SELECT coalesce(max(campaign_id), 0) FROM events))),
  ('uploads', (SELECT coalesce(max(id), 0) FROM uploads)),
  ('communications', max((SELECT coalesce(max(id), 0) FROM communications),
                         (SELECT coalesce(max(communication_id), 0) FROM events)));
CREATE TRIGGER campaigns_high_water AFTER DELETE ON campaigns BEGIN
  UPDATE id_high_water SET high = max(high, OLD.id) WHERE tbl = 'campaigns';
END;
CREATE TRIGGER uploads_high_water AFTER DELETE ON uploads BEGIN
  UPDATE id_high_water SET high = max(high, OLD.id) WHERE tbl = 'uploads';
END;
CREATE TRIGGER communications_high_water AFTER DELETE ON communications BEGIN
  UPDATE id_high_water SET high = max(high, OLD.id) WHERE tbl = 'communications';
END;
)sql",
    // 7 → 8: the order by created_at comes from created_ranges instead of the B-tree index
    // participants_created_at (one entry per ingested row: ~0.16 s of the writer's time and
    // ~36 MiB per 1M rows). A range is a run of ids of one campaign created with one created_at
    // (a batch writes one, or extends the previous one), with its count of live participants
    // (kept by a delete trigger). Ranges never overlap: a batch cuts back what ranges hold above
    // the largest stored id (deleted participants' ids, which SQLite gives out again), as for
    // upload_created. The (created_at, id) order is the ranges in (stamp, first_id) order, each
    // read by rowid: ranges with one stamp are disjoint id intervals. Columns are named apart
    // from participants' (campaign, stamp) so that the two join without qualified names. The
    // ranges of participants stored before v8 are made right after this script (schema.cpp).
    R"sql(
CREATE TABLE created_ranges(
  campaign INTEGER NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
  stamp TEXT NOT NULL,
  first_id INTEGER NOT NULL,
  last_id INTEGER NOT NULL,
  live INTEGER NOT NULL,
  PRIMARY KEY(campaign, stamp, first_id)) WITHOUT ROWID;
CREATE INDEX created_ranges_by_id ON created_ranges(first_id);
-- Unless the campaign is being deleted (its ranges then go by ON DELETE CASCADE).
CREATE TRIGGER participants_created_range_out AFTER DELETE ON participants
WHEN EXISTS(SELECT 1 FROM campaigns WHERE id = OLD.campaign_id)
BEGIN
  UPDATE created_ranges SET live = live - 1
  WHERE first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= OLD.id)
    AND last_id >= OLD.id;
END;
DROP INDEX participants_created_at;
)sql",
    // 8 → 9: the order by communications comes from created_ranges too, instead of the B-tree
    // index participants_communications (one entry per ingested row, ~0.2 s of the writer's
    // time per 1M rows): each range also counts its live participants without communications
    // (`zero`, kept by triggers), read in id order (the ranges by first_id, each by rowid); those
    // with communications are in a partial index, which ingest does not touch.
    R"sql(
ALTER TABLE created_ranges ADD COLUMN zero INTEGER NOT NULL DEFAULT 0;
UPDATE created_ranges SET zero = (SELECT count(*) FROM participants p
  WHERE p.id BETWEEN created_ranges.first_id AND created_ranges.last_id
    AND p.campaign_id = created_ranges.campaign AND p.communications = 0);
CREATE INDEX created_ranges_by_campaign ON created_ranges(campaign, first_id);
CREATE INDEX participants_communicated ON participants(campaign_id, communications, id)
  WHERE communications <> 0;
DROP INDEX participants_communications;
DROP TRIGGER participants_created_range_out;
CREATE TRIGGER participants_created_range_out AFTER DELETE ON participants
WHEN EXISTS(SELECT 1 FROM campaigns WHERE id = OLD.campaign_id)
BEGIN
  UPDATE created_ranges SET live = live - 1, zero = zero - (OLD.communications = 0)
  WHERE first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= OLD.id)
    AND last_id >= OLD.id;
END;
CREATE TRIGGER participants_communications_range AFTER UPDATE OF communications ON participants
WHEN (OLD.communications = 0) <> (NEW.communications = 0)
BEGIN
  UPDATE created_ranges SET zero = zero + (NEW.communications = 0) - (OLD.communications = 0)
  WHERE first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= OLD.id)
    AND last_id >= OLD.id;
END;
)sql",
    // 9 → 10: the order by updated_at comes from created_ranges too, instead of the B-tree
    // index participants_updated_at (one entry per ingested row, ~0.3 s of the writer's time per
    // 1M rows): a participant never updated has updated_at = created_at, so those are in the
    // created_at order (each range counts them: `base`, kept by triggers); the updated ones are
    // in a partial index, which creating participants does not touch. A list merges the two.
    R"sql(
ALTER TABLE created_ranges ADD COLUMN base INTEGER NOT NULL DEFAULT 0;
UPDATE created_ranges SET base = (SELECT count(*) FROM participants p
  WHERE p.id BETWEEN created_ranges.first_id AND created_ranges.last_id
    AND p.campaign_id = created_ranges.campaign AND p.updated_at = p.created_at);
CREATE INDEX participants_updated ON participants(campaign_id, updated_at, id)
  WHERE updated_at <> created_at;
DROP INDEX participants_updated_at;
DROP TRIGGER participants_created_range_out;
CREATE TRIGGER participants_created_range_out AFTER DELETE ON participants
WHEN EXISTS(SELECT 1 FROM campaigns WHERE id = OLD.campaign_id)
BEGIN
  UPDATE created_ranges SET live = live - 1, zero = zero - (OLD.communications = 0),
    base = base - (OLD.updated_at = OLD.created_at)
  WHERE first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= OLD.id)
    AND last_id >= OLD.id;
END;
CREATE TRIGGER participants_updated_range AFTER UPDATE OF updated_at ON participants
WHEN (OLD.updated_at = OLD.created_at) <> (NEW.updated_at = NEW.created_at)
BEGIN
  UPDATE created_ranges SET base = base + (NEW.updated_at = NEW.created_at) - (OLD.updated_at = OLD.created_at)
  WHERE first_id = (SELECT max(first_id) FROM created_ranges WHERE first_id <= OLD.id)
    AND last_id >= OLD.id;
END;
)sql",
    // 10 → 11: a participant's identity keeps its kind as one letter ("x:P1" for the core's
    // "external_id:P1", "e:" for email:, "p:" for phone:), in the row and in the unique index
    // participants_identity: 10 bytes less of each per participant, which ingest writes to the
    // WAL and then to the database. The forms cannot collide (the second byte is ':' here,
    // a letter there), so rows are rewritten in place.
    R"sql(
UPDATE participants SET identity = CASE
    WHEN substr(identity, 1, 12) = 'external_id:' THEN 'x:' || substr(identity, 13)
    WHEN substr(identity, 1, 6) = 'email:' THEN 'e:' || substr(identity, 7)
    ELSE 'p:' || substr(identity, 7) END
  WHERE substr(identity, 1, 12) = 'external_id:' OR substr(identity, 1, 6) IN ('email:', 'phone:');
)sql",
};

// The first version whose participants orders live in sort runs (see kMigrations).
constexpr int kSortRunsVersion = 5;
// The first version whose created_at order comes from created_ranges.
constexpr int kCreatedRangesVersion = 8;

// The created_ranges of every stored participant (schema v8): runs of ids, in id order, that
// share the campaign and created_at, each spanning at most kCreatedRangeIds ids.
void fill_created_ranges(Connection& conn) {
  auto rows = conn.prepare_once("SELECT id, campaign_id, created_at FROM participants ORDER BY id");
  auto ins = conn.prepare_once(
      "INSERT INTO created_ranges(campaign, stamp, first_id, last_id, live) VALUES(?1, ?2, ?3, ?4, ?5)");
  int64_t campaign = 0, first = 0, last = 0, live = 0;
  std::string stamp;
  auto flush = [&] {
    if (live == 0) return;
    ins.bind(1, campaign).bind(2, stamp).bind(3, first).bind(4, last).bind(5, live);
    ins.run();
    ins.reset();
  };
  while (rows.step()) {
    int64_t id = rows.int64(0), c = rows.int64(1);
    std::string_view at = rows.text_view(2);
    if (live > 0 && c == campaign && at == stamp && id - first < detail::kCreatedRangeIds) {
      last = id;
      ++live;
      continue;
    }
    flush();
    campaign = c;
    stamp.assign(at);
    first = last = id;
    live = 1;
  }
  flush();
}

constexpr int kVersion = int(sizeof(kMigrations) / sizeof(kMigrations[0]));

void migrate(Connection& conn) {
  int version = 0;
  {
    auto s = conn.prepare_once("PRAGMA user_version");
    if (s.step()) version = int(s.int64(0));
  }
  if (version > kVersion) {
    throw SqliteError(0, "database schema version " + std::to_string(version) +
                             " is newer than this server understands (" +
                             std::to_string(kVersion) + "); use a newer intake-server");
  }
  for (int v = version; v < kVersion; ++v) {
    Transaction tx(conn, Transaction::Kind::write);
    conn.exec(kMigrations[v]);
    if (v + 1 == kSortRunsVersion) {
      // Participants stored before sort runs existed get theirs, one run per column.
      std::vector<int64_t> campaigns;
      {
        auto s = conn.prepare_once("SELECT id FROM campaigns");
        while (s.step()) campaigns.push_back(s.int64(0));
      }
      for (int64_t id : campaigns)
        for (const char* key : detail::kIdentityRunKeys) detail::rebuild_sort_runs(conn, id, {key, key, false});
    }
    if (v + 1 == kCreatedRangesVersion) fill_created_ranges(conn);
    conn.exec(("PRAGMA user_version = " + std::to_string(v + 1)).c_str());
    tx.commit();
  }
}

}  // namespace

int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string iso_time(int64_t epoch_seconds) {
  std::time_t t = std::time_t(epoch_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

Store::Store(const std::string& path, size_t first_tier_runs)
    : db_(std::make_unique<Database>(path)), first_tier_runs_(first_tier_runs) {
  db_->write([](Connection& conn) {
    migrate(conn);
    // Databases from before field indexes existed (or whose indexes were lost) get them now;
    // a no-op when every campaign's indexes match its fields.
    Transaction tx(conn, Transaction::Kind::write);
    detail::sync_all_field_indexes(conn);
    tx.commit();
    return 0;
  });
  merger_ = std::make_unique<detail::RunMerger>(*db_, first_tier_runs_);
  // Merges left due when the server last stopped (pending merges are dropped on shutdown).
  db_->read([&](Connection& conn) {
    Transaction tx(conn, Transaction::Kind::read);
    std::vector<int64_t> campaigns;
    {
      auto s = conn.prepare("SELECT id FROM campaigns");
      while (s.step()) campaigns.push_back(s.int64(0));
    }
    for (int64_t id : campaigns) {
      std::vector<std::string> due;
      for (const detail::RunColumn& col : detail::run_columns(conn, id))
        if (detail::tier_full(conn, id, col.key, first_tier_runs_)) due.push_back(col.key);
      if (!due.empty()) merger_->schedule(id, due);
    }
    return 0;
  });
}

Store::~Store() { merger_.reset(); }

int Store::schema_version() { return kVersion; }

}  // namespace intake::store
