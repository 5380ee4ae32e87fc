// How a sample is stored and read (sample_record.hpp).
#include "server/sample_record.hpp"

namespace ml::server {

SampleRecord sample_record(const IngestItem& item, std::int64_t received) {
  SampleRecord r;
  r.serial = item.serial;
  r.time = item.time;
  r.text = item.text;
  r.received = received;
  for (const auto& f : item.sample.fields()) {
    if (f.normalized && f.normalized_unit == "kWh" && f.key == "e1") r.energy_kwh = f.normalized;
    if (f.normalized && f.normalized_unit == "m3" && f.key == "v1") r.volume_m3 = f.normalized;
  }
  r.quirks = item.sample.quirks();
  return r;
}

std::optional<std::string> decimal_text(const std::optional<core::Decimal>& d) {
  return d ? std::optional<std::string>(d->to_string()) : std::nullopt;
}

core::Result<SampleRecord> kept_record(std::string serial, std::int64_t time, std::string text,
                                       const std::optional<std::string>& energy_kwh,
                                       const std::optional<std::string>& volume_m3,
                                       std::int64_t received,
                                       const std::optional<std::string>& quirks) {
  SampleRecord r{std::move(serial), time, std::move(text), {}, {}, quirks.value_or(""), received};
  for (auto [kept, field] : {std::pair{&energy_kwh, &SampleRecord::energy_kwh},
                             std::pair{&volume_m3, &SampleRecord::volume_m3}}) {
    if (!*kept) continue;
    auto d = core::Decimal::parse(**kept);
    if (!d) return d.error();
    r.*field = *d;
  }
  return r;
}

StoredSample stored_sample(std::string serial, std::int64_t time, std::string_view text,
                           std::optional<std::string> energy_kwh,
                           std::optional<std::string> volume_m3) {
  StoredSample s;
  s.serial = std::move(serial);
  s.time = time;
  auto parsed = core::sample::parse_sample(text);
  if (parsed) {
    for (const auto& f : parsed->fields()) {
      s.values[std::string(f.key)] = f.value ? std::optional<std::string>(f.text) : std::nullopt;
      if (!f.unit.empty()) s.units[std::string(f.key)] = f.unit;
    }
    s.quirks = parsed->quirks();
  }
  s.energy_kwh = std::move(energy_kwh);
  s.volume_m3 = std::move(volume_m3);
  return s;
}

}  // namespace ml::server
