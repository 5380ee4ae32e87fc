// FleetSummary: the kept snapshot and its background reader (contract in fleet_summary.hpp).
#include "server/http/fleet_summary.hpp"

#include "platform/log/log.hpp"

namespace ml::server::http {

FleetSummary::FleetSummary(Read read, std::shared_ptr<StorePool> stores, Now now,
                           std::size_t cache_above, std::int64_t refresh_after_s)
    : read_(std::move(read)),
      stores_(std::move(stores)),
      now_(std::move(now)),
      cache_above_(cache_above),
      refresh_after_s_(refresh_after_s) {}

FleetSummary::~FleetSummary() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::Result<std::shared_ptr<const FleetSnapshot>> FleetSummary::get(ServerStore& store) {
  {
    std::lock_guard lock(mutex_);
    if (newest_ != nullptr && newest_->meters.size() > cache_above_) {
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
  auto snapshot = std::make_shared<const FleetSnapshot>(std::move(fresh).value());
  std::lock_guard lock(mutex_);
  if (newest_ == nullptr || newest_->as_of <= snapshot->as_of) newest_ = snapshot;
  return snapshot;
}

void FleetSummary::background() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return stop_ || wanted_; });
    if (stop_) return;
    lock.unlock();
    auto fresh = [this]() -> core::Result<FleetSnapshot> {
      auto lease = stores_->take();
      if (!lease) return lease.error();
      return read_(**lease, now_());
    }();
    if (!fresh)
      platform::log::error("needs attention: cannot read the fleet: " + fresh.error().message());
    lock.lock();
    if (fresh) newest_ = std::make_shared<const FleetSnapshot>(std::move(fresh).value());
    wanted_ = false;
  }
}

}  // namespace ml::server::http
