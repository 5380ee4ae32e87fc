#include "core/gaps/gaps.hpp"

#include <algorithm>
#include <charconv>

namespace ml::core::gaps {
namespace {

Result<std::int64_t> parse_seconds(std::string_view text, std::string_view which) {
  if (text.empty()) {
    return make_error(Errc::invalid_argument, "resend: " + std::string(which) + " is missing");
  }
  if (text.size() > 20 ||
      !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return make_error(Errc::invalid_argument,
                      "resend: " + std::string(which) + " is not a number of unix seconds");
  }
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) {
    return make_error(Errc::invalid_argument, "resend: " + std::string(which) + " is too large");
  }
  return v;
}

}  // namespace

Result<Range> parse_resend(std::string_view text) {
  if (text.size() > kMaxResendText) {
    return make_error(Errc::invalid_argument, "resend: the argument is longer than " +
                                                  std::to_string(kMaxResendText) +
                                                  " bytes; it is \"FROM TO\" in unix seconds");
  }
  const auto space = text.find(' ');
  if (space == std::string_view::npos) {
    return make_error(
        Errc::invalid_argument,
        "resend: the argument is \"FROM TO\" in unix seconds, two numbers and a space");
  }
  auto from_r = parse_seconds(text.substr(0, space), "FROM");
  if (!from_r) return from_r.error();
  auto to_r = parse_seconds(text.substr(space + 1), "TO");
  if (!to_r) return to_r.error();
  const std::int64_t from = *from_r;
  const std::int64_t to = *to_r;
  if (from > to) return make_error(Errc::invalid_argument, "resend: FROM is after TO");
  if (to - from > kMaxResendSeconds) {
    return make_error(Errc::invalid_argument, "resend: the range is longer than 7 days (" +
                                                  std::to_string(kMaxResendSeconds) + " s)");
  }
  return Range{from, to};
}

std::string format_resend(const Range& range) {
  return std::to_string(range.from) + " " + std::to_string(range.to);
}

std::optional<std::int64_t> sampling_interval(std::span<const std::int64_t> times) {
  if (times.size() < 3) return std::nullopt;
  std::vector<std::int64_t> steps;
  steps.reserve(times.size() - 1);
  for (std::size_t i = 1; i < times.size(); ++i) {
    if (times[i] > times[i - 1]) steps.push_back(times[i] - times[i - 1]);
  }
  if (steps.empty()) return std::nullopt;
  auto mid = steps.begin() + static_cast<std::ptrdiff_t>(steps.size() / 2);
  std::nth_element(steps.begin(), mid, steps.end());
  return *mid;
}

std::vector<Gap> find_gaps(std::span<const std::int64_t> times, std::int64_t interval,
                           std::int64_t settled) {
  std::vector<Gap> out;
  if (interval <= 0) return out;
  for (std::size_t i = 1; i < times.size(); ++i) {
    const std::int64_t a = times[i - 1];
    const std::int64_t b = times[i];
    if (b > settled) break;
    // More than 1.5 intervals apart (in integers: 2 (b - a) > 3 interval).
    if (2 * (b - a) <= 3 * interval) continue;
    const std::int64_t expected = (b - a + interval / 2) / interval - 1;
    out.push_back(Gap{Range{a + 1, b - 1}, std::max<std::int64_t>(expected, 1)});
  }
  return out;
}

}  // namespace ml::core::gaps
