#include "server/meter_page.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

namespace ml::server {
namespace {

struct SortName {
  std::string_view name;
  MeterSort sort;
};
constexpr std::array<SortName, 3> kSortNames{{
    {"serial", MeterSort::serial},
    {"name", MeterSort::name},
    {"last_seen", MeterSort::last_seen},
}};

core::Error bad(const std::string& detail) {
  return core::make_error(core::Errc::invalid_argument, detail);
}

// A count parameter: absent or empty gives `fallback`; else a decimal number in [low, high].
core::Result<std::size_t> count_param(const std::map<std::string, std::string>& params,
                                      const char* name, std::size_t fallback, std::size_t low,
                                      std::size_t high) {
  auto it = params.find(name);
  if (it == params.end() || it->second.empty()) return fallback;
  const std::string& s = it->second;
  std::size_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v < low || v > high) {
    return bad(std::string(name) + " must be a number from " + std::to_string(low) + " to " +
               std::to_string(high) + ", not \"" + s.substr(0, 40) + "\"");
  }
  return v;
}

std::string text_param(const std::map<std::string, std::string>& params, const char* name) {
  auto it = params.find(name);
  return it == params.end() ? std::string() : it->second;
}

}  // namespace

std::string fold_case(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto c = static_cast<unsigned char>(out[i]);
    if (c >= 'A' && c <= 'Z') {
      out[i] = static_cast<char>(c + 32);
    } else if (c == 0xC3 && i + 1 < out.size()) {
      // U+00C0..U+00DE are C3 80..C3 9E; their small letters are 0x20 further (U+00D7 is ×).
      auto next = static_cast<unsigned char>(out[i + 1]);
      if (next >= 0x80 && next <= 0x9E && next != 0x97) out[i + 1] = static_cast<char>(next + 0x20);
      ++i;
    }
  }
  return out;
}

core::Result<MeterQuery> parse_meter_query(const std::map<std::string, std::string>& params) {
  MeterQuery q;
  auto limit = count_param(params, "limit", q.limit, 1, kMaxMeterPage);
  if (!limit) return limit.error();
  q.limit = *limit;
  // Beyond the largest fleet there is nothing to show; the bound keeps the number small.
  auto offset = count_param(params, "offset", 0, 0, 10'000'000);
  if (!offset) return offset.error();
  q.offset = *offset;
  if (const std::string sort = text_param(params, "sort"); !sort.empty()) {
    auto it = std::find_if(kSortNames.begin(), kSortNames.end(),
                           [&](const SortName& n) { return n.name == sort; });
    if (it == kSortNames.end()) {
      return bad("sort must be serial, name or last_seen, not \"" + sort.substr(0, 40) + "\"");
    }
    q.sort = it->sort;
  }
  if (const std::string order = text_param(params, "order"); !order.empty()) {
    if (order != "asc" && order != "desc") {
      return bad("order must be asc or desc, not \"" + order.substr(0, 40) + "\"");
    }
    q.descending = order == "desc";
  }
  q.q = text_param(params, "q");
  q.group = text_param(params, "group");
  if (q.q.size() > kMaxMeterSearch || q.group.size() > kMaxMeterSearch) {
    return bad("q and group are at most " + std::to_string(kMaxMeterSearch) + " bytes");
  }
  return q;
}

MeterPage meter_page(const std::vector<Meter>& all, const MeterQuery& query) {
  MeterPage page;
  const std::string needle = fold_case(query.q);
  std::vector<const Meter*> hits;
  for (const Meter& m : all) {
    if (!query.group.empty() && m.group != query.group) continue;
    if (!needle.empty() && fold_case(m.serial).find(needle) == std::string::npos &&
        fold_case(m.name).find(needle) == std::string::npos &&
        fold_case(m.group).find(needle) == std::string::npos) {
      continue;
    }
    hits.push_back(&m);
    ++page.groups[m.group];
  }
  page.total = hits.size();
  // Whether a meter lacks the sort key (no name, no sample): those go last either way.
  auto lacks = [&](const Meter& m) {
    if (query.sort == MeterSort::name) return m.name.empty();
    if (query.sort == MeterSort::last_seen) return m.last_sample_time == 0;
    return false;
  };
  auto by_key = [&](const Meter& a, const Meter& b) {
    if (query.sort == MeterSort::name) return a.name.compare(b.name);
    if (query.sort == MeterSort::last_seen) {
      return a.last_sample_time < b.last_sample_time   ? -1
             : a.last_sample_time > b.last_sample_time ? 1
                                                       : 0;
    }
    return 0;
  };
  auto before = [&](const Meter* a, const Meter* b) {
    if (int g = a->group.compare(b->group); g != 0) return g < 0;
    const bool la = lacks(*a);
    const bool lb = lacks(*b);
    if (la != lb) return lb;
    if (!la) {
      if (int k = by_key(*a, *b); k != 0) return query.descending ? k > 0 : k < 0;
    }
    // Serials compare as numbers when they are (they are kept at 7 digits or more, so a longer
    // serial is the larger number); ties and the serial sort itself.
    const int s = a->serial.size() != b->serial.size()
                      ? (a->serial.size() < b->serial.size() ? -1 : 1)
                      : a->serial.compare(b->serial);
    return query.sort == MeterSort::serial && query.descending ? s > 0 : s < 0;
  };
  const std::size_t end = std::min(hits.size(), query.offset + query.limit);
  if (query.offset < end) {
    // The page's first meter in its place (everything before it sorts before it), then the page
    // sorted: linear in the matches, whatever the offset.
    const auto first = hits.begin() + static_cast<std::ptrdiff_t>(query.offset);
    std::nth_element(hits.begin(), first, hits.end(), before);
    std::partial_sort(first, hits.begin() + static_cast<std::ptrdiff_t>(end), hits.end(), before);
    page.meters.assign(hits.begin() + static_cast<std::ptrdiff_t>(query.offset),
                       hits.begin() + static_cast<std::ptrdiff_t>(end));
  }
  return page;
}

}  // namespace ml::server
