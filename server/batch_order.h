// Batches of one upload are applied strictly in seq order. The browser sends up to three at
// once, so `PUT .../batches/{seq}` calls may arrive out of order; a batch whose predecessor is
// not acknowledged yet waits here (bounded) until it is. BatchOrder is only the waiting room:
// the database (the `batches` table) stays the truth about what is acknowledged, so a waiter
// re-checks it each time anything about any upload changes (notify()), and a restart loses
// nothing. shutdown() wakes every waiter so stopping the server never waits on them.
//
// A waiter holds an HTTP worker thread and its body (up to 16 MiB), so waiting is capped: at
// most `per_upload` waiters per upload and `total` overall (set_limits); a batch that would need
// to wait beyond either cap gets Wait::full at once (the route answers 425).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace intake::server {

class BatchOrder {
 public:
  enum class Wait { ready, timed_out, stopping, full };

  // Caps on concurrent waiters (0: unlimited).
  void set_limits(size_t per_upload, size_t total) {
    std::lock_guard<std::mutex> lock(mu_);
    per_upload_max_ = per_upload;
    total_max_ = total;
  }

  // Calls `ready()` (which reads the database; no lock held) until it returns true, re-checking
  // after every notify(), for at most `timeout`. If the first check is not ready and `upload`
  // already has `per_upload` waiters, or `total` wait overall, returns Wait::full at once.
  // Exceptions from `ready()` propagate.
  template <class Ready>
  Wait wait(int64_t upload, std::chrono::milliseconds timeout, Ready&& ready) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mu_);
    bool counted = false;
    struct Leave {  // unregisters the waiter on every exit, exceptions included
      BatchOrder& o;
      int64_t upload;
      bool& counted;
      std::unique_lock<std::mutex>& lock;
      ~Leave() {
        if (!counted) return;
        if (!lock.owns_lock()) lock.lock();
        --o.total_;
        if (--o.waiting_[upload] == 0) o.waiting_.erase(upload);
      }
    } leave{*this, upload, counted, lock};
    for (;;) {
      if (stopping_) return Wait::stopping;
      uint64_t seen = generation_;
      lock.unlock();
      bool ok = ready();
      lock.lock();
      if (ok) return Wait::ready;
      if (!counted) {
        auto it = waiting_.find(upload);
        size_t here = it == waiting_.end() ? 0 : it->second;
        if ((per_upload_max_ && here >= per_upload_max_) || (total_max_ && total_ >= total_max_))
          return Wait::full;
        ++waiting_[upload];
        ++total_;
        counted = true;
      }
      // A change committed after ready() read the database has bumped generation_: no wakeup
      // is lost between the check and the wait.
      if (!cv_.wait_until(lock, deadline, [&] { return stopping_ || generation_ != seen; }))
        return Wait::timed_out;
    }
  }

  // Something changed (a batch was acknowledged, an upload finished): waiters re-check.
  void notify() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++generation_;
    }
    cv_.notify_all();
  }

  // Wakes all waiters with Wait::stopping (and makes later waits return it at once) until
  // restart() is called.
  void shutdown() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
  }
  void restart() {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  uint64_t generation_ = 0;
  bool stopping_ = false;
  size_t per_upload_max_ = 0, total_max_ = 0, total_ = 0;
  std::unordered_map<int64_t, size_t> waiting_;
};

}  // namespace intake::server
