// Registering many meters at once (meter_import.hpp).
#include "server/usecases/meter_import.hpp"

#include <array>
#include <unordered_map>
#include <unordered_set>

#include "core/meter/kind.hpp"

namespace ml::server::usecase {

core::Result<MeterImportPlan> plan_meter_import(ServerStore& store, MeterCsv csv,
                                                const MeterImportOptions& options) {
  MeterImportPlan plan;
  plan.problems = std::move(csv.problems);
  if (!options.generate_keys && !csv.columns.empty() && !csv.has_column("key")) {
    plan.problems.add(
        "line 1: no column key; give each meter's key (32 hex digits) in a column key, or have "
        "keys made (meters import --generate-keys FILE)");
    return plan;
  }
  auto registered = store.meters();
  if (!registered) return registered.error();
  std::unordered_set<std::string> existing;
  existing.reserve(registered->size());
  for (auto& m : *registered)
    existing.insert(std::move(m.serial));
  registered->clear();

  std::unordered_map<std::string, std::size_t> line_of;  // serial -> the line it is first on
  line_of.reserve(csv.rows.size());
  plan.meters.reserve(csv.rows.size());
  const std::string at_line = "line ";
  for (auto& row : csv.rows) {
    const std::string at = at_line + std::to_string(row.line);
    auto& fields = row.request.fields;
    if (fields.key.empty()) {
      if (!options.generate_keys) {
        plan.problems.add(at +
                          ", column key: empty; give the meter's key (32 hex digits), or have "
                          "keys made (meters import --generate-keys FILE)");
        continue;
      }
      fields.generate_key = true;
    }
    auto built = build_meter(row.request, options.now);
    if (!built) {
      plan.problems.add(at + ", " + built.error().detail);
      continue;
    }
    const std::string& serial = built->meter.serial;
    if (existing.contains(serial)) {
      plan.problems.add(at + ", column serial: meter " + serial +
                        " exists already; leave it out (change it with meters set)");
      continue;
    }
    if (auto [it, added] = line_of.emplace(serial, row.line); !added) {
      plan.problems.add(at + ", column serial: " + serial + " is on line " +
                        std::to_string(it->second) + " too (serials compare as numbers)");
      continue;
    }
    plan.meters.push_back(std::move(built).value());
  }
  if (!plan.problems.empty()) plan.meters.clear();  // nothing of a file with problems
  return plan;
}

core::Status import_meters(ServerStore& store, const std::vector<NewMeter>& meters,
                           const Actor& actor, const std::string& source, std::int64_t now) {
  const std::string detail =
      std::to_string(meters.size()) + " meters (" + kind_counts(meters) + ") from " + source;
  std::vector<Meter> rows;
  rows.reserve(meters.size());
  for (const auto& m : meters)
    rows.push_back(m.meter);
  return store.write_transaction([&]() -> core::Status {
    ML_TRY(store.add_meters(rows));
    return store.audit_admin({0, now, actor.name, actor.remote, "meter.import", "", detail});
  });
}

std::string kind_counts(const std::vector<NewMeter>& meters) {
  std::array<std::size_t, core::meter::kKinds.size()> counts{};
  for (const auto& m : meters) {
    for (std::size_t i = 0; i < core::meter::kKinds.size(); ++i)
      if (core::meter::kKinds[i].kind == m.meter.kind) ++counts[i];
  }
  std::string out;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (counts[i] == 0) continue;
    if (!out.empty()) out += ", ";
    out += std::string(core::meter::kKinds[i].name) + " " + std::to_string(counts[i]);
  }
  return out.empty() ? "none" : out;
}

}  // namespace ml::server::usecase
