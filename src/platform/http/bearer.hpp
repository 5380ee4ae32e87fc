// The one check of an `Authorization: Bearer TOKEN` header, used by both /metrics endpoints
// (`meterlogger-server serve`, docs/metrics.md, and the agent's [metrics] in the setup page
// module). Pure, no allocation.
//
// True only when the header is exactly "Bearer " (the scheme in any case, RFC 6750 section 2.1)
// followed by the token; false for an empty token. The token's content is compared in constant
// time: every byte is looked at whatever differs first, so the time tells nothing of the secret.
#pragma once

#include <string_view>

namespace ml::platform::http {

bool bearer_matches(std::string_view authorization, std::string_view token);

}  // namespace ml::platform::http
