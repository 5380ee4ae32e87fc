// Gaps in a meter's samples and the `resend` extension command that fills them (docs/agent.md,
// "Filling gaps"; docs/server.md, "Gaps"): the sampling interval read from the sample times
// themselves, the gaps between stored samples, and the command's argument "FROM TO" (unix
// seconds, both included). Pure: the caller passes the times and the clock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::core::gaps {

// The widest range one `resend` may ask for, and the most samples a device publishes for one:
// a week of one sample a minute.
inline constexpr std::int64_t kMaxResendSeconds = 7 * 24 * 3600;
inline constexpr std::size_t kMaxResendSamples = 10080;
// The longest argument text: two 20-digit numbers and a space.
inline constexpr std::size_t kMaxResendText = 41;

struct Range {
  std::int64_t from = 0;  // unix seconds, included
  std::int64_t to = 0;    // unix seconds, included
  bool operator==(const Range&) const = default;
};

// "FROM TO": two unsigned decimal numbers of unix seconds separated by one space, FROM <= TO,
// at most kMaxResendSeconds apart. Errors name what is wrong.
Result<Range> parse_resend(std::string_view text);
std::string format_resend(const Range& range);

// The meter's sampling interval: the median of the differences between consecutive sample
// times (sorted ascending, no duplicates), so that gaps and late samples do not move it.
// nullopt with fewer than 3 samples.
std::optional<std::int64_t> sampling_interval(std::span<const std::int64_t> times);

// A stretch between two stored samples where samples are missing: `missing` is the seconds
// strictly between them, and `expected` how many samples the interval puts there.
struct Gap {
  Range missing;
  std::int64_t expected = 0;
  bool operator==(const Gap&) const = default;
};

// The gaps among sorted sample times: two neighbours further apart than 1.5 intervals. Only gaps
// that ended (their later sample) at or before `settled` are reported: a sample still in transit
// is not missing yet.
std::vector<Gap> find_gaps(std::span<const std::int64_t> times, std::int64_t interval,
                           std::int64_t settled);

}  // namespace ml::core::gaps
