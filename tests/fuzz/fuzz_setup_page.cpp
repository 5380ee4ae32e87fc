// Fuzz target: what the setup page reads from a browser before the agent sees it. The first
// byte picks the parser:
//   0  a Cookie header (the shared parser, platform/http/cookie.hpp); invariant: the value found
//      is a substring of the header with no ';'
//   1  the broker form (host, then port after a NUL); invariant: accepted hosts are bounded and
//      hold only host-name characters, accepted ports are 1..65535
//   2  text shown on the page; invariant: nothing HTML-active survives escaping
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "platform/http/cookie.hpp"
#include "setup_page/page.hpp"

using namespace ml::setup_page;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 3) {
    case 0: {
      const std::string value = ml::platform::http::cookie_value(text, "ml_session");
      if (value.find(';') != std::string::npos || text.find(value) == std::string_view::npos) {
        std::abort();
      }
      break;
    }
    case 1: {
      const auto nul = text.find('\0');
      const std::string host(text.substr(0, nul));
      const std::string port(nul == std::string_view::npos ? "" : text.substr(nul + 1));
      if (check_broker_form(host, port).empty() && !host.empty()) {
        if (host.size() > 253) std::abort();
        for (char c : host) {
          if (c == ' ' || c == ';' || c == '/' || c == '\0' || c == '"') std::abort();
        }
        const int p = std::stoi(port);
        if (p < 1 || p > 65535) std::abort();
      }
      break;
    }
    default: {
      const std::string escaped = html_escape(text);
      if (escaped.find_first_of("<>\"'") != std::string::npos) std::abort();
      break;
    }
  }
  return 0;
}
