// The fleet's facts behind GET /api/attention (docs/api.md, "Needs attention"), read for every
// meter at once and kept (kept_reading.hpp), so that a large fleet's first page does not wait for
// 100 000 meters' reads (docs/scaling.md, "The dashboard at 100 000 meters").
//
// Contract: a snapshot holds, as of one time (`as_of`), every meter's facts with the texts the
// page shows and attention() over all of them. A caller's page is the snapshot filtered by group:
// the lists keep their order, and the group sums are per group, so a caller's sums are exact.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/attention.hpp"
#include "server/http/kept_reading.hpp"

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

  std::size_t size() const { return meters.size(); }

  // The facts of meter `serial`; nullptr when it was no meter at as_of.
  const MeterFacts* find(const std::string& serial) const {
    auto it = index.find(serial);
    return it == index.end() ? nullptr : &meters[it->second];
  }
};

using FleetSummary = KeptReading<FleetSnapshot>;

}  // namespace ml::server::http
