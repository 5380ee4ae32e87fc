// The bearer-token check (bearer.hpp has the rules).
#include "platform/http/bearer.hpp"

#include <cstddef>

namespace ml::platform::http {

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view kScheme = "Bearer ";
  if (token.empty() || authorization.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {  // the scheme is case-insensitive
    if ((authorization[i] | 0x20) != (kScheme[i] | 0x20)) return false;
  }
  const std::string_view given = authorization.substr(kScheme.size());
  unsigned diff = given.size() == token.size() ? 0u : 1u;
  for (std::size_t i = 0; i < token.size(); ++i) {
    const char g = i < given.size() ? given[i] : '\0';
    diff |= static_cast<unsigned>(static_cast<unsigned char>(g ^ token[i]));
  }
  return diff == 0;
}

}  // namespace ml::platform::http
