// The one Cookie header parser of MeterLogger, used by both web servers (`meterlogger-server
// serve` and the setup page) to find their session cookie. Pure and bounded: it reads at most the
// first kMaxCookieHeader bytes of the header and allocates only the value it returns.
//
// The header is `name=value` pairs separated by ';' (RFC 6265, section 5.4). Spaces and tabs
// around a pair and around its value are ignored; a value in double quotes loses the quotes; a
// pair without '=' is skipped; names match exactly (case-sensitive); when a name is repeated the
// first one counts.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ml::platform::http {

inline constexpr std::size_t kMaxCookieHeader = 8192;

// The value of cookie `name` in a Cookie header; "" when absent.
std::string cookie_value(std::string_view header, std::string_view name);

}  // namespace ml::platform::http
