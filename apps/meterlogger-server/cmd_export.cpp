// `meterlogger-server export`: prints a meter's stored samples as CSV or JSON lines.
#include <cstdint>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"
#include "server/http/views.hpp"

namespace ml::server_app {
namespace {

void export_samples(const std::string& config_path, const std::string& serial,
                    const std::string& from, const std::string& to, const std::string& format) {
  if (format != "csv" && format != "json") fail("--format must be csv or json");
  const std::int64_t t0 = from.empty() ? 0 : parse_time(from, "--from");
  const std::int64_t t1 = to.empty() ? INT64_MAX : parse_time(to, "--to");
  auto store = open_store(config_from(config_path));
  const auto rows = ok(store->samples(serial, t0, t1));
  // A removed meter's samples stay exportable; an unknown serial with none is a typo.
  if (rows.empty() && !ok(store->meter(serial))) fail("no meter " + serial);
  if (format == "csv") {
    std::cout << server::http::samples_csv(rows);
    return;
  }
  for (const auto& s : rows) {
    nlohmann::ordered_json j;
    j["time"] = s.time;
    for (auto k : server::kSampleKeys) {
      auto it = s.values.find(std::string(k));
      if (it == s.values.end()) continue;
      j[std::string(k)] = it->second ? nlohmann::ordered_json(*it->second) : nullptr;
    }
    j["energy_kwh"] = s.energy_kwh ? nlohmann::ordered_json(*s.energy_kwh) : nullptr;
    if (s.volume_m3) j["volume_m3"] = *s.volume_m3;
    if (!s.quirks.empty()) j["quirks"] = s.quirks;
    std::cout << j.dump() << "\n";
  }
}

}  // namespace

void add_export_command(CLI::App& app, const std::string& config) {
  struct ExportArgs {
    std::string serial, from, to, format = "csv";
  };
  auto e = std::make_shared<ExportArgs>();
  auto* ex = app.add_subcommand("export", "Print a meter's samples as CSV or JSON lines");
  as_serial(ex->add_option("serial", e->serial, "the meter's serial"))->required();
  ex->add_option("--from", e->from, "first time: unix seconds, YYYY-MM-DD or ...THH:MM:SSZ (UTC)");
  ex->add_option("--to", e->to, "last time (inclusive), as --from");
  ex->add_option("--format", e->format, "csv or json")->capture_default_str();
  ex->footer(
      "JSON prints one object per line: time (unix seconds), every sample key the meter sent as\n"
      "the exact decimal text received (null for NaN), energy_kwh (normalised, exact) and, for\n"
      "meters that send volume, volume_m3.\n\n"
      "Examples:\n"
      "  meterlogger-server export 6892850 --format json\n"
      "  meterlogger-server export 6892850 --from 2026-11-01 --to 2026-11-30T23:59:59Z > nov.csv");
  ex->callback([=, &config] { export_samples(config, e->serial, e->from, e->to, e->format); });
}

}  // namespace ml::server_app
