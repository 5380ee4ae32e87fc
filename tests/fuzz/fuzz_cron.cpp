// Fuzz target: the set_cron parser and the cron evaluation. Invariants: no crash; an accepted job
// has a stored form within the argument limit that parses back to the same job (and to the same
// text); due() never runs a job twice in one minute nor a wall-clock minute twice, whatever the
// zone does within ±3 hours (the zone's offsets come from the input too).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cron/cron.hpp"

namespace {

using namespace ml::core;

// Offsets from the input's bytes, one per 10 minutes, within ±3 hours.
class ByteZone final : public cron::ZoneRules {
 public:
  explicit ByteZone(std::string_view bytes)
      : bytes_(bytes.empty() ? std::string_view("x") : bytes) {}
  std::int32_t utc_offset_seconds(std::int64_t s) const override {
    const auto slot = static_cast<std::uint64_t>(s / 600 - (s % 600 < 0 ? 1 : 0));
    const auto b = static_cast<unsigned char>(bytes_[slot % bytes_.size()]);
    return (static_cast<std::int32_t>(b) * 360 / 255 - 180) * 60;
  }
  std::int64_t next_change(std::int64_t s) const override {
    return (s / 600 - (s % 600 < 0 ? 1 : 0) + 1) * 600;
  }

 private:
  std::string_view bytes_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto job = cron::parse_set_cron(text);
  std::vector<cron::Job> jobs;
  if (job.ok()) {
    const std::string stored = cron::to_text(*job);
    if (stored.size() > cron::kMaxArgumentSize) std::abort();
    auto again = cron::parse_set_cron(stored);
    if (!again.ok() || !(*again == *job) || cron::to_text(*again) != stored) std::abort();
    if (!cron::is_cron_command(job->command)) std::abort();
    jobs.push_back(*job);
  } else if (job.error().detail.empty()) {
    std::abort();  // every rejection says why
  }
  jobs.push_back(cron::parse_set_cron("command=test").value());

  const ByteZone zone(text);
  const std::int64_t start = 29579040 + static_cast<std::int64_t>(size) * 7;  // 2026-03-29
  std::set<std::pair<std::int64_t, std::size_t>> per_minute;
  std::set<std::pair<std::int64_t, std::size_t>> per_wall_minute;
  std::int64_t last = start - 1;
  for (std::int64_t now = start; now < start + 90; now += 1 + (now % 3 == 0 ? 2 : 0)) {
    for (const cron::Due& d : cron::due(jobs, last, now, zone)) {
      if (d.job >= jobs.size() || d.utc_minute <= last || d.utc_minute > now) std::abort();
      if (!cron::matches(jobs[d.job], d.local)) std::abort();
      if (!per_minute.insert({d.utc_minute, d.job}).second) std::abort();
      const std::int64_t wall =
          ((((std::int64_t{d.local.year} * 13 + d.local.month) * 32 + d.local.day) * 24 +
            d.local.hour) *
           60) +
          d.local.minute;
      if (!per_wall_minute.insert({wall, d.job}).second) std::abort();
    }
    last = now;
  }
  return 0;
}
