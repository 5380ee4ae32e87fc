// The Cookie header parser (cookie.hpp has the rules).
#include "platform/http/cookie.hpp"

#include "core/ascii.hpp"

namespace ml::platform::http {

std::string cookie_value(std::string_view header, std::string_view name) {
  header = header.substr(0, kMaxCookieHeader);
  while (!header.empty()) {
    const auto semi = header.find(';');
    const std::string_view pair = core::trim_blanks(header.substr(0, semi));
    const auto eq = pair.find('=');
    if (eq != std::string_view::npos && core::trim_blanks(pair.substr(0, eq)) == name) {
      std::string_view value = core::trim_blanks(pair.substr(eq + 1));
      if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
        value = value.substr(1, value.size() - 2);
      }
      return std::string(value);
    }
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return "";
}

}  // namespace ml::platform::http
