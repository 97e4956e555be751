// SQLite RAII layer: see sqlite_db.h. Every failure becomes a SqliteError carrying SQLite's
// own message, so a 500 in the log says which statement failed and why.
#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>

namespace intake::store {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view context) {
  std::string msg(context);
  msg += ": ";
  msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(rc, msg);
}

void check(sqlite3* db, int rc, std::string_view context) {
  if (rc != SQLITE_OK) fail(db, rc, context);
}

}  // namespace

Statement::~Statement() {
  if (!stmt_) return;
  if (owned_) {
    sqlite3_finalize(stmt_);
  } else {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int index, int64_t value) {
  check(sqlite3_db_handle(stmt_), sqlite3_bind_int64(stmt_, index, value), "bind");
  return *this;
}
Statement& Statement::bind(int index, double value) {
  check(sqlite3_db_handle(stmt_), sqlite3_bind_double(stmt_, index, value), "bind");
  return *this;
}
Statement& Statement::bind(int index, std::string_view text) {
  check(sqlite3_db_handle(stmt_),
        sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "", text.size(),
                            SQLITE_TRANSIENT, SQLITE_UTF8),
        "bind");
  return *this;
}
Statement& Statement::bind_static(int index, std::string_view text) {
  check(sqlite3_db_handle(stmt_),
        sqlite3_bind_text64(stmt_, index, text.data() ? text.data() : "", text.size(), SQLITE_STATIC,
                            SQLITE_UTF8),
        "bind");
  return *this;
}
Statement& Statement::bind_null(int index) {
  check(sqlite3_db_handle(stmt_), sqlite3_bind_null(stmt_, index), "bind");
  return *this;
}
Statement& Statement::bind_blob_static(int index, const void* data, size_t size) {
  check(sqlite3_db_handle(stmt_), sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_STATIC), "bind");
  return *this;
}
Statement& Statement::bind_blob(int index, const void* data, size_t size) {
  check(sqlite3_db_handle(stmt_), sqlite3_bind_blob64(stmt_, index, data, size, SQLITE_TRANSIENT),
        "bind");
  return *this;
}

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  std::string context = "step: ";
  context += sqlite3_sql(stmt_);
  fail(sqlite3_db_handle(stmt_), rc, context);
}

void Statement::run() {
  while (step()) {
  }
}

void Statement::reset() {
  sqlite3_reset(stmt_);
}

bool Statement::is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }
bool Statement::is_number(int column) const {
  int t = sqlite3_column_type(stmt_, column);
  return t == SQLITE_INTEGER || t == SQLITE_FLOAT;
}
int64_t Statement::int64(int column) const { return sqlite3_column_int64(stmt_, column); }
double Statement::real(int column) const { return sqlite3_column_double(stmt_, column); }
std::string Statement::text(int column) const { return std::string(text_view(column)); }
std::string_view Statement::text_view(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  if (!p) return {};
  return {p, size_t(sqlite3_column_bytes(stmt_, column))};
}
std::string Statement::blob(int column) const { return std::string(blob_view(column)); }
std::string_view Statement::blob_view(int column) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  if (!p) return {};
  return {p, size_t(sqlite3_column_bytes(stmt_, column))};
}

Connection::Connection(const std::string& path, int cache_kib) {
  int rc = sqlite3_open_v2(path.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string msg = "cannot open database " + path + ": " +
                      (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, msg);
  }
  sqlite3_busy_timeout(db_, 5000);
  // A new database gets 16 KiB pages (an existing one keeps its own): a 1M-row ingest wrote a
  // quarter as many WAL frames as with 4 KiB pages, and its writer spent ~15% less CPU.
  exec("PRAGMA page_size=16384");
  exec("PRAGMA journal_mode=WAL");
  exec("PRAGMA synchronous=FULL");
  exec("PRAGMA foreign_keys=ON");
  exec("PRAGMA temp_store=MEMORY");
  std::string cache = "PRAGMA cache_size=-" + std::to_string(cache_kib);  // KiB
  exec(cache.c_str());
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

Statement Connection::prepare(std::string_view sql) {
  auto it = cache_.find(std::string(sql));
  if (it != cache_.end()) return Statement(it->second, false);
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), int(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                              nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare " + std::string(sql));
  cache_.emplace(std::string(sql), stmt);
  return Statement(stmt, false);
}

Statement Connection::prepare_once(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), int(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) fail(db_, rc, "prepare " + std::string(sql));
  return Statement(stmt, true);
}

void Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string msg = std::string(sql) + ": " + (err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw SqliteError(rc, msg);
  }
}

int64_t Connection::last_insert_rowid() const { return sqlite3_last_insert_rowid(db_); }
int64_t Connection::changes() const { return sqlite3_changes64(db_); }

Transaction::Transaction(Connection& conn, Kind kind) : conn_(conn) {
  conn_.exec(kind == Kind::write ? "BEGIN IMMEDIATE" : "BEGIN");
}

