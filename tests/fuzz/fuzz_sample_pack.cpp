// Fuzz target: a packed day read back (server/sample_pack.hpp), the parser of the values kept in
// `sample_days`. Invariants: no crash; an error says which packed day; what is read has 1 to
// kPackedMaxSamples samples, in increasing time within the day, each with a text within the
// envelope's limit; packing it again and reading that gives the same records.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>

#include "core/envelope/envelope.hpp"
#include "server/sample_pack.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace ml::server;
  constexpr std::int64_t kDay = 19675;  // 2023-11-14
  const std::string serial = "6892850";
  auto records = unpack_day(std::span<const std::uint8_t>(data, size), serial, kDay);
  if (!records) {
    if (records.error().detail.find("packed day 19675 of 6892850: ") != 0) std::abort();
    return 0;
  }
  if (records->empty() || records->size() > kPackedMaxSamples) std::abort();
  std::int64_t before = kDay * kDaySeconds - 1;
  for (const auto& r : *records) {
    if (r.serial != serial || r.time <= before || day_of(r.time) != kDay) std::abort();
    if (r.text.empty() || r.text.size() > ml::core::envelope::kMaxTextSize) std::abort();
    before = r.time;
  }
  auto again = unpack_day(pack_day(*records), serial, kDay);
  if (!again || again->size() != records->size()) std::abort();
  for (std::size_t i = 0; i < records->size(); ++i) {
    const auto& a = (*records)[i];
    const auto& b = (*again)[i];
    if (a.time != b.time || a.received != b.received || a.text != b.text ||
        a.energy_kwh != b.energy_kwh || a.volume_m3 != b.volume_m3 || a.quirks != b.quirks) {
      std::abort();
    }
  }
  return 0;
}
