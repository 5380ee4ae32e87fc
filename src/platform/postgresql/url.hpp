// PostgreSQL connection URLs as the program shows them: never with their password (header only,
// so that configuration code can name a database without linking libpq).
#pragma once

#include <regex>
#include <string>
#include <string_view>

namespace ml::platform::postgresql {

// The URL with its password (user:password@ or password=...) replaced by "***".
inline std::string without_password(std::string_view url) {
  std::string s(url);
  // postgresql://user:secret@host -> postgresql://user:***@host
  s = std::regex_replace(s, std::regex(R"(^([a-z]+://[^:/@?]*):[^@/?]*@)"), "$1:***@");
  // ...?password=secret&... -> ...?password=***&...
  return std::regex_replace(s, std::regex(R"(([?&]password=)[^&]*)"), "$1***");
}

}  // namespace ml::platform::postgresql
