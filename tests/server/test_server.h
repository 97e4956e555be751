// Test support for the server tests: an in-process server on a free port over a temporary
// database file (restartable on the same file), and small HTTP helpers around httplib::Client.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <doctest/doctest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <sqlite3.h>

#include "server.h"

namespace intake::test {

using nlohmann::json;

// Runs `sql` on the database file with a connection of its own; returns the first column of
// the first row of the last statement that returned one (0 if none).
inline int64_t run_sql(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
  sqlite3_busy_timeout(db, 5000);
  int64_t value = 0;
  char* err = nullptr;
  int rc = sqlite3_exec(
      db, sql.c_str(),
      [](void* out, int n, char** values, char**) {
        if (n > 0 && values[0]) *static_cast<int64_t*>(out) = std::stoll(values[0]);
        return 0;
      },
      &value, &err);
  std::string message = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  INFO(sql << ": " << message);
  REQUIRE(rc == SQLITE_OK);
  return value;
}

// For migration tests: takes the participants' created_at, communications and updated_at
// orders back to how schema v7 kept them (full indexes; the v8-v10 ranges undone). The caller
// sets user_version.
inline constexpr const char* kUndoCreatedRangesSql =
    "DROP TRIGGER participants_created_range_out; DROP TABLE created_ranges; "
    "CREATE INDEX participants_created_at ON participants(campaign_id, created_at, id); "
    "DROP TRIGGER participants_communications_range; DROP INDEX participants_communicated; "
    "CREATE INDEX participants_communications ON participants(campaign_id, communications, id); "
    "DROP TRIGGER participants_updated_range; DROP INDEX participants_updated; "
    "CREATE INDEX participants_updated_at ON participants(campaign_id, updated_at, id); ";

inline constexpr const char* kAdminToken = "itk_test_admin_token";

class TestServer {
 public:
  // `batch_wait_ms`: how long a batch waits for its predecessor before 425 (short in tests).
  // `configure` adjusts the remaining options (pool size, waiter caps) before each start.
  explicit TestServer(int64_t idle_seconds = 1800, int64_t batch_wait_ms = 15000,
                      std::function<void(server::ServerOptions&)> configure = {})
      : idle_seconds_(idle_seconds), batch_wait_ms_(batch_wait_ms), configure_(std::move(configure)) {
    char tmpl[] = "/tmp/intake-server-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    start();
  }
  ~TestServer() {
    server_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void start() {
    server::ServerOptions o;
    o.db_path = dir_ + "/intake.db";
    o.admin_token = kAdminToken;
    o.idle_seconds = idle_seconds_;
    o.batch_wait_ms = batch_wait_ms_;
    // Sort runs merge after 16 batches, not the server's 128, so a few batches exercise merges
    // (a test that wants the server's own value sets it in `configure`).
    o.first_tier_runs = 16;
    if (configure_) configure_(o);
    server_ = std::make_unique<server::Server>(o);
    port_ = server_->start(0);
  }
  void restart() {
    server_.reset();
    start();
  }
  // Stops the server (the database file stays); start() runs it again on the same file.
  void stop() { server_.reset(); }
  server::Server& server() { return *server_; }
  int port() const { return port_; }
  const std::string& dir() const { return dir_; }

  std::unique_ptr<httplib::Client> client(const std::string& token = kAdminToken) {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_tcp_nodelay(true);
    c->set_read_timeout(30, 0);
    if (!token.empty()) c->set_bearer_token_auth(token.c_str());
    return c;
  }

 private:
  int64_t idle_seconds_;
  int64_t batch_wait_ms_;
  std::function<void(server::ServerOptions&)> configure_;
  std::string dir_;
  std::unique_ptr<server::Server> server_;
  int port_ = 0;
};

struct Reply {
  int status = 0;
  json body;
  std::string text;
  std::string content_type;
};

inline Reply reply_of(const httplib::Result& r) {
  REQUIRE(r);
  Reply out;
  out.status = r->status;
  out.text = r->body;
  out.content_type = r->get_header_value("Content-Type");
  out.body = json::parse(r->body, nullptr, false);
  return out;
}

inline Reply get(httplib::Client& c, const std::string& path) { return reply_of(c.Get(path.c_str())); }
inline Reply del(httplib::Client& c, const std::string& path) { return reply_of(c.Delete(path.c_str())); }
inline Reply post(httplib::Client& c, const std::string& path, const json& body = json::object()) {
  return reply_of(c.Post(path.c_str(), body.dump(), "application/json"));
}
inline Reply put(httplib::Client& c, const std::string& path, const json& body) {
  return reply_of(c.Put(path.c_str(), body.dump(), "application/json"));
}
inline Reply patch(httplib::Client& c, const std::string& path, const json& body) {
  return reply_of(c.Patch(path.c_str(), body.dump(), "application/json"));
}
inline Reply put_batch(httplib::Client& c, const std::string& upload, int seq, const std::string& csv) {
  std::string path = "/api/v1/uploads/" + upload + "/batches/" + std::to_string(seq);
  return reply_of(c.Put(path.c_str(), csv, "text/csv; charset=utf-8"));
}

inline std::string error_code(const Reply& r) {
  if (!r.body.is_object() || !r.body.contains("error")) return "<no error body: " + r.text + ">";
  return r.body["error"]["code"].get<std::string>();
}
inline std::string error_message(const Reply& r) {
  if (!r.body.is_object() || !r.body.contains("error")) return "";
  return r.body["error"]["message"].get<std::string>();
}

// Every item of a list, following next_cursor: `path` carries the query (without limit and
// cursor), `limit` is the page size.
inline json all_pages(httplib::Client& c, const std::string& path, int limit) {
  json all = json::array();
  std::string cursor;
  for (int guard = 0; guard < 1000; ++guard) {
    auto r = get(c, path + "&limit=" + std::to_string(limit) + (cursor.empty() ? "" : "&cursor=" + cursor));
    REQUIRE(r.status == 200);
    for (auto& item : r.body["items"]) all.push_back(item);
    if (r.body["next_cursor"].is_null()) break;
    cursor = r.body["next_cursor"].get<std::string>();
  }
  return all;
}

// Creates a campaign (with the four identity fields) and returns its id.
inline std::string make_campaign(httplib::Client& c, const std::string& name = "Spring") {
  auto r = post(c, "/api/v1/campaigns", {{"name", name}});
  REQUIRE(r.status == 201);
  return r.body["id"].get<std::string>();
}

// Starts an upload with `policy` and returns its id.
inline std::string make_upload(httplib::Client& c, const std::string& campaign,
                               const std::string& policy = "update") {
  auto r = post(c, "/api/v1/campaigns/" + campaign + "/uploads",
                {{"filename", "people.csv"}, {"size_bytes", 100}, {"duplicate_policy", policy}});
  REQUIRE(r.status == 201);
  return r.body["id"].get<std::string>();
}

}  // namespace intake::test
