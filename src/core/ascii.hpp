// ASCII text helpers that do not depend on the locale: names typed by users (register names,
// units) compared without case, blanks trimmed, untrusted text quoted in error messages, and
// text escaped for HTML and URLs.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ml::core {

constexpr char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}

// Equal ignoring the case of ASCII letters ("E1" and "e1", "kWh" and "KWH").
constexpr bool ascii_iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// `s` without the spaces and tabs at either end (HTTP's optional whitespace).
constexpr std::string_view trim_blanks(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Untrusted text as an error message may quote it: in single quotes, at most `max` bytes (then
// "..."), every byte outside printable ASCII shown as '?'.
inline std::string quoted_excerpt(std::string_view s, std::size_t max = 40) {
  std::string out = "'";
  for (const char c : s.substr(0, max))
    out += (c >= ' ' && c <= '~') ? c : '?';
  if (s.size() > max) out += "...";
  return out + "'";
}

// One byte of untrusted text for an error message: printable ASCII in single quotes, any other
// byte as "byte \xNN" (upper-case hex).
inline std::string describe_char(char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7F) return std::string("'") + c + "'";
  constexpr std::string_view kHex = "0123456789ABCDEF";
  return std::string("byte \\x") + kHex[u >> 4] + kHex[u & 0x0F];
}

// RFC 3986 percent-encoding: every byte but the unreserved A-Z a-z 0-9 - . _ ~ as %XX (upper-case
// hex); with `space_as_plus`, a space as "+" (application/x-www-form-urlencoded).
inline std::string percent_encode(std::string_view text, bool space_as_plus = false) {
  constexpr std::string_view kHex = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out += ch;
    } else if (c == ' ' && space_as_plus) {
      out += '+';
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0x0F];
    }
  }
  return out;
}

// Whether a and b are equal with ASCII letters compared without case (e-mail addresses).
inline bool equal_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) {
      return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// `text` for HTML text and attribute values: "&", "<", ">" and both quotes escaped.
inline std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

}  // namespace ml::core
