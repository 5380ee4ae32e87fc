// The driver table's lookups (drivers.hpp).
#include "meter/drivers.hpp"

namespace ml::meter {

const Driver* find_driver(std::string_view driver_name) {
  const auto kind = core::sample::meter_kind_from_name(driver_name);
  if (!kind) return nullptr;
  for (const Driver& d : kDrivers) {
    if (d.kind == *kind) return &d;
  }
  return nullptr;  // a flow variant's name (pulse_water): configured as its driver + flow_meter
}

const Driver& driver_of(core::sample::MeterKind kind) {
  for (const Driver& d : kDrivers) {
    if (d.kind == kind || d.flow_kind == kind) return d;
  }
  return kDrivers.front();  // unreachable: every kind has a driver (checked by the unit test)
}

std::string_view name(const Driver& d) {
  return core::sample::meter_kind_name(d.kind);
}

std::string driver_names(std::optional<Link> link) {
  std::vector<std::string_view> names;
  for (const Driver& d : kDrivers) {
    if (!link || d.link == *link) names.push_back(name(d));
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " or " : ", ";
    out += names[i];
  }
  return out;
}

core::meter::Kind measures(const Driver& d, bool flow_meter) {
  return flow_meter ? core::meter::Kind::water : d.measures;
}

bool supports(const Driver& d, core::topic::Feature feature) {
  switch (feature) {
    case core::topic::Feature::base:
    case core::topic::Feature::access_point:
      return true;
    case core::topic::Feature::valve:
      return has_valve(d);
    case core::topic::Feature::cron:
      return has_cron(d);
  }
  return false;
}

bool obeys(const Driver& d, std::string_view command) {
  const core::topic::CommandInfo* info = core::topic::find_command(command);
  return info != nullptr && supports(d, info->feature);
}

std::span<const std::string_view> sample_keys(const Driver& d, bool flow_meter) {
  return core::sample::sample_keys(flow_meter ? d.flow_kind : d.kind, flow_meter);
}

}  // namespace ml::meter
