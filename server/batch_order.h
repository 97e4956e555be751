// Batches of one upload are applied strictly in seq order. The browser sends up to three at
// once, so `PUT .../batches/{seq}` calls may arrive out of order; a batch whose predecessor is
// not acknowledged yet waits here (bounded) until it is. BatchOrder is only the waiting room:
// the database (the `batches` table) stays the truth about what is acknowledged, so a waiter
// re-checks it each time anything about any upload changes (notify()), and a restart loses
// nothing. shutdown() wakes every waiter so stopping the server never waits on them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace intake::server {

class BatchOrder {
 public:
  enum class Wait { ready, timed_out, stopping };

  // Calls `ready()` (which reads the database; no lock held) until it returns true, re-checking
  // after every notify(), for at most `timeout`. Exceptions from `ready()` propagate.
  template <class Ready>
  Wait wait(std::chrono::milliseconds timeout, Ready&& ready) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (stopping_) return Wait::stopping;
      uint64_t seen = generation_;
      lock.unlock();
      bool ok = ready();
      lock.lock();
      if (ok) return Wait::ready;
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
};

}  // namespace intake::server
