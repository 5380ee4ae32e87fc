// Fuzz target: what the setup page reads from a browser before the agent sees it. The first
// byte picks the parser:
//   0  a Cookie header (the shared parser, platform/http/cookie.hpp); invariant: the value found
//      is a substring of the header with no ';'
//   1  the broker form (host, then port after a NUL); invariant: accepted hosts are bounded and
//      hold only host-name characters, accepted ports are 1..65535
//   2  text shown on the page; invariant: nothing HTML-active survives escaping
//   3  a request to the agent's GET /metrics (method, path, Authorization, token, separated by
//      NULs); invariant: the text is given only for GET or HEAD /metrics carrying exactly
//      "Bearer TOKEN" when a token is set, every other answer is 401/404/405 with a fixed text
//      (nothing of the request, the token among it, is echoed)
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "platform/http/cookie.hpp"
#include "setup_page/metrics_server.hpp"
#include "setup_page/page.hpp"

using namespace ml::setup_page;

namespace {

struct Source : MetricsSource {
  bool metrics(std::string* text) override {
    *text = "meterlogger_agent_up 1\n";
    return true;
  }
};

// The NUL-separated fields of `text`, missing ones empty.
std::string field(std::string_view text, int index) {
  for (int i = 0; i < index; ++i) {
    const auto nul = text.find('\0');
    if (nul == std::string_view::npos) return "";
    text.remove_prefix(nul + 1);
  }
  return std::string(text.substr(0, text.find('\0')));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 4) {
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
    case 3: {
      ml::platform::http::Request req;
      req.method = field(text, 0);
      req.path = field(text, 1);
      const std::string authorization = field(text, 2);
      if (!authorization.empty()) req.headers["authorization"] = authorization;
      const std::string token = field(text, 3);
      Source source;
      const auto res = metrics_answer(token, req, source);
      std::string scheme = authorization.substr(0, 7);
      for (char& c : scheme)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      const bool allowed =
          req.path == "/metrics" && (req.method == "GET" || req.method == "HEAD") &&
          (token.empty() || (scheme == "bearer " && authorization.substr(std::min<std::size_t>(
                                                        7, authorization.size())) == token));
      if ((res.status == 200) != allowed) std::abort();
      if (res.status == 200 && res.body != "meterlogger_agent_up 1\n") std::abort();
      if (res.status != 200 && res.status != 401 && res.status != 404 && res.status != 405) {
        std::abort();
      }
      // Refusals are fixed texts: nothing of the request (the token among it) is echoed.
      if (res.status != 200 && res.body != "not found\n" && res.body != "only GET\n" &&
          res.body != "a bearer token is needed\n") {
        std::abort();
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
