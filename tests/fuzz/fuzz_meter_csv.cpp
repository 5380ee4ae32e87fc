// Fuzz target: the meter list of `meterlogger-server meters import`
// (server/usecases/meter_csv.hpp), with small limits so that the fuzzer reaches them. Invariants:
// no crash; every problem says where ("line N..." or "the file ..."); no more problems kept, rows
// or bytes in a value than the limits allow; rows in line order after the header, each with a
// serial that is one, a kind and only printable values; a list without problems has meters; the
// same text reads the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/topic/topic.hpp"
#include "server/usecases/meter_csv.hpp"

namespace {

void check_value(const std::string& v, std::size_t max) {
  if (v.size() > max) std::abort();
  for (char c : v) {
    const auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b == 0x7f) std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::server::usecase;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  MeterCsvLimits limits;
  limits.max_bytes = 16384;
  limits.max_line = 256;
  limits.max_rows = 50;
  limits.max_problems = 5;
  const MeterCsv csv = parse_meter_csv(text, limits);
  const auto& p = csv.problems;
  if (p.shown.size() > limits.max_problems || p.count < p.shown.size()) std::abort();
  for (const auto& problem : p.shown) {
    if (!problem.starts_with("line ") && !problem.starts_with("the file ")) std::abort();
  }
  if (csv.rows.size() > limits.max_rows) std::abort();
  if (p.empty() && csv.rows.empty()) std::abort();
  std::size_t last = 1;
  for (const auto& row : csv.rows) {
    if (row.line <= last) std::abort();
    last = row.line;
    const auto& r = row.request;
    if (!ml::core::topic::Serial::parse(r.serial)) std::abort();
    if (r.fields.kind.empty() || r.fields.generate_key) std::abort();
    if (r.spelling != Spelling::csv_column) std::abort();
    for (const auto& c : kMeterCsvColumns) {
      const std::string* v = nullptr;
      if (c.name == "serial") v = &r.serial;
      if (c.name == "kind") v = &r.fields.kind;
      if (c.name == "key") v = &r.fields.key;
      if (c.name == "name") v = &r.fields.name;
      if (c.name == "group") v = &r.fields.group;
      if (c.name == "setup_value") v = &r.fields.setup_value;
      if (v != nullptr) check_value(*v, c.max_size);
    }
  }
  const MeterCsv again = parse_meter_csv(text, limits);
  if (again.rows.size() != csv.rows.size() || again.problems.shown != p.shown) std::abort();
  return 0;
}
