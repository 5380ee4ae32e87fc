// Fuzz target: what the server reads from mosquitto: the dynamic security plugin's answers
// (src/server/broker_logins.hpp) and $SYS counts (src/server/broker_sys.hpp). Invariants: no
// crash; an accepted answer has at most kMaxResponses responses, each with a command; an accepted
// count is not negative and prints back to the same digits without leading zeros.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/broker_logins.hpp"
#include "server/broker_sys.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bl = ml::server::broker_logins;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto n = ml::server::broker_sys::parse_count(text); n.ok()) {
    if (*n < 0) std::abort();
    if (text.size() > 1 && text[0] != '0' && std::to_string(*n) != text) std::abort();
    (void)ml::server::broker_sys::dropped_warning(*n / 2, *n);
  }
  auto r = bl::parse_responses(text);
  if (!r.ok()) return 0;
  if (r->size() > bl::kMaxResponses) std::abort();
  for (const auto& response : *r) {
    if (response.command.empty()) std::abort();
    for (const auto& name : bl::role_names(response.data))
      (void)bl::serial_of_role(name);
    (void)bl::client_roles(response.data);
    (void)bl::role_acls(response.data);
    (void)bl::already_so(response);
  }
  return 0;
}
