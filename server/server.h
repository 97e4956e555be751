// The Intake server: the store, the route table and an httplib server with its limits, static
// files and an idle-upload timer. Tests run it in-process (start on port 0, then stop);
// main.cpp wraps it with flags and signal handling.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "batch_order.h"
#include "route_table.h"
#include "store/store.h"

namespace httplib {
class Server;
}

namespace intake::server {

struct ServerOptions {
  std::string db_path = "data/intake.db";
  std::string web_dir;                     // served at "/"; "" serves no static files
  int64_t idle_seconds = 30 * 60;          // a Processing upload idle this long becomes Failed "interrupted"
  std::optional<std::string> admin_token;  // secret for the first token (else a random one)
  int read_timeout_seconds = 30;
  int write_timeout_seconds = 30;
  int keep_alive_max_count = 1000;
  int keep_alive_timeout_seconds = 10;
  // A batch waits this long for its predecessor (seq-1) before answering 425 batch_too_early.
  int64_t batch_wait_ms = 15000;
  // A batch more than this many seqs past the upload's highest acknowledged seq answers 425 at
  // once instead of waiting; so does one that would be the upload's batch_waiters_per_upload+1-th
  // waiter, or the batch_waiters_total+1-th overall (0: half of http_threads). Waiters hold a
  // worker thread each, so these caps keep workers free for every other request.
  int64_t batch_ahead_max = 8;
  int batch_waiters_per_upload = 8;
  int batch_waiters_total = 0;
  // Worker threads. httplib's default (max(8, cores-1)) is too few: a keep-alive connection
  // holds a worker while open, and batches waiting for their predecessor hold one each.
  int http_threads = 64;
  // Batch-sized sort runs of a column merged into one (Store::kFirstTierRuns): fewer merges
  // while ingesting, more runs for a list to read.
  size_t first_tier_runs = store::Store::kFirstTierRuns;
};

class Server {
 public:
  // Opens (or creates and migrates) the database. On an empty database creates the admin token.
  explicit Server(ServerOptions options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds `host:port` (port 0: any free port) and serves on background threads. Returns the
  // bound port; throws std::runtime_error if binding fails.
  int start(int port, const std::string& host = "127.0.0.1");
  // Stops accepting, lets in-flight requests finish, joins the threads. Safe to call twice.
  void stop();

  // The admin secret created by this process on an empty database (print it once), if any.
  const std::optional<std::string>& created_admin_token() const { return created_admin_token_; }
  store::Store& store() { return *store_; }
  const RouteTable& routes() const { return routes_; }

 private:
  void idle_loop();

  ServerOptions options_;
  std::unique_ptr<store::Store> store_;
  BatchOrder batch_order_;
  RouteTable routes_;
  std::optional<std::string> created_admin_token_;
  std::unique_ptr<httplib::Server> http_;
  std::thread listener_;
  std::thread idle_timer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

}  // namespace intake::server
