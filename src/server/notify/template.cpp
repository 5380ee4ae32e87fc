// The SMS gateway's request templates (template.hpp).
#include "server/notify/template.hpp"

#include "core/ascii.hpp"

namespace ml::server::notify {

namespace {

std::string_view value_of(const TemplateValues& v, Placeholder p) {
  switch (p) {
    case Placeholder::to:
      return v.to;
    case Placeholder::text:
      return v.text;
    case Placeholder::from:
      return v.from;
    case Placeholder::token:
      return v.token;
  }
  return {};
}

std::string_view name_of(Placeholder p) {
  for (const auto& row : kPlaceholders)
    if (row.placeholder == p) return row.name;
  return "?";
}

}  // namespace

std::string json_escape(std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(value.size());
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7F) {
          out += "\\u00";
          out += kHex[c >> 4];
          out += kHex[c & 0x0F];
        } else {
          out += ch;  // UTF-8 passes as it is (JSON text is UTF-8, RFC 8259)
        }
    }
  }
  return out;
}

core::Result<MessageTemplate> MessageTemplate::parse(std::string_view text,
                                                     const std::string& key) {
  auto error = [&](const std::string& what) {
    return core::make_error(core::Errc::config_invalid, key + ": " + what);
  };
  if (text.size() > kMaxTemplate) {
    return error("longer than " + std::to_string(kMaxTemplate) + " bytes");
  }
  MessageTemplate t;
  t.source_ = std::string(text);
  std::string literal;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '{' && i + 1 < text.size() && text[i + 1] == '{') {
      literal += '{';  // "{{to}": the text "{to}"
      ++i;
      continue;
    }
    if (c != '{') {
      literal += c;
      continue;
    }
    // "{" then a lower-case word then "}" is a placeholder; any other "{" is itself (JSON).
    std::size_t end = i + 1;
    while (end < text.size() && ((text[end] >= 'a' && text[end] <= 'z') || text[end] == '_')) {
      ++end;
    }
    if (end == i + 1 || end == text.size() || text[end] != '}') {
      literal += c;
      continue;
    }
    const std::string_view name = text.substr(i + 1, end - i - 1);
    const auto p = placeholder_from_name(name);
    if (!p) {
      return error("unknown placeholder {" + std::string(name.substr(0, 32)) + "} at byte " +
                   std::to_string(i) + " (known: {to}, {text}, {from}, {token}; {{ is a brace)");
    }
    if (!literal.empty()) t.parts_.push_back({std::move(literal), std::nullopt});
    literal.clear();
    t.parts_.push_back({{}, p});
    i = end;
  }
  if (!literal.empty()) t.parts_.push_back({std::move(literal), std::nullopt});
  return t;
}

core::Result<std::string> MessageTemplate::fill(const TemplateValues& values, Escape escape) const {
  std::string out;
  for (const auto& part : parts_) {
    if (!part.placeholder) {
      out += part.literal;
      continue;
    }
    const std::string_view v = value_of(values, *part.placeholder);
    switch (escape) {
      case Escape::url:
        out += core::percent_encode(v);
        break;
      case Escape::form:
        out += core::percent_encode(v, true);
        break;
      case Escape::json:
        out += json_escape(v);
        break;
      case Escape::header:
        if (v.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
          return core::make_error(core::Errc::invalid_argument,
                                  "{" + std::string(name_of(*part.placeholder)) +
                                      "} holds a line break, which a header cannot carry");
        }
        out += v;
        break;
      case Escape::none:
        out += v;
        break;
    }
  }
  return out;
}

bool MessageTemplate::uses(Placeholder p) const {
  for (const auto& part : parts_)
    if (part.placeholder == p) return true;
  return false;
}

}  // namespace ml::server::notify
