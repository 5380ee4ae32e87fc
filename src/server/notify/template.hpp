// The SMS gateway's request templates (docs/server.md, "Notifications"): a text with the
// placeholders {to}, {text}, {from} and {token}. "{", a lower-case word and "}" is a placeholder
// (an unknown word is an error); every other brace is itself, so JSON is written as it is;
// "{{" is a literal "{" (write "{{to}" for the text "{to}"). A template is
// parsed once, at configuration, and filled per message; each value is escaped for where the
// template is used (Escape): percent-encoded in a URL, JSON-escaped in a JSON body,
// form-encoded in a form body, and refused in a header when it holds a line break.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace ml::server::notify {

enum class Placeholder : std::uint8_t { to, text, from, token };

struct PlaceholderInfo {
  Placeholder placeholder;
  std::string_view name;  // as written between the braces
};
inline constexpr std::array<PlaceholderInfo, 4> kPlaceholders{{
    {Placeholder::to, "to"},
    {Placeholder::text, "text"},
    {Placeholder::from, "from"},
    {Placeholder::token, "token"},
}};

constexpr std::optional<Placeholder> placeholder_from_name(std::string_view name) {
  for (const auto& row : kPlaceholders)
    if (row.name == name) return row.placeholder;
  return std::nullopt;
}

// How a value is written where the template is used.
enum class Escape : std::uint8_t {
  url,     // RFC 3986 percent-encoding of every byte but the unreserved A-Z a-z 0-9 - . _ ~
  json,    // the contents of a JSON string (the template puts the quotes around the placeholder)
  form,    // application/x-www-form-urlencoded: as url, but a space is "+"
  header,  // as it is; a value with CR, LF or NUL is refused (no header injection)
  none,    // as it is (a text/plain body)
};

inline constexpr std::size_t kMaxTemplate = 4096;  // bytes of a template's text

// The values of one message.
struct TemplateValues {
  std::string to;
  std::string text;
  std::string from;
  std::string token;  // a secret: never in an error or a log line
};

class MessageTemplate {
 public:
  // The template, or an error saying what is wrong and where ("unknown placeholder {foo} at
  // byte 12"); `key` is the configuration key it came from.
  static core::Result<MessageTemplate> parse(std::string_view text, const std::string& key);

  // The text with every placeholder replaced by its value escaped by `escape`. An error only
  // for Escape::header with a line break in a value (naming the placeholder, not the value).
  core::Result<std::string> fill(const TemplateValues& values, Escape escape) const;

  bool uses(Placeholder p) const;
  const std::string& source() const { return source_; }

 private:
  struct Part {
    std::string literal;                     // when no placeholder
    std::optional<Placeholder> placeholder;  // else this
  };
  std::string source_;
  std::vector<Part> parts_;
};

// JSON escaping by itself (also used by the channels; URLs: core::percent_encode).
std::string json_escape(std::string_view value);

}  // namespace ml::server::notify
