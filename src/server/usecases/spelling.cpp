// Field names as each front door spells them (spelling.hpp).
#include "server/usecases/spelling.hpp"

#include <algorithm>

namespace ml::server::usecase {

std::string field(std::string_view name, Spelling spelling) {
  if (spelling == Spelling::json) return std::string(name);
  if (spelling == Spelling::csv_column) return "column " + std::string(name);
  for (const auto& row : kOptionNames) {
    if (row.field == name) return std::string(row.option);
  }
  std::string out = "--" + std::string(name);
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

}  // namespace ml::server::usecase
