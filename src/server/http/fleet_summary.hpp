// The fleet's facts behind GET /api/attention (docs/api.md, "Needs attention"), read for every
// meter at once and kept, so that a large fleet's first page does not wait for 100 000 meters'
// reads (docs/scaling.md, "The dashboard at 100 000 meters").
//
// Contract:
// - A snapshot holds, as of one time (`as_of`), every meter's facts with the texts the page shows
//   and attention() over all of them. A caller's page is the snapshot filtered by group: the lists
//   keep their order, and the group sums are per group, so a caller's sums are exact.
// - get(store): while the newest snapshot has at most `cache_above` meters (and before the first
//   one), every call reads a fresh snapshot on the caller's store: a small fleet's page shows
//   every change at once. Beyond, it answers the newest snapshot at once; when that one is
//   `refresh_after_s` old or older it also asks the background thread for a new one (one read at
//   a time, on a store connection of its own from the pool), so the facts a page shows are at most
//   about refresh_after_s plus one read old.
// - A failed inline read is returned; a failed background read is logged, the old snapshot stays
//   and the next request asks again.
// - Thread-safe. The destructor waits for a background read under way.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/result.hpp"
#include "server/attention.hpp"
#include "server/http/store_pool.hpp"
#include "server/store.hpp"

namespace ml::server::http {

// A kept snapshot this old or older is read again (in the background).
inline constexpr std::int64_t kFleetRefreshS = 30;

struct FleetSnapshot {
  std::int64_t as_of = 0;
  std::vector<MeterFacts> meters;  // `daily` emptied once the sums are made
  // Per meter, what the page shows of it as JSON text fields (null when none).
  struct Texts {
    std::optional<std::string> valve, remaining, days_left, method;
    std::optional<std::int64_t> closes_at;
  };
  std::vector<Texts> texts;
  Attention all;                                       // over every meter
  std::unordered_map<std::string, std::size_t> index;  // serial -> its place in `meters`

  // The facts of meter `serial`; nullptr when it was no meter at as_of.
  const MeterFacts* find(const std::string& serial) const {
    auto it = index.find(serial);
    return it == index.end() ? nullptr : &meters[it->second];
  }
};

class FleetSummary {
 public:
  using Read = std::function<core::Result<FleetSnapshot>(ServerStore&, std::int64_t now)>;
  using Now = std::function<std::int64_t()>;
  FleetSummary(Read read, std::shared_ptr<StorePool> stores, Now now, std::size_t cache_above,
               std::int64_t refresh_after_s);
  ~FleetSummary();
  FleetSummary(const FleetSummary&) = delete;
  FleetSummary& operator=(const FleetSummary&) = delete;

  core::Result<std::shared_ptr<const FleetSnapshot>> get(ServerStore& store);

 private:
  void background();

  Read read_;
  std::shared_ptr<StorePool> stores_;
  Now now_;
  std::size_t cache_above_;
  std::int64_t refresh_after_s_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::shared_ptr<const FleetSnapshot> newest_;
  bool wanted_ = false;  // a background read is asked for or under way
  bool stop_ = false;
  std::thread thread_;  // started by the first background read
};

}  // namespace ml::server::http
