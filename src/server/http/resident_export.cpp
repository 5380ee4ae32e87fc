// A resident's own data (resident_export.hpp).
#include "server/http/resident_export.hpp"

#include <nlohmann/json.hpp>

#include "core/meter/kind.hpp"
#include "server/estimate.hpp"
#include "server/http/api_support.hpp"
#include "server/ledger.hpp"

namespace ml::server::http {
namespace {

// "2026-12-05" for a UTC day's start.
std::string utc_day(std::int64_t time) {
  const auto c = estimate::civil_from_days(estimate::day_of(time));
  char text[16];
  std::snprintf(text, sizeof text, "%04lld-%02u-%02u", static_cast<long long>(c.year), c.month,
                c.day);
  return text;
}

struct MeterData {
  Meter meter;
  std::string unit;
  std::vector<std::pair<std::string, std::string>> days;  // day, last reading
  std::vector<Payment> payments;
};

// The resident's meters that still exist, with their days and payments.
core::Result<std::vector<MeterData>> read_meters(ServerStore& store, const Resident& resident,
                                                 std::int64_t now, bool with_days) {
  std::vector<MeterData> out;
  for (const auto& serial : resident.serials) {
    auto m = store.meter(serial);
    if (!m) return m.error();
    if (!*m) continue;
    MeterData d;
    d.meter = **m;
    const bool water = d.meter.kind == core::meter::Kind::water;
    d.unit = std::string(core::meter::info(d.meter.kind).credit_unit);
    if (with_days) {
      auto rows = store.rollups(serial, Period::day, 0, now);
      if (!rows) return rows.error();
      for (const auto& r : *rows) {
        const auto& last = water ? r.volume_last : r.energy_last;
        if (last) d.days.emplace_back(utc_day(r.bucket), *last);
      }
    }
    auto payments = store.payments(serial);
    if (!payments) return payments.error();
    d.payments = std::move(payments).value();
    out.push_back(std::move(d));
  }
  return out;
}

std::string csv_text(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string out = "\"";
  for (char c : text) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

core::Result<std::string> resident_export_json(ServerStore& store, const Resident& resident,
                                               std::int64_t now) {
  auto meters = read_meters(store, resident, now, true);
  if (!meters) return meters.error();
  json list = json::array();
  for (const auto& d : *meters) {
    json payments = json::array();
    for (const auto& p : d.payments) {
      auto units = credited(p);
      if (!units) return units.error();
      payments.push_back({{"time", p.time},
                          {"amount", p.amount.to_string()},
                          {"price", p.price.to_string()},
                          {"credited", units->to_string()},
                          {"state", std::string(state_name(p.state))}});
    }
    json days = json::array();
    for (const auto& [day, reading] : d.days)
      days.push_back({{"day", day}, {"reading", reading}});
    list.push_back({{"serial", d.meter.serial},
                    {"name", d.meter.name},
                    {"kind", std::string(core::meter::info(d.meter.kind).name)},
                    {"unit", d.unit},
                    {"payments", std::move(payments)},
                    {"days", std::move(days)}});
  }
  const json out = {{"exported", now},
                    {"resident",
                     {{"name", resident.name},
                      {"email", resident.email},
                      {"phone", resident.phone},
                      {"language", resident.language},
                      {"created", resident.created}}},
                    {"meters", std::move(list)}};
  return out.dump(1, ' ', false, json::error_handler_t::replace) + "\n";
}

core::Result<std::string> resident_readings_csv(ServerStore& store, const Resident& resident,
                                                std::int64_t now) {
  auto meters = read_meters(store, resident, now, true);
  if (!meters) return meters.error();
  std::string out = "serial,day,reading,unit\n";
  for (const auto& d : *meters) {
    for (const auto& [day, reading] : d.days)
      out += d.meter.serial + "," + day + "," + reading + "," + d.unit + "\n";
  }
  return out;
}

core::Result<std::string> resident_payments_csv(ServerStore& store, const Resident& resident) {
  auto meters = read_meters(store, resident, 0, false);
  if (!meters) return meters.error();
  std::string out = "serial,time,amount,price,credited,unit,state\n";
  for (const auto& d : *meters) {
    for (const auto& p : d.payments) {
      auto units = credited(p);
      if (!units) return units.error();
      out += d.meter.serial + "," + std::to_string(p.time) + "," + p.amount.to_string() + "," +
             p.price.to_string() + "," + units->to_string() + "," + csv_text(d.unit) + "," +
             std::string(state_name(p.state)) + "\n";
    }
  }
  return out;
}

}  // namespace ml::server::http
