// Fuzz target: the key change record and set_key's argument (src/core/keychange/key_change.hpp).
// Invariants: an accepted record formats back to the same text (lower-case keys, no leading zeros
// in the time); a refused one names what was wrong; a new key is accepted only from 32 hex digits.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/keychange/key_change.hpp"

using namespace ml::core::keychange;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto r = parse_record(text); r.ok()) {
    if (size > kMaxRecordText) std::abort();
    const std::string back = format_record(*r);
    bool canonical = text[66] != '0' || text[67] == ' ';
    for (std::size_t i = 0; i < text.size(); ++i)
      canonical = canonical && !(text[i] >= 'A' && text[i] <= 'F');
    if (canonical && back != text) std::abort();
  } else if (r.error().detail.rfind("key change record: ", 0) != 0) {
    std::abort();
  }
  if (auto k = parse_new_key(text); k.ok() && size != 32) std::abort();
  return 0;
}
