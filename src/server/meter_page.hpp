// One page of the meter list (docs/api.md, "Meters": GET /api/meters with `limit`): the meters
// that match a search, in the list's order, from an offset. For fleets too large to send whole
// (100 000 meters are about 60 MB of JSON): the caller reads the meters' rows, this picks the
// page, and only the page's meters get their latest values, ledger and estimate.
//
// Contract:
// - A meter matches when `q` is a substring of its serial, name or group, letters compared
//   without case (ASCII and the Latin-1 letters of UTF-8, so "ærø" finds "Ærøvej"), and, with
//   `group` given, its group is exactly that.
// - Order: by group (as the list shows groups), then by the sort key (serial, name, or the
//   newest sample's time), ascending or descending, ties by serial; a meter without a name or
//   without a sample sorts after the others in both directions, as in the dashboard.
// - `total` counts every match; `meters` holds at most `limit` of them from `offset`; `groups`
//   counts the matches per group (the list's group headings), by group name.
// Pure: no store, no clock. parse_meter_query bounds and checks the request's parameters, each
// error naming the parameter.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "server/store.hpp"

namespace ml::server {

enum class MeterSort : std::uint8_t { serial, name, last_seen };

struct MeterQuery {
  std::string q;
  std::string group;  // "": every group
  MeterSort sort = MeterSort::serial;
  bool descending = false;
  std::size_t offset = 0;
  std::size_t limit = 100;
};

// The most meters one page holds, and the longest search text.
inline constexpr std::size_t kMaxMeterPage = 1000;
inline constexpr std::size_t kMaxMeterSearch = 200;

// From the query parameters limit, offset, sort (serial | name | last_seen), order (asc | desc),
// q and group; absent ones take the defaults above.
core::Result<MeterQuery> parse_meter_query(const std::map<std::string, std::string>& params);

struct MeterPage {
  std::size_t total = 0;
  std::vector<const Meter*> meters;           // into the caller's vector
  std::map<std::string, std::size_t> groups;  // matches per group
};

MeterPage meter_page(const std::vector<Meter>& all, const MeterQuery& query);

// Lower-case for the search: ASCII letters and UTF-8's Latin-1 capitals (U+00C0..U+00DE but
// U+00D7); every other byte as it is.
std::string fold_case(std::string_view text);

}  // namespace ml::server
