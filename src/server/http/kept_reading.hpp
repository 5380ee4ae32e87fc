// A reading of the whole fleet kept between requests (docs/scaling.md, "The dashboard at 100 000
// meters"): what `GET /api/attention` shows (fleet_summary.hpp) and the meter list's rows
// (api.cpp, meters_page) are read for every meter at once, which takes seconds at 100 000 meters.
//
// Contract:
// - A reading T has `as_of` (when it was read) and `size()` (how many meters it holds).
// - get(store): while the newest reading holds at most `cache_above` meters (and before the first
//   one), every call reads afresh on the caller's store: a small fleet's page shows every change
//   at once. Beyond, it answers the newest reading at once; when that one is `refresh_after_s`
//   old or older it also asks the background thread for a new one (one read at a time, on a store
//   connection of its own from the pool), so what a page shows is at most about refresh_after_s
//   plus one read old.
// - A failed inline read is returned; a failed background read is logged (naming `what`), the old
//   reading stays and the next request asks again.
// - Thread-safe. The destructor waits for a background read under way.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.hpp"
#include "platform/log/log.hpp"
#include "server/http/store_pool.hpp"
#include "server/store.hpp"

namespace ml::server::http {

template <class T>
class KeptReading {
 public:
  using Read = std::function<core::Result<T>(ServerStore&, std::int64_t now)>;
  using Now = std::function<std::int64_t()>;
  KeptReading(std::string what, Read read, std::shared_ptr<StorePool> stores, Now now,
              std::size_t cache_above, std::int64_t refresh_after_s)
      : what_(std::move(what)),
        read_(std::move(read)),
        stores_(std::move(stores)),
        now_(std::move(now)),
        cache_above_(cache_above),
        refresh_after_s_(refresh_after_s) {}
  ~KeptReading() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  KeptReading(const KeptReading&) = delete;
  KeptReading& operator=(const KeptReading&) = delete;

  core::Result<std::shared_ptr<const T>> get(ServerStore& store) {
    {
      std::lock_guard lock(mutex_);
      if (newest_ != nullptr && newest_->size() > cache_above_) {
        auto kept = newest_;
        if (now_() - kept->as_of >= refresh_after_s_ && !wanted_) {
          wanted_ = true;
          if (!thread_.joinable()) thread_ = std::thread([this] { background(); });
          wake_.notify_all();
        }
        return kept;
      }
    }
    auto fresh = read_(store, now_());
    if (!fresh) return fresh.error();
    auto reading = std::make_shared<const T>(std::move(fresh).value());
    std::lock_guard lock(mutex_);
    if (newest_ == nullptr || newest_->as_of <= reading->as_of) newest_ = reading;
    return reading;
  }

 private:
  void background() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stop_ || wanted_; });
      if (stop_) return;
      lock.unlock();
      auto fresh = [this]() -> core::Result<T> {
        auto lease = stores_->take();
        if (!lease) return lease.error();
        return read_(**lease, now_());
      }();
      if (!fresh)
        platform::log::error(what_ + ": cannot read the fleet: " + fresh.error().message());
      lock.lock();
      if (fresh) newest_ = std::make_shared<const T>(std::move(fresh).value());
      wanted_ = false;
    }
  }

  std::string what_;
  Read read_;
  std::shared_ptr<StorePool> stores_;
  Now now_;
  std::size_t cache_above_;
  std::int64_t refresh_after_s_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const T> newest_;
  bool wanted_ = false;  // a background read is asked for or under way
  bool stop_ = false;
  std::thread thread_;  // started by the first background read
};

}  // namespace ml::server::http
