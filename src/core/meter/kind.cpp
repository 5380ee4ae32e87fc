// The meter kind table's lookups (kind.hpp).
#include "core/meter/kind.hpp"

namespace ml::core::meter {

const KindInfo& info(Kind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k;
  }
  return kKinds.front();  // unreachable: every enumerator has a row (checked by the unit test)
}

std::optional<Kind> kind_from_name(std::string_view name) {
  for (const auto& k : kKinds) {
    if (k.name == name) return k.kind;
  }
  return std::nullopt;
}

std::string kind_names() {
  std::string out;
  for (const auto& k : kKinds) {
    if (!out.empty()) out += ", ";
    out += k.name;
  }
  return out;
}

}  // namespace ml::core::meter
