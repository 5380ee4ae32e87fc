// Fuzz target: the Cookie header parser both web servers use (src/platform/http/cookie.hpp). The
// first byte picks the name looked for ("ml_session", or a one-letter name to hit more pairs).
// Invariants: the value is a substring of the header's first kMaxCookieHeader bytes, holds no ';',
// starts or ends with a space or tab only when it was inside double quotes, and is not wrapped in
// double quotes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "platform/http/cookie.hpp"

using ml::platform::http::cookie_value;
using ml::platform::http::kMaxCookieHeader;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  const std::string_view name = (data[0] % 2 == 0) ? std::string_view("ml_session") : "a";
  const std::string value = cookie_value(text, name);
  if (value.empty()) return 0;
  if (value.size() > kMaxCookieHeader) std::abort();
  if (text.substr(0, kMaxCookieHeader).find(value) == std::string_view::npos) std::abort();
  if (value.find(';') != std::string::npos) std::abort();
  // Blanks around a value are dropped; inside double quotes they are the value's own.
  for (char end : {value.front(), value.back()}) {
    if ((end == ' ' || end == '\t') && text.find("\"" + value + "\"") == std::string_view::npos) {
      std::abort();
    }
  }
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    // Only a value that was itself quoted twice ("\"\"x\"\"") may keep quotes.
    if (text.find("\"" + value + "\"") == std::string_view::npos) std::abort();
  }
  return 0;
}
