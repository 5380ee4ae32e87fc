// The `reset_reason` reply in words (docs/agent.md, docs/compatibility.md): the device sends
// `reason=N&exccause=C&epc1=0x…&…`, the ESP8266 SDK's rst_info (the agent sends the same
// fields, with the reasons it can have: 0, 2, 3, 4, 6). The table below is the one place the
// words live: the server's API gives them with the raw text (events, diagnostics) and the
// dashboard shows them.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

namespace ml::core::topic {

struct ResetReason {
  int code;
  std::string_view words;
};
// The SDK's reasons (REASON_DEFAULT_RST ... EXT_SYS_RST), the HEAD firmware's 7, and -1 for "not
// available"; what the agent means by the same number is said alongside.
inline constexpr std::array<ResetReason, 9> kResetReasons{{
    {-1, "unknown (the device could not tell)"},
    {0, "power on (first start or power loss)"},
    {1, "hardware watchdog"},
    {2, "crash (exception)"},
    {3, "software watchdog (stuck)"},
    {4, "restart (the restart command)"},
    {5, "woke from deep sleep"},
    {6, "external reset (the agent: a clean stop)"},
    {7, "restart by the 24 h MQTT watchdog"},
}};

inline constexpr std::size_t kMaxResetReasonText = 512;

// The words of reason `code`; none for a code not in the table.
std::optional<std::string_view> reset_reason_words(int code);

// The reply in words: "crash (exception), exception cause 29" (the cause only for a crash and
// when not 0). An error text naming what is wrong for a reply longer than kMaxResetReasonText,
// without `reason=`, with a reason that is no whole number or not in the table.
struct ResetReasonText {
  bool ok = false;
  std::string text;  // the words, or what was wrong
};
ResetReasonText describe_reset_reason(std::string_view reply);

}  // namespace ml::core::topic
