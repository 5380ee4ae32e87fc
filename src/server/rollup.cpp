// Hourly and daily rollups, backend-neutral (rollup.hpp).
#include "server/rollup.hpp"

#include <algorithm>
#include <charconv>

namespace ml::server {

std::int64_t bucket_of(Period period, std::int64_t time) {
  const std::int64_t size = period == Period::hour ? 3600 : 86400;
  return time >= 0 ? time / size * size : -((-time + size - 1) / size) * size;
}

void add_to_rollup(Rollup& r, std::int64_t time, const std::optional<std::string>& energy_kwh,
                   const std::optional<std::string>& volume_m3,
                   const core::sample::ParsedSample& sample) {
  if (r.samples == 0 || time < r.first_time) {
    r.first_time = time;
    r.energy_first = energy_kwh;
    r.volume_first = volume_m3;
  }
  if (r.samples == 0 || time > r.last_time) {
    r.last_time = time;
    r.energy_last = energy_kwh;
    r.volume_last = volume_m3;
  }
  ++r.samples;
  // A parsed sample names each key once (core::sample::parse_sample).
  for (const core::sample::SampleField& f : sample.fields()) {
    if (!f.value) continue;  // NaN: nothing to average
    if (std::find(kAveragedFields.begin(), kAveragedFields.end(), f.key) == kAveragedFields.end())
      continue;
    auto& s = r.sums[std::string(f.key)];
    if (!s.available) continue;
    auto next = core::sum(s.sum, *f.value);
    if (!next) {
      // A value so large (a meter's glitch) that the exact sum leaves 64 bits: this field's
      // average for the bucket is unavailable rather than wrong.
      s = AverageSum{core::Decimal{}, 0, false};
      continue;
    }
    s.sum = *next;
    ++s.count;
  }
}

std::string encode_sums(const std::map<std::string, AverageSum>& sums) {
  std::string out;
  for (const auto& [key, s] : sums) {
    out += key + "=" + (s.available ? s.sum.to_string() : std::string()) + "/" +
           std::to_string(s.available ? s.count : -1) + "&";
  }
  return out;
}

core::Result<std::map<std::string, AverageSum>> decode_sums(std::string_view text) {
  std::map<std::string, AverageSum> out;
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view item = text.substr(0, amp);
    const auto eq = item.find('=');
    const auto slash = item.find('/', eq == std::string_view::npos ? 0 : eq);
    if (eq == std::string_view::npos || eq == 0 || slash == std::string_view::npos) {
      return core::make_error(core::Errc::invalid_argument,
                              "rollup sums: not key=sum/count: " + std::string(item));
    }
    const std::string_view sum_text = item.substr(eq + 1, slash - eq - 1);
    const std::string_view count_text = item.substr(slash + 1);
    std::int64_t count = 0;
    const auto [end, ec] =
        std::from_chars(count_text.data(), count_text.data() + count_text.size(), count);
    if (ec != std::errc() || end != count_text.data() + count_text.size() || count < -1) {
      return core::make_error(core::Errc::invalid_argument,
                              "rollup sums: bad count: " + std::string(item));
    }
    AverageSum s;
    if (count < 0) {
      s.available = false;
    } else {
      s.count = count;
      if (!sum_text.empty()) {
        auto d = core::Decimal::parse(sum_text);
        if (!d) {
          return core::make_error(core::Errc::invalid_argument,
                                  "rollup sums: bad sum: " + std::string(item));
        }
        s.sum = *d;
      }
    }
    out[std::string(item.substr(0, eq))] = s;
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return out;
}

}  // namespace ml::server
