// Fuzz target: the keys file of `sim fleet` (src/sim/fleet_keys.hpp).
// Invariants: a refused file names a line or the file; an accepted one has canonical, unique
// serials, and what format_fleet_keys writes of it reads back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string_view>

#include "core/topic/topic.hpp"
#include "sim/fleet_keys.hpp"

using namespace ml::sim;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto r = parse_fleet_keys(text);
  if (!r) {
    const std::string& why = r.error().detail;
    if (why.rfind("line ", 0) != 0 && why.rfind("the keys file", 0) != 0) std::abort();
    return 0;
  }
  std::set<std::string> serials;
  for (const FleetMeter& m : *r) {
    if (ml::core::topic::canonical_serial(m.serial) != m.serial) std::abort();
    if (!serials.insert(m.serial).second) std::abort();
  }
  const auto again = parse_fleet_keys(format_fleet_keys(*r, "fuzz, \"group\""));
  if (!again || *again != *r) std::abort();
  return 0;
}
