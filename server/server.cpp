// Server wiring: see server.h.
#include "server.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include <httplib.h>

#include "auth.h"
#include "http_support.h"
#include "routes.h"

namespace intake::server {

Server::Server(ServerOptions options) : options_(std::move(options)) {
  store_ = std::make_unique<store::Store>(options_.db_path, options_.first_tier_runs);
  store_->set_idle_timeout(options_.idle_seconds);
  if (!store_->has_tokens()) {
    std::string secret = options_.admin_token.value_or(new_token_secret());
    store_->create_token("admin", sha256_hex(secret));
    created_admin_token_ = secret;
  }
  add_token_routes(routes_, *store_);
  add_campaign_routes(routes_, *store_, batch_order_);
  {
    int threads = std::max(options_.http_threads, 2);
    int total = options_.batch_waiters_total > 0 ? options_.batch_waiters_total : threads / 2;
    batch_order_.set_limits(size_t(std::max(options_.batch_waiters_per_upload, 0)),
                            size_t(std::clamp(total, 1, threads - 1)));
  }
  add_upload_routes(routes_, *store_, batch_order_, std::chrono::milliseconds(options_.batch_wait_ms),
                    options_.batch_ahead_max);
  add_participant_routes(routes_, *store_);
  add_communication_routes(routes_, *store_);
  add_doc_routes(routes_);
}

Server::~Server() { stop(); }

int Server::start(int port, const std::string& host) {
  if (http_) throw std::runtime_error("server already started");
  http_ = std::make_unique<httplib::Server>();
  auto& h = *http_;
  size_t threads = size_t(std::max(options_.http_threads, 2));
  h.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  h.set_tcp_nodelay(true);
  h.set_payload_max_length(kBatchBodyMax);
  h.set_read_timeout(options_.read_timeout_seconds, 0);
  h.set_write_timeout(options_.write_timeout_seconds, 0);
  h.set_keep_alive_max_count(size_t(options_.keep_alive_max_count));
  h.set_keep_alive_timeout(options_.keep_alive_timeout_seconds);
  h.set_file_extension_and_mimetype_mapping("wasm", "application/wasm");
  h.set_file_extension_and_mimetype_mapping("mjs", "text/javascript");
  h.set_file_extension_and_mimetype_mapping("js", "text/javascript");
  if (!options_.web_dir.empty()) {
    if (!std::filesystem::is_directory(options_.web_dir) || !h.set_mount_point("/", options_.web_dir))
      throw std::runtime_error("--web " + options_.web_dir + " is not a readable directory");
    auto wasm = std::filesystem::path(options_.web_dir) / "lib" / "wasm";
    if (std::filesystem::is_directory(wasm)) h.set_mount_point("/wasm", wasm.string());
  }
  h.set_exception_handler([](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "unknown exception";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    std::fprintf(stderr, "intake-server: %s %s failed: %s\n", req.method.c_str(), req.path.c_str(),
                 what.c_str());
    send_error(res, 500, "internal_error", "The server failed on this request.");
  });
  h.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    switch (res.status) {
      case 404:
        send_error(res, 404, "not_found", "Nothing at " + req.path + ".");
        break;
      case 413:
        send_error(res, 413, "payload_too_large", "The body is larger than this server accepts.");
        break;
      case 400:
        // httplib cannot tell the end of a POST/PUT/PATCH body without Content-Length (or
        // chunked encoding, which this server refuses): say so, bodyless routes included.
        if ((req.method == "POST" || req.method == "PUT" || req.method == "PATCH") &&
            !req.has_header("Content-Length") && !req.has_header("Transfer-Encoding"))
          send_error(res, 400, "length_required",
                     "A " + req.method + " request needs a Content-Length header; send "
                     "\"Content-Length: 0\" when there is no body (curl: -d '' or -H 'Content-Length: 0').");
        else if (!req.method.empty() && req.method != "GET" && req.method != "HEAD" && req.method != "POST" &&
                 req.method != "PUT" && req.method != "PATCH" && req.method != "DELETE" && req.method != "OPTIONS")
          send_error(res, 400, "bad_request",
                     "The method " + req.method.substr(0, 40) + " is not one this server knows; "
                     "use GET, POST, PUT, PATCH or DELETE as /api/v1/openapi.json lists for each route.");
        else
          send_error(res, 400, "bad_request", "The request could not be parsed as HTTP.");
        break;
      case 414:
        send_error(res, 414, "uri_too_long",
                   "The request line is too long (over 8 KiB); shorten the query, e.g. fewer or shorter filters.");
        break;
      default:
        send_error(res, res.status, "http_error", "HTTP error " + std::to_string(res.status) + ".");
    }
  });
  routes_.install(h, *store_);

  int bound = port == 0 ? h.bind_to_any_port(host) : (h.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    http_.reset();
    throw std::runtime_error("cannot listen on " + host + ":" + std::to_string(port) +
                             " (in use, or not an address of this machine)");
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  batch_order_.restart();
  listener_ = std::thread([this] { http_->listen_after_bind(); });
  // httplib's stop() does nothing until the accept loop runs: wait for it, so stop() right
  // after start() cannot leave the listener running forever.
  for (int waited = 0; !http_->is_running(); ++waited) {
    if (waited > 5000) {
      http_->stop();
      listener_.join();
      http_.reset();
      throw std::runtime_error("the HTTP listener did not start");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  idle_timer_ = std::thread([this] { idle_loop(); });
  return bound;
}

void Server::idle_loop() {
  auto period = std::chrono::seconds(std::clamp<int64_t>(options_.idle_seconds / 4, 1, 60));
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    if (cv_.wait_for(lock, period, [this] { return stopping_; })) break;
    lock.unlock();
    try {
      store_->expire_idle_uploads();
    } catch (const std::exception& e) {
      std::fprintf(stderr, "intake-server: expiring idle uploads failed: %s\n", e.what());
    }
    lock.lock();
  }
}

void Server::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  batch_order_.shutdown();  // batches waiting for a predecessor answer 503 now
  if (http_) http_->stop();
  if (listener_.joinable()) listener_.join();
  if (idle_timer_.joinable()) idle_timer_.join();
  http_.reset();
}

}  // namespace intake::server
