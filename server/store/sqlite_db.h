// A thin RAII layer over the SQLite C API for the store: connections with a prepared-statement
// cache, statements that reset themselves, transactions that roll back unless committed, and a
// Database with one writer connection (serialized by a mutex) and a pool of reader connections.
// Nothing outside server/store/ includes this file.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace intake::store {

// Any SQLite failure: the store lets it reach the route's exception handler (a JSON 500).
class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& what) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

// A prepared statement in use. Cached statements are owned by their Connection and only reset
// (bindings cleared) when this object goes away; uncached ones are finalized. Parameters are
// 1-based, columns 0-based, as in the C API.
class Statement {
 public:
  Statement(sqlite3_stmt* stmt, bool owned) : stmt_(stmt), owned_(owned) {}
  Statement(Statement&& other) noexcept : stmt_(other.stmt_), owned_(other.owned_) { other.stmt_ = nullptr; }
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, int64_t(value)); }
  Statement& bind(int index, uint64_t value) { return bind(index, int64_t(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  // Binds text without copying it: `text` must outlive the statement's next reset.
  Statement& bind_static(int index, std::string_view text);
  Statement& bind_null(int index);
  Statement& bind_blob(int index, const void* data, size_t size);
  // Binds a blob without copying it: `data` must outlive the statement's next reset.
  Statement& bind_blob_static(int index, const void* data, size_t size);

  // Advances: true when a row is available, false when done. Throws SqliteError on failure
  // (SQLITE_CONSTRAINT included: callers that expect a conflict check beforehand).
  bool step();
  // Steps to completion, ignoring any rows.
  void run();
  void reset();

  bool is_null(int column) const;
  bool is_number(int column) const;  // INTEGER or REAL
  int64_t int64(int column) const;
  double real(int column) const;
  std::string text(int column) const;
  std::string_view text_view(int column) const;  // valid until the next step
  std::string blob(int column) const;
  std::string_view blob_view(int column) const;  // valid until the next step

 private:
  sqlite3_stmt* stmt_;
  bool owned_;
};

class Connection {
 public:
  // Opens (creating if needed) the database file and applies the connection pragmas:
  // WAL, synchronous=FULL, busy_timeout, foreign_keys, and a page cache of `cache_kib` KiB.
  explicit Connection(const std::string& path, int cache_kib = 64 * 1024);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // A cached prepared statement for this SQL text. Do not hold two Statements of the same text
  // at once on one connection.
  Statement prepare(std::string_view sql);
  // A statement compiled for one use (dynamic SQL whose shape varies, like list filters).
  Statement prepare_once(std::string_view sql);
  // Runs SQL without parameters (DDL, pragmas, BEGIN/COMMIT).
  void exec(const char* sql);

  int64_t last_insert_rowid() const;
  int64_t changes() const;
  sqlite3* raw() { return db_; }

 private:
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

// BEGIN IMMEDIATE (write) or BEGIN (read); rolls back on destruction unless commit() returned.
class Transaction {
 public:
  enum class Kind { read, write };
  Transaction(Connection& conn, Kind kind);
  ~Transaction();
  void commit();

 private:
  Connection& conn_;
  bool open_ = true;
};

// Lowers the calling thread's scheduling priority (nice +kBackgroundNice): the store's
// background threads (checkpoints, sort-run merges) yield the CPU to the writer and to the
// workers validating the next batches, which is where a batch's latency goes on a busy machine.
// Best effort: a failure leaves the priority as it was.
inline constexpr int kBackgroundNice = 10;
void lower_thread_priority();

// One writer, a bounded pool of readers. write() runs `fn` on the writer connection under the
// write mutex; read() lends a reader connection from the pool, opening one while fewer than
// kMaxReaders exist. With all of them lent it waits up to kReaderWait for one to come back, then
// opens a short-lived connection with a small cache that is closed after the read. Page caches:
// writer 64 MiB + kMaxReaders × 32 MiB + 2 MiB per overflow read in flight (at most one per
// worker thread: 64 × 2 MiB), so at most ~448 MiB in all.
class Database {
 public:
  static constexpr size_t kMaxReaders = 8;
  static constexpr int kReaderCacheKib = 32 * 1024;
  static constexpr int kOverflowCacheKib = 2 * 1024;
  static constexpr int64_t kReaderMmapBytes = int64_t(1) << 30;
  static constexpr std::chrono::milliseconds kReaderWait{1000};

  explicit Database(std::string path);
  ~Database();

  template <class F>
  auto write(F&& fn) {
    std::lock_guard<std::mutex> lock(write_mu_);
    return fn(*writer_);
  }

  template <class F>
  auto read(F&& fn) {
    Lease lease(*this);
    return fn(*lease.conn);
  }

  const std::string& path() const { return path_; }

  // WAL checkpoints: a thread with its own connection copies committed pages into the database
  // file (PASSIVE: never blocking the writer or readers) once kCheckpointBytes of frames not yet
  // copied have collected, so the writer does not do it inside its commits. When the thread has
  // finished and at most kCatchUpBytes are left (the commits made meanwhile), the committing
  // writer copies those itself, once per run of the thread: the WAL is then wholly in the
  // database file and the next commit writes it from its start again (no reader still using it)
  // instead of growing it by every commit (the thread was always a commit behind). Past
  // kCheckpointBytesMax not yet copied (the thread is behind) the committing writer
  // checkpoints itself.
  static constexpr int64_t kCheckpointBytes = int64_t(64) << 20;
  static constexpr int64_t kCatchUpBytes = int64_t(16) << 20;
  static constexpr int64_t kCheckpointBytesMax = int64_t(256) << 20;

 private:
  static int on_wal_commit(void* self, sqlite3* db, const char* name, int frames);
  void checkpoint_loop();
  struct Lease {
    explicit Lease(Database& db);
    ~Lease();
    Database& db;
    std::unique_ptr<Connection> conn;
    bool pooled = true;
  };
  std::string path_;
  std::mutex write_mu_;
  std::unique_ptr<Connection> writer_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  std::vector<std::unique_ptr<Connection>> readers_;  // idle pooled readers
  size_t open_readers_ = 0;                            // pooled readers, idle or lent
  std::mutex checkpoint_mu_;
  std::condition_variable checkpoint_cv_;
  bool checkpoint_due_ = false, stopping_ = false;
  std::atomic<bool> checkpointing_{false};  // the thread is copying
  std::atomic<bool> catch_up_due_{false};   // the thread finished: the writer may copy the rest
  std::atomic<int64_t> backfilled_{0};      // WAL frames known to be in the database file
  int64_t page_bytes_ = 4096;  // the database's page size (a WAL frame holds one page)
  std::thread checkpointer_;
};

}  // namespace intake::store
