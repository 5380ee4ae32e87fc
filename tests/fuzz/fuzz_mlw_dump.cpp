// Fuzz target: the bounded mysqldump reader of the MeterLoggerWeb import (server/mlw_dump.hpp)
// and its number conversion. Invariants: no crash; a rejection names the line ("line N: ...");
// every row has one value per column and no value beyond the limit; plain_decimal gives only
// digits, at most one point and a leading minus.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "server/mlw_dump.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::server::mlw;
  const std::string text(reinterpret_cast<const char*>(data), size);
  DumpLimits limits;
  limits.max_line = 4096;
  limits.max_statement = 8192;
  limits.max_value = 512;
  limits.max_columns = 32;
  limits.max_tables = 8;
  std::istringstream in(text);
  DumpReader reader(in, limits);
  DumpRow row;
  for (int n = 0; n < 100000; ++n) {
    auto got = reader.next(row);
    if (!got) {
      if (!got.error().detail.starts_with("line ")) std::abort();
      auto again = reader.next(row);  // a failed reader stays failed
      if (again || again.error().detail != got.error().detail) std::abort();
      break;
    }
    if (!*got) break;
    if (!row.columns || row.values.size() != row.columns->size()) std::abort();
    if (row.line == 0 || row.line > reader.line()) std::abort();
    for (const auto& v : row.values) {
      if (v.text.size() > limits.max_value) std::abort();
      if (v.kind != DumpValue::Kind::number) continue;
      auto plain = plain_decimal(v.text);
      if (!plain) {
        if (plain.error().detail.empty()) std::abort();
        continue;
      }
      int points = 0;
      for (std::size_t i = 0; i < plain->size(); ++i) {
        const char c = (*plain)[i];
        if (c == '.')
          ++points;
        else if (c == '-' && i == 0)
          continue;
        else if (c < '0' || c > '9')
          std::abort();
      }
      if (points > 1 || plain->empty()) std::abort();
    }
  }
  return 0;
}