Transaction::~Transaction() {
  if (open_) {
    try {
      conn_.exec("ROLLBACK");
    } catch (...) {
      // The transaction may already be gone (SQLite rolls back on some errors by itself).
    }
  }
}

void Transaction::commit() {
  conn_.exec("COMMIT");
  open_ = false;
}

Database::Database(std::string path) : path_(std::move(path)) {
  writer_ = std::make_unique<Connection>(path_);
  {
    auto s = writer_->prepare_once("PRAGMA page_size");
    if (s.step()) page_bytes_ = s.int64(0);
  }
  // Replaces SQLite's own checkpoint-on-commit (sqlite3_wal_autocheckpoint) with on_wal_commit.
  sqlite3_wal_hook(writer_->raw(), &Database::on_wal_commit, this);
  checkpointer_ = std::thread([this] { checkpoint_loop(); });
}

Database::~Database() {
  {
    std::lock_guard<std::mutex> lock(checkpoint_mu_);
    stopping_ = true;
  }
  checkpoint_cv_.notify_one();
  checkpointer_.join();
}

int Database::on_wal_commit(void* self, sqlite3* db, const char* name, int frames) {
  auto* d = static_cast<Database*>(self);
  int64_t done = d->backfilled_;
  if (frames < done) d->backfilled_ = done = 0;  // the WAL started again from its beginning
  int64_t wal_bytes = int64_t(frames) * d->page_bytes_;
  int64_t pending = (int64_t(frames) - done) * d->page_bytes_;
  bool idle = !d->checkpointing_;
  bool catch_up = idle && wal_bytes >= kCheckpointBytes && pending <= kCatchUpBytes && d->catch_up_due_;
  if (pending >= kCheckpointBytesMax || catch_up) {
    d->catch_up_due_ = false;
    int log = 0, copied = 0;
    if (sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK)
      d->backfilled_ = copied;
  } else if (idle && pending >= kCheckpointBytes) {
    {
      std::lock_guard<std::mutex> lock(d->checkpoint_mu_);
      d->checkpoint_due_ = true;
    }
    d->checkpoint_cv_.notify_one();
  }
  return SQLITE_OK;
}

void lower_thread_priority() {
  // Linux: a thread id names one thread for setpriority (POSIX would lower the whole process).
  setpriority(PRIO_PROCESS, id_t(syscall(SYS_gettid)), kBackgroundNice);
}

void Database::checkpoint_loop() {
  lower_thread_priority();
  std::unique_ptr<Connection> conn;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(checkpoint_mu_);
      checkpoint_cv_.wait(lock, [this] { return checkpoint_due_ || stopping_; });
      if (stopping_) return;
      checkpoint_due_ = false;
    }
    try {
      if (!conn) conn = std::make_unique<Connection>(path_, 2 * 1024);
      // A failed or partial checkpoint is retried after the next commits; the WAL keeps the data.
      checkpointing_ = true;
      int log = 0, copied = 0;
      if (sqlite3_wal_checkpoint_v2(conn->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &copied) == SQLITE_OK) {
        backfilled_ = copied;
        catch_up_due_ = true;
      }
      checkpointing_ = false;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "intake-server: checkpoint connection failed: %s\n", e.what());
    }
  }
}

Database::Lease::Lease(Database& d) : db(d) {
  std::unique_lock<std::mutex> lock(db.pool_mu_);
  if (db.readers_.empty() && db.open_readers_ >= kMaxReaders)
    db.pool_cv_.wait_for(lock, kReaderWait, [&] { return !db.readers_.empty() || db.open_readers_ < kMaxReaders; });
  if (!db.readers_.empty()) {
    conn = std::move(db.readers_.back());
    db.readers_.pop_back();
    return;
  }
  pooled = db.open_readers_ < kMaxReaders;
  if (pooled) ++db.open_readers_;
  lock.unlock();
  try {
    conn = std::make_unique<Connection>(db.path_, pooled ? kReaderCacheKib : kOverflowCacheKib);
    // Readers see the file through a shared mapping instead of copying pages into their own
    // caches (a list page or a contains count over packed sort runs reads tens of MiB; mapped
    // pages are the OS page cache, shared by every reader). The writer keeps its page cache.
    conn->exec(("PRAGMA mmap_size=" + std::to_string(kReaderMmapBytes)).c_str());
  } catch (...) {
    if (pooled) {
      lock.lock();
      --db.open_readers_;
      lock.unlock();
      db.pool_cv_.notify_one();  // another reader may open in this slot
    }
    throw;
  }
}

Database::Lease::~Lease() {
  if (!pooled) return;  // an overflow connection closes here
  {
    std::lock_guard<std::mutex> lock(db.pool_mu_);
    db.readers_.push_back(std::move(conn));
  }
  db.pool_cv_.notify_one();
}

}  // namespace intake::store
