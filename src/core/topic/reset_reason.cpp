// The `reset_reason` reply in words (reset_reason.hpp).
#include "core/topic/reset_reason.hpp"

#include <charconv>

namespace ml::core::topic {
namespace {

// The value of `key` in an `a=1&b=2` text; none when absent.
std::optional<std::string_view> field_of(std::string_view text, std::string_view key) {
  while (!text.empty()) {
    const auto amp = text.find('&');
    const std::string_view pair = text.substr(0, amp);
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == key) return pair.substr(eq + 1);
    if (amp == std::string_view::npos) break;
    text.remove_prefix(amp + 1);
  }
  return std::nullopt;
}

std::optional<int> whole_number(std::string_view s) {
  int v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::string_view> reset_reason_words(int code) {
  for (const auto& row : kResetReasons)
    if (row.code == code) return row.words;
  return std::nullopt;
}

ResetReasonText describe_reset_reason(std::string_view reply) {
  if (reply.size() > kMaxResetReasonText) {
    return {false, "a reset_reason reply is at most " + std::to_string(kMaxResetReasonText) +
                       " characters"};
  }
  const auto reason = field_of(reply, "reason");
  if (!reason) return {false, "no reason= in the reset_reason reply"};
  const auto code = whole_number(*reason);
  if (!code) return {false, "reason=" + std::string(*reason) + " is not a whole number"};
  const auto words = reset_reason_words(*code);
  if (!words) return {false, "reason=" + std::to_string(*code) + " is no known reset reason"};
  std::string text(*words);
  if (*code == 2) {
    if (auto cause = field_of(reply, "exccause"); cause && *cause != "0" && whole_number(*cause)) {
      text += ", exception cause " + std::string(*cause);
    }
  }
  return {true, text};
}

}  // namespace ml::core::topic
