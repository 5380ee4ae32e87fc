// ASCII text helpers that do not depend on the locale (names typed by users: register names,
// units). Bytes outside A-Z are compared as they are.
#pragma once

#include <cstddef>
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

}  // namespace ml::core
