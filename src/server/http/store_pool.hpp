// The store connections of `serve`'s requests. There is no lock around the store: each request
// (and each page of a streamed export) takes a connection of its own, reads on its own snapshot
// and writes in short transactions. With SQLite in WAL mode readers never wait for each other
// or for the writer, and writers take turns inside SQLite (busy timeout); so one long export
// no longer holds up anybody else (docs/server.md, "The HTTP server").
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server::http {

class StorePool {
 public:
  using Open = std::function<core::Result<std::unique_ptr<ServerStore>>()>;

  // Opens connections with `open` as they are needed (at most `max` at once), and keeps the
  // idle ones for the next requests.
  StorePool(Open open, std::size_t max) : open_(std::move(open)), max_(max) {}
  // One store shared by all: requests take turns (tests, and the fuzz target).
  explicit StorePool(ServerStore& only) : only_(&only), max_(1) {}

  class Lease {
   public:
    Lease(StorePool* pool, ServerStore* store, std::unique_ptr<ServerStore> owned)
        : pool_(pool), store_(store), owned_(std::move(owned)) {}
    Lease(Lease&& other) noexcept
        : pool_(other.pool_), store_(other.store_), owned_(std::move(other.owned_)) {
      other.pool_ = nullptr;
    }
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (pool_ != nullptr) pool_->give_back(std::move(owned_));
    }
    ServerStore& operator*() const { return *store_; }
    ServerStore* operator->() const { return store_; }

   private:
    StorePool* pool_;
    ServerStore* store_;
    std::unique_ptr<ServerStore> owned_;  // null for the shared store
  };

  // A connection for the caller alone until the lease ends; waits while `max` are in use.
  core::Result<Lease> take() {
    std::unique_lock lock(mutex_);
    freed_.wait(lock, [this] { return !idle_.empty() || in_use_ < max_; });
    ++in_use_;
    if (only_ != nullptr) return Lease(this, only_, nullptr);
    if (!idle_.empty()) {
      auto store = std::move(idle_.back());
      idle_.pop_back();
      ServerStore* raw = store.get();
      return Lease(this, raw, std::move(store));
    }
    lock.unlock();
    auto opened = open_();
    if (!opened) {
      std::lock_guard relock(mutex_);
      --in_use_;
      freed_.notify_one();
      return opened.error();
    }
    ServerStore* raw = opened->get();
    return Lease(this, raw, std::move(opened).value());
  }

 private:
  void give_back(std::unique_ptr<ServerStore> store) {
    {
      std::lock_guard lock(mutex_);
      --in_use_;
      if (store) idle_.push_back(std::move(store));
    }
    freed_.notify_one();
  }

  Open open_;
  ServerStore* only_ = nullptr;
  std::size_t max_;
  std::mutex mutex_;  // guards idle_, in_use_
  std::condition_variable freed_;
  std::vector<std::unique_ptr<ServerStore>> idle_;
  std::size_t in_use_ = 0;
};

}  // namespace ml::server::http
