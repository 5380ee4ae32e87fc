// Fuzz target: the reader of mosquitto's dynamic security answers (src/server/broker_logins.hpp).
// Invariants: no crash; an accepted message has at most kMaxResponses responses, each with a
// command; the role names read from any response's data are never empty strings from a
// non-string.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/broker_logins.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace bl = ml::server::broker_logins;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto r = bl::parse_responses(text);
  if (!r.ok()) return 0;
  if (r->size() > bl::kMaxResponses) std::abort();
  for (const auto& response : *r) {
    if (response.command.empty()) std::abort();
    for (const auto& name : bl::role_names(response.data))
      (void)bl::serial_of_role(name);
    (void)bl::client_roles(response.data);
    (void)bl::already_so(response);
  }
  return 0;
}
